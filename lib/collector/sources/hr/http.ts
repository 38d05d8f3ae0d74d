// GET with JSON answer against a list of base URLs: per-request timeout, bounded retries with
// Retry-After on 429/503, one token refresh on 401, and failover in order across `base_urls`.
// A connection error, a timeout, a 5xx (or 429/503 once its retries are used up) or an unreadable
// body moves on to the next base URL; other 4xx answers are the caller's mistake and fail at once.
// The base URL that answered last is tried first next time ("remember the last good one").
import { abortableSleep, causeOf, retryAfterMs } from '../net.ts'
import type { Logger } from '../../../logging/types.ts'
import { HrAuthError, type HrAuth } from './auth.ts'

/** An HTTP failure of the HR source. `status` is absent for connection errors and timeouts. */
export class HrHttpError extends Error {
  readonly status: number | undefined
  readonly url: string
  constructor (message: string, url: string, status?: number) {
    super(message)
    this.name = 'HrHttpError'
    this.url = url
    this.status = status
  }
}

/** Dependencies and limits of {@link createHrHttp}. */
export interface HrHttpOptions {
  baseUrls: readonly string[]
  auth: HrAuth
  fetch: typeof fetch
  log: Logger
  /** Per request, in ms. */
  timeoutMs: number
  /** Retries of a 429/503 on the same base URL. */
  maxRetries: number
  /** Longest wait honoured from a Retry-After header (ms; default 120 000). */
  maxRetryAfterMs?: number
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>
  now?: () => Date
}

/** The result of one GET. */
export interface HrResponse {
  body: unknown
  /** The base URL that answered. */
  baseUrl: string
  url: string
}

/** A JSON GET client over several base URLs. */
export interface HrHttp {
  /** GETs `target`: a path+query (appended to a base URL) or an absolute URL under a base URL. */
  getJson (target: string, signal: AbortSignal): Promise<HrResponse>
  /** The base URL tried first (the last one that answered). */
  readonly preferredBaseUrl: string
}

/**
 * Creates the client.
 * @example const http = createHrHttp({ baseUrls, auth, fetch, log, timeoutMs: 60_000, maxRetries: 3 })
 */
export function createHrHttp (opts: HrHttpOptions): HrHttp {
  const { baseUrls, auth, log } = opts
  const sleep = opts.sleep ?? abortableSleep
  const now = opts.now ?? (() => new Date())
  const maxRetryAfterMs = opts.maxRetryAfterMs ?? 120_000
  let preferred = 0

  const attempt = async (base: string, url: string, signal: AbortSignal): Promise<{ ok: true, body: unknown } | { ok: false, failover: boolean, error: HrHttpError }> => {
    let retries = 0
    let refreshed = false
    for (;;) {
      let res: Response
      try {
        const headers = await auth.headers(base, signal)
        res = await opts.fetch(url, {
          headers: { Accept: 'application/json', ...headers },
          signal: AbortSignal.any([signal, AbortSignal.timeout(opts.timeoutMs)])
        })
      } catch (err) {
        if (signal.aborted) throw signal.reason ?? err
        const e = err as Error
        const timedOut = e.name === 'TimeoutError'
        const what = timedOut ? `timed out after ${opts.timeoutMs} ms` : e instanceof HrAuthError ? e.message : `connection failed: ${causeOf(e)}`
        return { ok: false, failover: true, error: new HrHttpError(`${url}: ${what}`, url) }
      }
      if (res.ok) {
        try {
          return { ok: true, body: await res.json() }
        } catch (err) {
          if (signal.aborted) throw signal.reason ?? err
          return { ok: false, failover: true, error: new HrHttpError(`${url}: unreadable JSON body (${(err as Error).message})`, url, res.status) }
        }
      }
      const text = await res.text().catch(() => '')
      if (res.status === 401 && auth.refreshable && !refreshed) {
        refreshed = true
        auth.invalidate()
        continue
      }
      if ((res.status === 429 || res.status === 503) && retries < opts.maxRetries) {
        const wait = retryAfterMs(res.headers.get('retry-after'), now(), retries, maxRetryAfterMs)
        retries++
        log.warn(`HR source answered ${res.status}; retry ${retries}/${opts.maxRetries} in ${wait} ms`, { url })
        await sleep(wait, signal)
        continue
      }
      const error = new HrHttpError(`${url}: HTTP ${res.status} ${text.slice(0, 300)}`.trimEnd(), url, res.status)
      return { ok: false, failover: res.status >= 500 || res.status === 429, error }
    }
  }

  return {
    get preferredBaseUrl () { return baseUrls[preferred] ?? '' },
    async getJson (target, signal) {
      const rel = relativeTo(target, baseUrls)
      if (rel === undefined) {
        // Credentials go only to the hosts of the configured base URLs, never to a host a server names.
        const base = sameOriginBase(target, baseUrls)
        if (base === undefined) throw new HrHttpError(`${target} is not under any of auth.base_urls`, target)
        const r = await attempt(base, target, signal)
        if (r.ok) return { body: r.body, baseUrl: base, url: target }
        throw r.error
      }
      const errors: HrHttpError[] = []
      for (let n = 0; n < baseUrls.length; n++) {
        const i = (preferred + n) % baseUrls.length
        const base = baseUrls[i]
        if (base === undefined) continue
        const url = base + rel
        const r = await attempt(base, url, signal)
        if (r.ok) {
          if (i !== preferred) log.warn(`HR source failover: now using ${base}`)
          preferred = i
          return { body: r.body, baseUrl: base, url }
        }
        errors.push(r.error)
        if (!r.failover) throw r.error
        log.warn(`HR source ${base} failed: ${r.error.message}`)
      }
      const last = errors[errors.length - 1]
      throw new HrHttpError(`every base URL failed: ${errors.map(e => e.message).join(' | ')}`, last?.url ?? rel, last?.status)
    }
  }
}

/**
 * The part of `target` after one of the base URLs (so it can be requested from any of them), the
 * target itself when it is already relative, undefined for a foreign absolute URL.
 */
export function relativeTo (target: string, baseUrls: readonly string[]): string | undefined {
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(target)) return target.startsWith('/') ? target : `/${target}`
  for (const b of baseUrls) {
    if (target === b) return ''
    if (target.startsWith(b) && /^[/?]/.test(target.slice(b.length))) return target.slice(b.length)
  }
  // Same origin as a base URL but outside its path (the server links to its own root path).
  const origin = new URL(target).origin
  for (const b of baseUrls) {
    const bu = new URL(b)
    if (bu.origin === origin && bu.pathname === '/') return target.slice(origin.length)
  }
  return undefined
}

/** The base URL with the same origin as the absolute URL `target`, if any. */
export function sameOriginBase (target: string, baseUrls: readonly string[]): string | undefined {
  let origin: string
  try {
    origin = new URL(target).origin
  } catch {
    return undefined
  }
  return baseUrls.find(b => new URL(b).origin === origin)
}
