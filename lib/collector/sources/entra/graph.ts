// Microsoft Graph GET client of the Entra collector: bearer token from auth.ts, per-request timeout,
// bounded retries of 429/503/504 honouring Retry-After (seconds or date; back-off when absent), one
// token refresh on 401, and `@odata.nextLink` paging. Links are followed only on the configured Graph
// host (the token is never sent anywhere else). Messages name the URL with its state tokens
// ($deltatoken, $skiptoken) shortened, never a bearer token.
import type { Logger } from '../../../logging/types.ts'
import { abortableSleep, causeOf, retryAfterMs } from '../net.ts'
import { EntraAuthError, type EntraAuth } from './auth.ts'

/** An HTTP failure of Graph. `status` is absent for connection errors and timeouts. */
export class GraphHttpError extends Error {
  readonly status: number | undefined
  /** Graph's `error.code` (e.g. `syncStateNotFound`, `Request_ResourceNotFound`), when it sent one. */
  readonly code: string | undefined
  constructor (message: string, status?: number, code?: string) {
    super(message)
    this.name = 'GraphHttpError'
    this.status = status
    this.code = code
  }
}

/** Graph error codes that mean "this delta link is no longer usable: synchronize again". */
const RESYNC_CODES = new Set(['syncstatenotfound', 'resyncrequired', 'syncstateinvalid', 'resyncapplication', 'resyncchangesapplydifferences', 'resyncchangesuploaddifferences'])

/** True when Graph rejected a delta link (410 Gone, syncStateNotFound, resyncRequired, …): start a new round. */
export function needsResync (err: unknown): boolean {
  if (!(err instanceof GraphHttpError)) return false
  if (err.status === 410) return true
  return err.code !== undefined && RESYNC_CODES.has(err.code.toLowerCase())
}

/** Dependencies and limits of {@link createGraphClient}. */
export interface GraphClientOptions {
  /** `https://graph.microsoft.com` (no trailing slash). */
  graphUrl: string
  auth: EntraAuth
  fetch: typeof fetch
  log: Logger
  timeoutMs: number
  /** Retries of one request answered 429/503/504. */
  maxRetries: number
  /** Upper bound of pages followed by {@link GraphClient.pages}. */
  maxPages: number
  /** Requests in flight at once (further callers wait for a slot; default unbounded). */
  maxConcurrency?: number
  /** Longest wait honoured from a Retry-After header (ms; default 120 000). */
  maxRetryAfterMs?: number
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>
  now?: () => Date
}

/** One page of a collection. */
export interface GraphPage {
  value: unknown[]
  nextLink?: string
  deltaLink?: string
}

/** A JSON GET client for Graph. */
export interface GraphClient {
  /** GETs a path (`/v1.0/users/delta?…`) or an absolute URL on the Graph host. */
  getJson (target: string, signal: AbortSignal): Promise<unknown>
  /** Follows `@odata.nextLink` from `target`; the last page carries `deltaLink` when Graph sent one. */
  pages (target: string, signal: AbortSignal): AsyncGenerator<GraphPage>
  /** Requests answered so far (retries included). */
  readonly requests: number
}

/**
 * Creates the client.
 * @example const graph = createGraphClient({ graphUrl, auth, fetch, log, timeoutMs: 60_000, maxRetries: 4, maxPages: 100_000 })
 */
export function createGraphClient (opts: GraphClientOptions): GraphClient {
  const { auth, log } = opts
  const origin = new URL(opts.graphUrl).origin
  const sleep = opts.sleep ?? abortableSleep
  const now = opts.now ?? (() => new Date())
  const maxRetryAfterMs = opts.maxRetryAfterMs ?? 120_000
  const limit = createLimiter(opts.maxConcurrency ?? Number.POSITIVE_INFINITY)
  let requests = 0

  const resolve = (target: string): string => {
    if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(target)) return `${opts.graphUrl}${target.startsWith('/') ? '' : '/'}${target}`
    if (new URL(target).origin !== origin) throw new GraphHttpError(`refusing to follow ${shortUrl(target)}: not on the Graph host ${origin} (the token is sent only there)`)
    return target
  }

  const getJson = async (target: string, signal: AbortSignal): Promise<unknown> => await limit(async () => await getJsonNow(target, signal))

  const getJsonNow = async (target: string, signal: AbortSignal): Promise<unknown> => {
    const url = resolve(target)
    let retries = 0
    let refreshed = false
    for (;;) {
      let res: Response
      let authorization = ''
      try {
        authorization = await auth.authorization(signal)
        requests++
        res = await opts.fetch(url, {
          headers: { Accept: 'application/json', Authorization: authorization },
          signal: AbortSignal.any([signal, AbortSignal.timeout(opts.timeoutMs)])
        })
      } catch (err) {
        if (signal.aborted) throw signal.reason ?? err
        if (err instanceof EntraAuthError) throw err
        const e = err as Error
        throw new GraphHttpError(`${shortUrl(url)}: ${e.name === 'TimeoutError' ? `timed out after ${opts.timeoutMs} ms` : `connection failed: ${causeOf(e)}`}`)
      }
      if (res.ok) {
        try {
          return await res.json()
        } catch (err) {
          if (signal.aborted) throw signal.reason ?? err
          throw new GraphHttpError(`${shortUrl(url)}: unreadable JSON body`, res.status)
        }
      }
      const text = await res.text().catch(() => '')
      if (res.status === 401 && !refreshed) {
        refreshed = true
        auth.invalidate(authorization)
        continue
      }
      if ((res.status === 429 || res.status === 503 || res.status === 504) && retries < opts.maxRetries) {
        const wait = retryAfterMs(res.headers.get('retry-after'), now(), retries, maxRetryAfterMs)
        retries++
        log.warn(`Microsoft Graph answered ${res.status}; retry ${retries}/${opts.maxRetries} in ${wait} ms`, { url: shortUrl(url) })
        await sleep(wait, signal)
        continue
      }
      const { code, message } = graphError(text)
      throw new GraphHttpError(`${shortUrl(url)}: HTTP ${res.status}${code !== undefined ? ` ${code}` : ''}${message !== undefined ? `: ${message}` : ''}`, res.status, code)
    }
  }

  return {
    get requests () { return requests },
    getJson,
    async * pages (target, signal) {
      const seen = new Set<string>()
      let next: string | undefined = target
      for (let n = 1; next !== undefined; n++) {
        const body = await getJson(next, signal) as Record<string, unknown> | null
        const value = body?.value
        if (body === null || typeof body !== 'object' || !Array.isArray(value)) throw new GraphHttpError(`${shortUrl(next)}: the answer has no value array`)
        const nextLink = typeof body['@odata.nextLink'] === 'string' ? body['@odata.nextLink'] : undefined
        const deltaLink = typeof body['@odata.deltaLink'] === 'string' ? body['@odata.deltaLink'] : undefined
        if (nextLink !== undefined) {
          if (seen.has(nextLink)) throw new GraphHttpError(`Graph links back to a page already read (${shortUrl(nextLink)})`)
          if (n >= opts.maxPages) throw new GraphHttpError(`more than max_pages (${opts.maxPages}) pages from ${shortUrl(target)}`)
          seen.add(nextLink)
        }
        yield { value, ...(nextLink !== undefined ? { nextLink } : {}), ...(deltaLink !== undefined ? { deltaLink } : {}) }
        next = nextLink
      }
    }
  }
}

/** A counting semaphore: at most `max` calls of `fn` run at once, the others wait in order. */
export function createLimiter (max: number): <T>(fn: () => Promise<T>) => Promise<T> {
  let active = 0
  const waiting: Array<() => void> = []
  return async <T>(fn: () => Promise<T>): Promise<T> => {
    if (active < max) active++
    else await new Promise<void>(resolve => { waiting.push(resolve) }) // the slot is handed over
    try {
      return await fn()
    } finally {
      const next = waiting.shift()
      if (next !== undefined) next()
      else active--
    }
  }
}

/** A URL for messages: state tokens ($deltatoken, $skiptoken) shortened. */
export function shortUrl (url: string): string {
  return url.replace(/([?&]\$?(?:deltatoken|skiptoken)=)([^&]{12})[^&]*/gi, '$1$2…')
}

function graphError (text: string): { code?: string, message?: string } {
  try {
    const e = (JSON.parse(text) as { error?: { code?: unknown, message?: unknown } }).error
    return {
      ...(typeof e?.code === 'string' ? { code: e.code } : {}),
      ...(typeof e?.message === 'string' ? { message: e.message.slice(0, 300) } : {})
    }
  } catch {
    return text.trim() !== '' ? { message: text.trim().slice(0, 300) } : {}
  }
}
