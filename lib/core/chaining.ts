// Gateway chaining (`scimgateway.chainingBaseUrl`): gateway1 → gateway2 → … → endpoint. This gateway
// authenticates the caller with its own auth config first (unless `auth.passThrough` is on, when the
// next gateway alone decides), then forwards the request as it came — method, path below the chaining
// base (baseEntity, /v1|/v2 and all), query, body, the caller's Authorization header (the next gateway
// validates it again) — and answers with the next gateway's response. URLs in the answer (Location,
// meta.location) are rewritten to this gateway's address so clients never see the inner one.
// The plugin is not called for forwarded routes; /ping, /logger and /auth stay local.
import { ScimError } from '../scim/errors.ts'
import type { RequestForwarder } from './options.ts'
import type { RouteResource } from './route-path.ts'
import { readBodyText } from './http/body.ts'

const LOCAL: ReadonlySet<RouteResource> = new Set(['Ping', 'Logger', 'Auth'])
const REQUEST_HEADERS = ['authorization', 'content-type', 'accept', 'if-match', 'if-none-match', 'x-request-id', 'user-agent']
const RESPONSE_HEADERS = ['content-type', 'etag', 'location', 'www-authenticate', 'retry-after', 'cache-control']

export interface ChainingOptions {
  /** The next gateway, e.g. `https://gateway2:8880` (a path such as `/scim` is kept). */
  baseUrl: string
  /** Abort the forwarded request after this many ms (→ 504). */
  timeoutMs: number
  maxPayloadBytes: number
}

/** Checks a chainingBaseUrl; returns it without a trailing slash. */
export function parseChainingBaseUrl (value: string): string {
  let u: URL
  try { u = new URL(value) } catch { throw new Error(`"${value}" is not a URL (expected http(s)://host:port)`) }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error(`"${value}" must be an http:// or https:// URL`)
  if (u.search !== '' || u.hash !== '') throw new Error(`"${value}" must not have a query or fragment`)
  return u.toString().replace(/\/+$/, '')
}

/**
 * The forwarder that sends every SCIM request on to the next gateway.
 * @example createChainingForwarder({ baseUrl: 'https://gateway2:8880', timeoutMs: 60_000, maxPayloadBytes: 1 << 20 })
 */
export function createChainingForwarder (opts: ChainingOptions): RequestForwarder {
  const base = parseChainingBaseUrl(opts.baseUrl)
  return async (req, route, rc) => {
    if (LOCAL.has(route.resource)) return undefined
    const url = new URL(req.url)
    const target = base + url.pathname + url.search
    const headers = new Headers()
    for (const h of REQUEST_HEADERS) {
      const v = req.headers.get(h)
      if (v !== null) headers.set(h, v)
    }
    headers.set('x-request-id', rc.requestId)
    const client = req.headers.get('x-forwarded-for')
    headers.set('x-forwarded-for', client === null ? 'unknown' : client)
    const method = req.method.toUpperCase()
    const body = method === 'GET' || method === 'HEAD' || method === 'DELETE' ? undefined : await readBodyText(req, opts.maxPayloadBytes, rc.incoming)
    const signal = AbortSignal.any([rc.signal, AbortSignal.timeout(opts.timeoutMs)])
    let res: Response
    try {
      res = await fetch(target, { method, headers, ...(body !== undefined && body !== '' ? { body } : {}), signal, redirect: 'manual' })
    } catch (err) {
      const cause = err instanceof Error ? (err.cause instanceof Error ? err.cause.message : err.message) : String(err)
      if (err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError')) {
        rc.log.warn(`chaining: ${method} ${target} timed out after ${opts.timeoutMs} ms`)
        throw new ScimError(504, undefined, `the chained gateway did not answer within ${opts.timeoutMs} ms`)
      }
      rc.log.error(`chaining: ${method} ${target} failed: ${cause}`)
      throw new ScimError(502, undefined, `the chained gateway could not be reached: ${cause}`)
    }
    const own = url.origin
    const out = new Headers()
    for (const h of RESPONSE_HEADERS) {
      const v = res.headers.get(h)
      if (v !== null) out.set(h, h === 'location' ? rewrite(v, base, own) : v)
    }
    const ct = res.headers.get('content-type') ?? ''
    if (res.status === 204 || res.body === null) return new Response(null, { status: res.status, headers: out })
    if (/json/i.test(ct)) return new Response(rewrite(await res.text(), base, own), { status: res.status, headers: out })
    return new Response(res.body, { status: res.status, headers: out })
  }
}

/** Replaces the next gateway's base URL (and its origin) with this gateway's origin. */
function rewrite (text: string, base: string, own: string): string {
  if (!text.includes(base)) {
    const origin = new URL(base).origin
    return text.includes(origin) ? text.split(origin).join(own) : text
  }
  return text.split(base).join(own)
}
