// The subscriber side of GW request/reply: a queue subscription on `GW.<channel>` (one queue group
// per subject, so exactly one gateway executes each request) that runs every request through the
// gateway's own HTTP app — the same authentication-checked code path as a direct HTTP request,
// as the internal principal of the entity — and replies with status, headers and body. Requests and
// replies larger than the server's max_payload travel in chunks (chunking.ts, transfers.ts).
import type { NatsConnection, Msg, Subscription } from '@nats-io/transport-node'
import type { Logger } from '../../logging/types.ts'
import { gwQueueGroup } from '../contract/naming.ts'
import { EnvelopeError, GW_PROTOCOL_VERSION, decodeRequest, encodeEnvelope, type GwReply, type GwRequest } from './envelope.ts'
import { decodeControl, encodeControl } from './chunking.ts'
import { DEFAULT_TRANSFER_LIMITS, createTransferStore, type TransferLimits, type TransferStore } from './transfers.ts'

/** What the responder executes requests with (a Hono app's fetch). */
export type AppFetch = (req: Request, env?: unknown) => Response | Promise<Response>

/** Options of {@link startGwResponder}. */
export interface GwResponderOptions {
  nc: NatsConnection
  subject: string
  /** This gateway's entity: the publisher's baseEntity segment in the path is replaced by it. */
  baseEntity: string
  fetch: AppFetch
  /** Authorization header of the internal principal of `baseEntity`. */
  authorization: string
  log: Logger
  /** Limits of chunked transfers (defaults: DEFAULT_TRANSFER_LIMITS). */
  chunking?: Partial<TransferLimits>
}

/** Headers of the executed response that travel back. */
const REPLY_HEADERS = ['content-type', 'etag', 'location', 'retry-after', 'www-authenticate']

/** A running responder. */
export interface GwResponder {
  readonly subject: string
  /** Requests answered since start (a chunked request counts once, when answered). */
  readonly handled: number
  /** Chunked transfers open now (requests being received or executed, replies being pulled). */
  readonly transfers: number
  /** Bytes those transfers hold. */
  readonly transferBytes: number
  /** Drains the subscription (in-flight requests finish). */
  stop (): Promise<void>
}

/**
 * Subscribes and answers until stopped.
 * @example startGwResponder({ nc, subject: 'GW.onprem', baseEntity: 'acme', fetch: gw.app.fetch, authorization, log })
 */
export function startGwResponder (opts: GwResponderOptions): GwResponder {
  return new Responder(opts)
}

/** The running responder: the subscription, the in-flight requests and the chunked transfers. */
class Responder implements GwResponder {
  readonly subject: string
  private answered = 0
  private readonly log: Logger
  private readonly inflight = new Set<Promise<void>>()
  private readonly store: TransferStore
  private readonly sub: Subscription

  constructor (private readonly opts: GwResponderOptions) {
    this.subject = opts.subject
    const log = this.log = opts.log.child({ gw: opts.subject })
    this.store = createTransferStore(opts.nc, opts.subject, { ...DEFAULT_TRANSFER_LIMITS, ...opts.chunking }, log)
    this.sub = opts.nc.subscribe(opts.subject, {
      queue: gwQueueGroup(opts.subject),
      callback: (err, msg) => {
        if (err !== null) { log.error(`GW subscription error: ${err.message}`); return }
        this.track(this.answer(msg))
      }
    })
    log.info(`GW responder on ${opts.subject} (queue ${gwQueueGroup(opts.subject)})`)
  }

  get handled (): number { return this.answered }
  get transfers (): number { return this.store.open }
  get transferBytes (): number { return this.store.bytes }

  async stop (): Promise<void> {
    if (!this.sub.isClosed()) await this.sub.drain().catch(() => {})
    await Promise.allSettled([...this.inflight])
    this.store.close()
  }

  private track (p: Promise<void>): void {
    const q = p.finally(() => { this.inflight.delete(q) })
    this.inflight.add(q)
  }

  /** One message on the subject: a whole request, or the announce of a chunked one. */
  private async answer (msg: Msg): Promise<void> {
    if (msg.reply === undefined || msg.reply === '') return // a publish, not a request: nothing to answer
    let announce
    try {
      announce = decodeControl(msg.data)
    } catch (err) {
      this.respond(msg, errorReply('', 400, err instanceof EnvelopeError ? err.message : 'invalid GW message'), false)
      return
    }
    if (announce === undefined) {
      await this.handle(msg, msg.data)
      return
    }
    if (announce.type !== 'announce') {
      this.respond(msg, errorReply('', 400, `GW ${announce.type} is not a request`), false)
      return
    }
    const r = this.store.receive(announce,
      async (last, data) => {
        const p = this.handle(last, data)
        this.track(p)
        await p
      },
      (last, refusal) => { this.respond(last, errorReply(announce.id, refusal.status, refusal.detail), false) })
    if ('subject' in r) msg.respond(encodeControl(r))
    else this.respond(msg, errorReply(announce.id, r.status, r.detail), false)
  }

  /** Decodes, executes and answers one request (`data` arrived whole or was reassembled). */
  private async handle (msg: Msg, data: Uint8Array): Promise<void> {
    let req: GwRequest
    try {
      req = decodeRequest(data)
    } catch (err) {
      this.answered++
      this.respond(msg, errorReply('', 400, err instanceof EnvelopeError ? err.message : 'invalid GW request'), false)
      return
    }
    let reply: GwReply
    try {
      reply = await execute(req, this.opts)
    } catch (err) {
      this.log.error(`GW request ${req.id} failed: ${err instanceof Error ? err.stack ?? err.message : String(err)}`)
      reply = errorReply(req.id, 500, 'GW request failed at the subscriber gateway')
    }
    this.answered++
    this.respond(msg, reply, req.chunkedReply === true)
  }

  /** Sends the reply: whole, offered in chunks when too large, or a 502 to a publisher that cannot take chunks. */
  private respond (msg: Msg, reply: GwReply, chunkedReply: boolean): void {
    let data = encodeEnvelope(reply)
    const max = this.opts.nc.info?.max_payload
    if (max !== undefined && data.length > max) {
      if (chunkedReply) {
        const offered = this.store.offer(reply.id, data)
        data = 'subject' in offered ? encodeControl(offered) : encodeEnvelope(errorReply(reply.id, offered.status, offered.detail))
      } else {
        // a publisher that predates chunking cannot read a chunked reply
        data = encodeEnvelope(errorReply(reply.id, 502, `the response of ${data.length} bytes exceeds the NATS server's max_payload of ${max} bytes`))
      }
    }
    if (!msg.respond(data)) this.log.warn(`GW request ${reply.id}: could not reply`)
  }
}

/** Runs one request through the gateway's app as the entity's internal principal; the reply names the client's entity. */
async function execute (req: GwRequest, opts: GwResponderOptions): Promise<GwReply> {
  const { path, localBase, clientBase } = localPath(req.path, req.baseEntity, opts.baseEntity)
  const headers = new Headers(req.headers)
  headers.set('authorization', opts.authorization)
  headers.set('x-request-id', req.id)
  const origin = safeOrigin(req.origin)
  const url = `${origin}${path}${req.query !== '' ? `?${req.query}` : ''}`
  const hasBody = req.body !== null && req.method !== 'GET' && req.method !== 'HEAD'
  const res = await opts.fetch(new Request(url, { method: req.method, headers, body: hasBody ? req.body : null }),
    // in-process: the socket address the gateway's gates see is loopback
    { incoming: { socket: { remoteAddress: '127.0.0.1' } } })
  // meta.location and Location name our entity: give the client the address it used
  const fix = localBase === clientBase ? (s: string) => s : (s: string) => s.split(`${origin}${localBase}/`).join(`${origin}${clientBase}/`)
  const out: Record<string, string> = {}
  for (const h of REPLY_HEADERS) {
    const v = res.headers.get(h)
    if (v !== null) out[h] = h === 'location' ? fix(v) : v
  }
  const text = fix(await res.text())
  return { v: GW_PROTOCOL_VERSION, id: req.id, status: res.status, headers: out, body: text === '' ? null : text }
}

/**
 * Replaces the publisher's baseEntity segment (the first one equal to it) by ours. Returns the new
 * path and both path prefixes up to that segment (equal when nothing changed).
 * @example localPath('/scim/cloud/Users', 'cloud', 'onprem') // { path: '/scim/onprem/Users', localBase: '/scim/onprem', clientBase: '/scim/cloud' }
 */
export function localPath (path: string, theirs: string | undefined, ours: string): { path: string, localBase: string, clientBase: string } {
  const same = { path, localBase: '', clientBase: '' }
  if (theirs === undefined || theirs === ours || ours === 'undefined') return same
  const segs = path.split('/')
  const i = segs.findIndex(s => safeDecode(s).toLowerCase() === theirs.toLowerCase())
  if (i < 0) return same
  const clientBase = segs.slice(0, i + 1).join('/')
  segs[i] = encodeURIComponent(ours)
  return { path: segs.join('/'), localBase: segs.slice(0, i + 1).join('/'), clientBase }
}

function safeDecode (s: string): string {
  try { return decodeURIComponent(s) } catch { return s }
}

function safeOrigin (origin: string): string {
  try {
    const u = new URL(origin)
    if (u.protocol === 'http:' || u.protocol === 'https:') return u.origin
  } catch { /* fall through */ }
  return 'http://gw.invalid'
}

function errorReply (id: string, status: number, detail: string): GwReply {
  return {
    v: GW_PROTOCOL_VERSION, id, status,
    headers: { 'content-type': 'application/scim+json; charset=utf-8' },
    body: JSON.stringify({ schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'], status: String(status), detail })
  }
}
