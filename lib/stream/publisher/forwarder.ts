// The publisher side of GW request/reply: a RequestForwarder (lib/core) that, after the gateway has
// authenticated the caller, sends the request as a NATS request on the entity's `GW.<channel>` and
// returns the responder's status, headers and body unchanged. A publisher gateway therefore needs
// no plugin logic of its own. Failures become SCIM errors: 503 no responders / not connected,
// 504 timeout, 413 too large for the server's max_payload, 502 a reply that is not an envelope.
import { NoRespondersError, RequestError, TimeoutError } from '@nats-io/transport-node'
import type { RequestForwarder } from '../../core/options.ts'
import type { RoutePath, RouteResource } from '../../core/route-path.ts'
import { ScimError } from '../../scim/errors.ts'
import type { StreamConnection } from '../connection.ts'
import { GW_FORWARDED_HEADERS, GW_PROTOCOL_VERSION, decodeReply, encodeEnvelope, type GwRequest } from './envelope.ts'

/** One publishing entity: where its requests go. */
export interface GwRoute {
  subject: string
  connection: StreamConnection
  /** Reply timeout in ms of this route (default: the forwarder's). */
  timeoutMs?: number
}

/** Options of {@link createGwForwarder}. */
export interface GwForwarderOptions {
  /** The route of a baseEntity (`undefined` baseEntity is looked up as 'undefined'); undefined = not forwarded. */
  routeOf: (baseEntity: string) => GwRoute | undefined
  /** Reply timeout in ms of routes without their own (default 60 000). */
  timeoutMs?: number
}

/** Reply timeout when neither the config nor the module options set one. */
export const DEFAULT_GW_TIMEOUT_MS = 60_000

/** Routes that never travel: they describe or serve the publisher gateway itself. */
const LOCAL_ROUTES: ReadonlySet<RouteResource> = new Set(['Ping', 'Auth', 'Logger', 'PubApi'])

/**
 * Makes the forwarder for `options.forwarders`.
 * @example new ScimGateway({ plugin, log, options: { forwarders: [createGwForwarder({ routeOf })] } })
 */
export function createGwForwarder (opts: GwForwarderOptions): RequestForwarder {
  const defaultTimeout = opts.timeoutMs ?? DEFAULT_GW_TIMEOUT_MS
  return async (req: Request, route: RoutePath, rc) => {
    if (LOCAL_ROUTES.has(route.resource)) return undefined
    const target = opts.routeOf(route.baseEntity ?? 'undefined')
    if (target === undefined) return undefined
    const timeout = target.timeoutMs ?? defaultTimeout
    const nc = target.connection.current()
    if (nc === undefined || nc.isClosed()) throw new ScimError(503, undefined, `NATS is not connected: cannot forward to ${target.subject}`)
    const url = new URL(req.url)
    const headers: Record<string, string> = {}
    for (const h of GW_FORWARDED_HEADERS) {
      const v = req.headers.get(h)
      if (v !== null) headers[h] = v
    }
    const hasBody = req.method !== 'GET' && req.method !== 'HEAD' && req.body !== null
    const envelope: GwRequest = {
      v: GW_PROTOCOL_VERSION,
      id: rc.requestId,
      method: req.method.toUpperCase(),
      origin: url.origin,
      path: url.pathname,
      baseEntity: route.baseEntity,
      query: url.search.replace(/^\?/, ''),
      headers,
      body: hasBody ? await req.text() : null
    }
    const data = encodeEnvelope(envelope)
    const max = nc.info?.max_payload
    if (max !== undefined && data.length > max) {
      throw new ScimError(413, undefined, `request of ${data.length} bytes exceeds the NATS server's max_payload of ${max} bytes`)
    }
    let replyData: Uint8Array
    try {
      replyData = (await nc.request(target.subject, data, { timeout })).data
    } catch (err) {
      if (isNoResponders(err)) throw new ScimError(503, undefined, `no gateway answers on ${target.subject}`)
      if (err instanceof TimeoutError || (err instanceof RequestError && err.cause instanceof TimeoutError)) {
        throw new ScimError(504, undefined, `no reply on ${target.subject} within ${timeout} ms`)
      }
      rc.log.error(`GW request on ${target.subject} failed: ${err instanceof Error ? err.message : String(err)}`)
      throw new ScimError(503, undefined, `GW request on ${target.subject} failed`)
    }
    let reply
    try {
      reply = decodeReply(replyData)
    } catch (err) {
      throw new ScimError(502, undefined, `invalid reply on ${target.subject}: ${err instanceof Error ? err.message : String(err)}`)
    }
    const status = reply.status
    const body = status === 204 || status === 304 ? null : reply.body
    return new Response(body, { status, headers: reply.headers })
  }
}

function isNoResponders (err: unknown): boolean {
  if (err instanceof NoRespondersError) return true
  if (err instanceof RequestError) return err.isNoResponders() || err.cause instanceof NoRespondersError
  return false
}
