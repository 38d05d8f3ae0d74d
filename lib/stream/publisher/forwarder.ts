// The publisher side of GW request/reply: a RequestForwarder (lib/core) that, after the gateway has
// authenticated the caller, sends the request as a NATS request on the entity's `GW.<channel>` and
// returns the responder's status, headers and body unchanged. A publisher gateway therefore needs
// no plugin logic of its own. A request or reply larger than the server's max_payload travels in
// chunks (chunking.ts). Failures become SCIM errors: 503 no responders / not connected, 504 timeout,
// 413 above maxRequestBytes or a responder that cannot take chunks, 502 a reply that is not one.
import { NoRespondersError, RequestError, TimeoutError, headers as natsHeaders } from '@nats-io/transport-node'
import type { NatsConnection } from '@nats-io/transport-node'
import type { RequestForwarder } from '../../core/options.ts'
import type { RoutePath, RouteResource } from '../../core/route-path.ts'
import { ScimError } from '../../scim/errors.ts'
import type { StreamConnection } from '../connection.ts'
import { GW_FORWARDED_HEADERS, GW_PROTOCOL_VERSION, EnvelopeError, decodeReply, encodeEnvelope, type GwRequest } from './envelope.ts'
import {
  CHUNK_HEADER, CHUNK_WINDOW, GW_CHUNK_VERSION, chunkSizeFor, decodeControl, encodeControl, joinChunks, sha256Hex, splitChunks, windowed,
  type ChunkedReply
} from './chunking.ts'

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
  /** Largest request body forwarded, in bytes; larger → 413 (default {@link DEFAULT_GW_MAX_REQUEST_BYTES}). */
  maxRequestBytes?: number
  /** Largest chunked reply accepted, in bytes; larger → 502 (default {@link DEFAULT_GW_MAX_REPLY_BYTES}). */
  maxReplyBytes?: number
}

/** Request body limit of the forwarder when none is given (a memory bound, not the SCIM limit: the executing gateway applies its own maxPayloadBytes and bulk limits). */
export const DEFAULT_GW_MAX_REQUEST_BYTES = 32 * 1024 * 1024
/** Chunked reply limit of the forwarder when none is given. */
export const DEFAULT_GW_MAX_REPLY_BYTES = 256 * 1024 * 1024
/** max_payload assumed when the server info lacks it (the nats-server default). */
const DEFAULT_MAX_PAYLOAD = 1024 * 1024

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
  const maxRequest = opts.maxRequestBytes ?? DEFAULT_GW_MAX_REQUEST_BYTES
  const maxReply = opts.maxReplyBytes ?? DEFAULT_GW_MAX_REPLY_BYTES
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
      origin: rc.origin ?? url.origin, // the public origin (core/http/origin.ts), never the raw Host header
      path: url.pathname,
      baseEntity: route.baseEntity,
      query: url.search.replace(/^\?/, ''),
      headers,
      body: hasBody ? await readBody(req, maxRequest) : null,
      chunkedReply: true
    }
    const data = encodeEnvelope(envelope)
    // the server tells its limit on connect (INFO max_payload)
    const max = nc.info?.max_payload ?? DEFAULT_MAX_PAYLOAD
    const deadline = Date.now() + timeout
    const left = (): number => Math.max(1, deadline - Date.now())
    let replyData: Uint8Array
    try {
      replyData = data.length <= max
        ? (await nc.request(target.subject, data, { timeout })).data
        : await sendChunked(nc, target.subject, rc.requestId, data, max, left)
      const control = decodeControl(replyData)
      if (control?.type === 'chunked-reply') {
        if (control.size > maxReply) throw new ScimError(502, undefined, `the reply of ${control.size} bytes exceeds this gateway's limit of ${maxReply} bytes`)
        replyData = await pullChunked(nc, control, left)
      }
    } catch (err) {
      if (err instanceof ScimError) throw err
      if (isNoResponders(err)) throw new ScimError(503, undefined, `no gateway answers on ${target.subject}`)
      if (err instanceof TimeoutError || (err instanceof RequestError && err.cause instanceof TimeoutError)) {
        throw new ScimError(504, undefined, `no reply on ${target.subject} within ${timeout} ms`)
      }
      if (err instanceof EnvelopeError) throw new ScimError(502, undefined, `invalid reply on ${target.subject}: ${err.message}`)
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

/** Reads the request body as text, refusing more than `limit` bytes with a 413 (without reading them). */
async function readBody (req: Request, limit: number): Promise<string> {
  const tooLarge = (): ScimError => new ScimError(413, undefined, `request body exceeds the limit of ${limit} bytes`)
  const declared = Number(req.headers.get('content-length') ?? NaN)
  if (Number.isFinite(declared) && declared > limit) throw tooLarge()
  if (req.body === null) return ''
  if (Number.isFinite(declared)) {
    // the common case: the HTTP server holds the body to its declared length
    const text = await req.text()
    if (Buffer.byteLength(text) > limit) throw tooLarge()
    return text
  }
  const parts: Uint8Array[] = []
  let n = 0
  const reader = req.body.getReader()
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    n += value.length
    if (n > limit) {
      await reader.cancel().catch(() => {})
      throw tooLarge()
    }
    parts.push(value)
  }
  return Buffer.concat(parts, n).toString('utf8')
}

/** A reply that ends a chunked transfer early (the responder refused it): returned as the GW reply. */
class EarlyReply {
  constructor (readonly data: Uint8Array) {}
}

/**
 * Sends a request above max_payload: announce through the queue group, then the chunks to the
 * private subject of the responder that accepted, at most CHUNK_WINDOW unacknowledged; the last
 * chunk goes once all others are acknowledged, and its answer is the GW reply.
 */
async function sendChunked (nc: NatsConnection, subject: string, id: string, data: Uint8Array, max: number, left: () => number): Promise<Uint8Array> {
  const chunks = splitChunks(data, chunkSizeFor(max))
  const announce = encodeControl({ v: GW_CHUNK_VERSION, type: 'announce', id, size: data.length, chunks: chunks.length, sha256: sha256Hex(data) })
  const first = (await nc.request(subject, announce, { timeout: left() })).data
  const accept = decodeControl(first)
  if (accept?.type !== 'accept') {
    // a v1 reply: the responder refused (busy, too large) — or predates chunking, which answers
    // any version-2 message with a 400 without request id
    const refusal = decodeReply(first)
    if (refusal.status === 400 && refusal.id === '') {
      throw new ScimError(413, undefined, `the request of ${data.length} bytes exceeds the NATS server's max_payload of ${max} bytes and the responder does not support chunked requests`)
    }
    return first
  }
  const send = async (i: number): Promise<Uint8Array> => {
    const h = natsHeaders()
    h.set(CHUNK_HEADER, String(i))
    return (await nc.request(accept.subject, chunks[i], { timeout: left(), headers: h })).data
  }
  const last = chunks.length - 1
  try {
    await windowed(last, CHUNK_WINDOW, async (i) => {
      const r = await send(i)
      const ack = decodeControl(r)
      if (ack?.type !== 'ack' || ack.index !== i) throw new EarlyReply(r)
    })
  } catch (err) {
    if (err instanceof EarlyReply) return err.data
    throw err
  }
  return await send(last)
}

/** Pulls the chunks of a chunked reply (at most CHUNK_WINDOW at once) and checks size and hash. */
async function pullChunked (nc: NatsConnection, cr: ChunkedReply, left: () => number): Promise<Uint8Array> {
  const parts: Array<Uint8Array | undefined> = new Array<Uint8Array | undefined>(cr.chunks)
  await windowed(cr.chunks, CHUNK_WINDOW, async (i) => {
    const h = natsHeaders()
    h.set(CHUNK_HEADER, String(i))
    parts[i] = (await nc.request(cr.subject, new Uint8Array(0), { timeout: left(), headers: h })).data.slice()
  })
  return joinChunks(parts, cr.size, cr.sha256)
}

function isNoResponders (err: unknown): boolean {
  if (err instanceof NoRespondersError) return true
  if (err instanceof RequestError) return err.isNoResponders() || err.cause instanceof NoRespondersError
  return false
}
