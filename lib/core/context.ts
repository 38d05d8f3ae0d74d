// Per-request context shared by the HTTP routes, bulk and the stream subscriber when they call the service.
import type { Logger } from '../logging/types.ts'
import type { ScimVersion } from '../scim/types.ts'
import type { Principal } from '../auth/types.ts'
import type { NodeIncoming } from './http/body.ts'

export interface RequestContext {
  baseEntity: string | undefined
  requestId: string
  log: Logger
  signal: AbortSignal
  /**
   * Aborts `signal` (HTTP requests on @hono/node-server only, where the signal is this request's
   * own). The plugin guard's timeout uses it instead of composing a signal per plugin call; callers
   * that run independent operations on one context (Bulk) leave it out.
   */
  abort?: (reason: unknown) => void
  /** The caller's Authorization header when pass-through is enabled. */
  passThrough?: { authorization: string }
  /** Base URL for `meta.location` (e.g. `https://gw.example.com/scim/v2`), without a trailing slash. */
  locationBase: string
  /** The public origin the client knows (http/origin.ts), for links built elsewhere (GW forwarding). */
  origin?: string
  version: ScimVersion
  principal?: Principal
  /** HTTP only: the Node request stream behind the web Request, read directly for speed. */
  incoming?: NodeIncoming
}

export type ResourceKind = 'Users' | 'Groups'
