// The ScimGateway's normalised options. lib/config turns a plugin's JSON config into these; tests and
// embedders may build them directly.
import type { Hono } from 'hono'
import type { Authenticator, Principal } from '../auth/types.ts'
import type { TrustProxy } from '../auth/ip-allow.ts'
import type { ScimVersion } from '../scim/types.ts'
import type { RequestContext } from './context.ts'
import type { RoutePath } from './route-path.ts'

/** Decides on a request before authentication (IP allow list, rate limits). Return a Response to stop it. */
export type RequestGate = (req: Request, info: { remoteAddress: string | undefined, route: RoutePath | undefined }) => Response | undefined | Promise<Response | undefined>

/** Runs after authentication (per-principal rate limits). Return a Response to stop the request. */
export type PrincipalGate = (req: Request, info: { remoteAddress: string | undefined, route: RoutePath, principal: Principal }) => Response | undefined | Promise<Response | undefined>

/**
 * Told the outcome of every authentication attempt (brute-force slow-down, audit); `req` lets an
 * observer find the real client behind a trusted proxy. A promise returned for a failure is awaited
 * before the 401 goes out (the slow-down delays failures, never the valid login that follows).
 */
export type AuthObserver = (info: { remoteAddress: string | undefined, ok: boolean, principal?: Principal, reason?: string, req?: Request }) => void | Promise<void>

/**
 * Handles an authenticated SCIM request instead of the local service (stream publisher: forwards it
 * as a GW request). Returns undefined to let the gateway handle it.
 */
export type RequestForwarder = (req: Request, route: RoutePath, rc: RequestContext) => Promise<Response | undefined>

/** TLS for the HTTP server (PEM strings or a PFX bundle). */
export interface TlsOptions {
  key?: string
  cert?: string
  ca?: string[]
  pfx?: Buffer
  passphrase?: string
  /** Ask for and verify client certificates (mutual TLS). */
  requestCert?: boolean
}

export interface GatewayOptions {
  /** 0 = a free port (tests). */
  port: number
  /** Listen on 127.0.0.1 only. */
  localhostOnly: boolean
  scimVersion: ScimVersion
  skipMetaLocation: boolean
  usePutSoftSync: boolean
  /** true: plugins see plain SCIM only; false: scimgateway's type-converted form as well (Modification.typeConverted). */
  skipTypeConvert: boolean
  /** Group membership is stored on users: member changes become modifyUser calls. */
  groupMemberOfUser: boolean
  /** PATCH answers 200 with the resource instead of 204 (Entra ID expects 204; some IdPs want the body). */
  patchReturnsResource: boolean
  /** Configured baseEntities (`endpoint.entity.<name>`); a path segment naming another one is a 404. */
  entities: string[]
  /** Any first path segment that is not a route is a baseEntity (chaining: the next gateway decides). */
  acceptAnyBaseEntity: boolean
  maxPayloadBytes: number
  /** Deepest JSON nesting accepted in a request body (400 invalidSyntax beyond), checked before parsing. */
  jsonMaxDepth: number
  /** Public base URL for Location/meta.location (`scimgateway.baseUrl`); unset: see http/origin.ts. */
  baseUrl?: string | undefined
  /** Host names the Host header may carry besides loopback and this machine's names/addresses. */
  hostnames: string[]
  /** Proxies whose X-Forwarded-Host/-Proto are believed (`scimgateway.trustProxy`). */
  trustProxy?: TrustProxy | undefined
  defaultCount: number
  maxResults: number
  bulk: { maxOperations: number, maxPayloadSize: number }
  authenticators: Authenticator[]
  /** Serve without authentication (only for tests and embedding behind another auth layer). */
  allowAnonymous: boolean
  /** Forward the caller's Authorization header to plugins that declare passThrough. */
  passThrough: boolean
  /** HTTP keep-alive idle timeout in ms. */
  idleTimeoutMs: number
  /** Gates run before authentication, in order (IP allow list, rate limiting). */
  gates: RequestGate[]
  /** Gates run after authentication, in order. */
  principalGates: PrincipalGate[]
  authObservers: AuthObserver[]
  /** Routes mounted before the SCIM routes (OAuth token endpoint, well-known documents). */
  extraRoutes: Array<(app: Hono) => void>
  /** Forwarders tried after authentication (stream publisher). */
  forwarders: RequestForwarder[]
  tls: TlsOptions | undefined
  /** ms one plugin call may take (ctx.signal is aborted, the call answers 504); 0 = no limit. */
  pluginTimeoutMs: number
  /** Process metrics (CPU, memory, event loop) in /metrics; turn off in all but one of several gateways in a process. */
  defaultMetrics: boolean
}

export const DEFAULT_GATEWAY_OPTIONS: GatewayOptions = {
  port: 8880,
  localhostOnly: false,
  scimVersion: '2.0',
  skipMetaLocation: false,
  usePutSoftSync: false,
  groupMemberOfUser: false,
  skipTypeConvert: true,
  patchReturnsResource: false,
  entities: [],
  acceptAnyBaseEntity: false,
  maxPayloadBytes: 1024 * 1024,
  jsonMaxDepth: 64,
  hostnames: [],
  defaultCount: 200,
  maxResults: 1000,
  bulk: { maxOperations: 1000, maxPayloadSize: 1024 * 1024 },
  authenticators: [],
  allowAnonymous: false,
  passThrough: false,
  idleTimeoutMs: 120_000,
  gates: [],
  principalGates: [],
  authObservers: [],
  extraRoutes: [],
  forwarders: [],
  tls: undefined,
  pluginTimeoutMs: 60_000,
  defaultMetrics: true
}

export function gatewayOptions (partial: Partial<GatewayOptions>): GatewayOptions {
  return { ...DEFAULT_GATEWAY_OPTIONS, ...partial, bulk: { ...DEFAULT_GATEWAY_OPTIONS.bulk, ...partial.bulk } }
}
