// The REST client: one per connection (per baseEntity). Sends JSON (or forms) with undici over a
// keep-alive pool, adds the Authorization of the configured auth method, retries throttled and
// overloaded answers with back-off, fails over between base URLs, and turns every failure into a
// typed RestError. Plugins and the collectors share it.
import type { Dispatcher } from 'undici'
import { silentLogger, type Logger } from '../../logging/types.ts'
import { createAuth, type AuthProvider, type SamlAssertionProvider } from './auth/index.ts'
import { parseConnection, type ConnectionConfig } from './config.ts'
import { createDispatcher } from './dispatcher.ts'
import { causeText, errorCode, RestError } from './errors.ts'
import { backoffMs, connectFailure, parseRetryAfter, retryableError, retryableStatus, sleep } from './retry.ts'
import type { JsonObject } from '../../scim/types.ts'
import { createLimiter } from '../../util/async.ts'

export interface RestClientOptions {
  /** Directory relative TLS/key file names resolve against (scimgateway: `config/certs`). */
  certsDir?: string
  /** Makes the SAML assertion for auth.type oauthSamlBearer (default: lib/helpers/saml, SuccessFactors' form). */
  samlAssertion?: SamlAssertionProvider
  log?: Logger
  /** Where to look when a token request is refused, in the caller's config terms (e.g. `entra.<tenant>.auth client_id/client_secret`). */
  authHint?: string
  /** Clock, randomness and the wait between attempts (tests). */
  now?: () => number
  random?: () => number
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>
}

export interface RestRequest {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'HEAD'
  /** Path appended to the base URL (`/Users/1`), or an absolute URL (paging links). */
  path: string
  query?: Record<string, string | number | boolean | undefined>
  /** JSON body (sent as application/json unless `headers['content-type']` says otherwise). */
  body?: unknown
  /** Form body (application/x-www-form-urlencoded); excludes `body`. */
  form?: Record<string, string>
  headers?: Record<string, string>
  /** The caller's Authorization header (auth pass-through) instead of the configured auth. */
  authorization?: string
  signal?: AbortSignal
  /** Statuses returned instead of thrown (default: 2xx only). */
  accept?: readonly number[]
  /** Time budget of this request in ms, retries included (default connection.options.abortTimeout). */
  timeoutMs?: number
  /** Time one attempt may take in ms (default connection.options.attemptTimeout: none). */
  attemptTimeoutMs?: number
}

export interface RestResponse<T = unknown> {
  status: number
  headers: Record<string, string>
  /** Parsed JSON when the answer is JSON, text otherwise, undefined when empty. */
  body: T
  /** The URL that answered. */
  url: string
  attempts: number
}

export interface RestStats { requests: number, attempts: number, retries: number, failovers: number, tokenRequests: number }

const DEFAULT_TIMEOUT_S = 120
/** A signal that never aborts, for waits of requests without a caller signal. */
const NEVER = new AbortController().signal

/**
 * @example
 * const client = createRestClient({ baseUrls: ['https://scim.example.com/scim/v2'], auth: { type: 'basic', options: { username: 'u', password: 'p' } } })
 * const res = await client.request<{ Resources: unknown[] }>({ method: 'GET', path: '/Users', query: { filter: 'userName eq "bjensen"' } })
 * await client.close()
 */
export function createRestClient (connection: unknown, opts: RestClientOptions = {}): RestClient {
  return new RestClient(parseConnection(connection), opts)
}

export class RestClient {
  readonly config: ConnectionConfig
  readonly #dispatcher: Dispatcher
  readonly #auth: AuthProvider
  readonly #origins: Set<string>
  readonly #log: Logger
  readonly #now: () => number
  readonly #random: () => number
  readonly #sleep: (ms: number, signal: AbortSignal) => Promise<void>
  /** Runs one attempt's HTTP exchange, within `maxConcurrent` when set. */
  readonly #slot: <R>(task: () => Promise<R>) => Promise<R>
  readonly #headers: Record<string, string>
  readonly #stats = { requests: 0, attempts: 0, retries: 0, failovers: 0 }
  /** Index of the base URL in use: stays on the one that last worked (sticky failover). */
  #current = 0

  constructor (config: ConnectionConfig, opts: RestClientOptions = {}) {
    this.config = config
    const certsDir = opts.certsDir ?? `${process.cwd()}/config/certs`
    this.#log = opts.log ?? silentLogger
    this.#now = opts.now ?? Date.now
    this.#random = opts.random ?? Math.random
    this.#sleep = opts.sleep ?? sleep
    const limiter = config.maxConcurrent !== undefined ? createLimiter(config.maxConcurrent) : undefined
    this.#slot = limiter !== undefined ? async task => await limiter.run(task) : async task => await task()
    this.#dispatcher = createDispatcher(config, certsDir)
    this.#origins = new Set(config.baseUrls.map(u => new URL(u).origin))
    this.#headers = { accept: 'application/json', ...lower(config.options?.headers ?? {}) }
    this.#auth = createAuth(config.auth, {
      certsDir,
      baseUrl: config.baseUrls[0] ?? '',
      currentBaseUrl: () => this.baseUrl,
      now: this.#now,
      log: this.#log,
      ...(opts.authHint !== undefined ? { hint: opts.authHint } : {}),
      ...(opts.samlAssertion !== undefined ? { samlAssertion: opts.samlAssertion } : {}),
      post: async (url, form, signal) => {
        const r = await this.request({ method: 'POST', path: url, form, signal, accept: [400, 401, 403, 404], authorization: '' })
        return { status: r.status, body: r.body }
      }
    })
  }

  get stats (): RestStats { return { ...this.#stats, tokenRequests: this.#auth.tokenRequests } }

  /** The base URL requests go to now. */
  get baseUrl (): string { return this.config.baseUrls[this.#current] ?? '' }

  /** JWKS to publish at the federated-credential issuer (auth.options.fedCred), else undefined. */
  async jwks (): Promise<{ keys: JsonObject[] } | undefined> { return await this.#auth.jwks?.() }

  /** Shorthand: `doRequest('GET', '/Users/1')` → parsed body (scimgateway's HelperRest.doRequest order). */
  async doRequest<T = unknown> (method: RestRequest['method'], path: string, body?: unknown, more: Partial<RestRequest> = {}): Promise<RestResponse<T>> {
    return await this.request<T>({ ...more, method, path, ...(body !== undefined ? { body } : {}) })
  }

  async request<T = unknown> (req: RestRequest): Promise<RestResponse<T>> {
    this.#stats.requests++
    const o = this.config.options
    const attemptMs = req.attemptTimeoutMs ?? (o?.attemptTimeout !== undefined ? o.attemptTimeout * 1000 : undefined)
    const timeoutMs = req.timeoutMs ?? (o?.abortTimeout !== undefined ? o.abortTimeout * 1000 : attemptMs !== undefined ? Number.POSITIVE_INFINITY : DEFAULT_TIMEOUT_S * 1000)
    // the time budget is enforced by undici's own headers/body timeouts (set to what is left of it on
    // each attempt) and by the waits between attempts: no timer, controller or listener per request
    const deadline = performance.now() + timeoutMs
    const signal = req.signal ?? NEVER
    const retry = this.config.retry
    // an absolute URL under a base URL (a paging link) is requested relative to it: failover still works
    const path = this.relativePath(req.path) ?? req.path
    const absolute = /^https?:\/\//i.test(path)
    const n = absolute ? 1 : this.config.baseUrls.length
    const perUrl = retry.retriesPerUrl
    let renewedToken = false
    let attempt = 0
    let sameUrl = 0 // retries on the base URL in use (per-URL mode)
    const failures: RestError[] = [] // one per base URL given up on (per-URL mode)
    let url = ''
    let attemptStart = 0
    const fail = (e: unknown): RestError => {
      if (req.signal?.aborted === true) return new RestError(`${req.method} ${shortUrl(url)} aborted by the caller`, { kind: 'aborted', method: req.method, url, attempts: attempt, cause: req.signal.reason })
      const code = errorCode(e)
      const timedOut = code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT'
      if (timedOut && attemptMs !== undefined && performance.now() < deadline && performance.now() - attemptStart >= attemptMs - 5) return new RestError(`${req.method} ${shortUrl(url)} timed out after ${attemptMs} ms`, { kind: 'timeout', method: req.method, url, attempts: attempt, cause: e })
      if (timedOut || performance.now() >= deadline) return new RestError(`${req.method} ${shortUrl(url)} timed out after ${timeoutMs} ms (${attempt} attempt(s))`, { kind: 'timeout', method: req.method, url, attempts: attempt, cause: e })
      if (e instanceof RestError) return e
      return new RestError(`${req.method} ${shortUrl(url)} failed: ${causeText(e)}`, { kind: 'network', method: req.method, url, attempts: attempt, cause: e })
    }
    /** Waits before the next attempt; when the budget does not allow it, `last` is the answer. */
    const wait = async (ms: number, last: RestError): Promise<void> => {
      if (performance.now() + ms >= deadline) throw last
      try { await this.#sleep(ms, signal) } catch (e) { throw fail(e) }
    }
    /** Per-URL mode: gives up on the base URL in use; the next one, or every failure when none is left. */
    const moveOn = (index: number, err: RestError): void => {
      failures.push(err)
      if (failures.length >= n) {
        if (n === 1) throw err
        throw new RestError(`every base URL failed: ${failures.map(f => f.message).join(' | ')}`, { kind: err.kind, method: req.method, url, attempts: attempt, ...(err.status !== undefined ? { status: err.status, body: err.body } : {}), cause: err })
      }
      sameUrl = 0
      this.#failover(index, n, url, err.message)
    }
    for (;;) {
      attempt++
      this.#stats.attempts++
      const index = this.#current
      url = this.#url(req, path, absolute ? '' : this.config.baseUrls[index] ?? '')
      let status: number
      let headers: Record<string, string>
      let body: unknown
      let authHeader: string | undefined
      try {
        authHeader = await this.#authorization(req, url, signal)
        const h = this.#requestHeaders(req, authHeader)
        ;({ status, headers, body } = await this.#slot(async () => {
          if (req.signal?.aborted === true) throw req.signal.reason
          attemptStart = performance.now()
          const left = Math.max(1, Math.ceil(Math.min(attemptMs ?? Number.POSITIVE_INFINITY, deadline - attemptStart)))
          // the dispatcher's own request(): undici's top-level request() would parse the URL again
          const { origin, path: target } = splitUrl(url)
          const res = await this.#dispatcher.request({ origin, path: target, method: req.method, headers: h, body: encodeBody(req) ?? null, signal: req.signal, headersTimeout: left, bodyTimeout: left })
          const rh = flatHeaders(res.headers)
          return { status: res.statusCode, headers: rh, body: await readBody(res.body, rh['content-type'], res.statusCode) }
        }))
      } catch (e) {
        const err = fail(e)
        if (perUrl !== undefined) {
          const timedOutAttempt = err.kind === 'timeout' && performance.now() < deadline
          if (!timedOutAttempt && (err.kind !== 'network' || !retryableError(e, req.method))) throw err
          moveOn(index, err)
          continue
        }
        if (err.kind !== 'network' || attempt >= retry.maxAttempts || !retryableError(e, req.method)) throw err
        if (n > 1 && connectFailure(e)) this.#failover(index, n, url, err.message)
        this.#stats.retries++
        await wait(backoffMs(attempt, undefined, retry, this.#random), err)
        continue
      }
      if (status === 401 && authHeader !== undefined && req.authorization === undefined && !renewedToken && this.#auth.invalidate(authHeader)) {
        renewedToken = true // a revoked or rotated token: fetch a new one once
        continue
      }
      const accepted = (status >= 200 && status < 300) || (req.accept?.includes(status) ?? false)
      if (accepted) return { status, headers, body: body as T, url, attempts: attempt }
      const ra = parseRetryAfter(headers['retry-after'], this.#now())
      const err = new RestError(`${req.method} ${shortUrl(url)} answered ${status}${detailOf(body)}`, { kind: 'status', method: req.method, url, status, body, attempts: attempt, ...(retryableStatus(status, req.method) && ra !== undefined ? { retryAfterMs: ra } : {}) })
      const retryable = retryableStatus(status, req.method)
      const again = perUrl !== undefined ? retryable && sameUrl < perUrl : retryable && attempt < retry.maxAttempts
      if (again) {
        if (ra !== undefined && ra > retry.maxRetryAfterMs && retry.capRetryAfter !== true) {
          throw new RestError(`${req.method} ${shortUrl(url)} answered ${status} with Retry-After ${Math.ceil(ra / 1000)} s (longer than retry.maxRetryAfterMs)`, { kind: 'status', method: req.method, url, status, body, attempts: attempt, retryAfterMs: ra })
        }
        if (perUrl === undefined && status !== 429 && n > 1) this.#failover(index, n, url, `HTTP ${status}`)
        sameUrl++
        this.#stats.retries++
        // per-URL mode: the back-off grows with the retries on this base URL
        const ms = Math.min(backoffMs(perUrl !== undefined ? sameUrl : attempt, ra, retry, this.#random), ra !== undefined && retry.capRetryAfter === true ? retry.maxRetryAfterMs : Number.POSITIVE_INFINITY)
        this.#log.warn(`${req.method} ${shortUrl(url)} answered ${status}; retry ${perUrl !== undefined ? `${sameUrl}/${perUrl}` : `${attempt}/${retry.maxAttempts - 1}`} in ${ms} ms`)
        await wait(ms, new RestError(`${err.message} (no time left to retry)`, { kind: 'status', method: req.method, url, status, body, attempts: attempt, ...(ra !== undefined ? { retryAfterMs: ra } : {}) }))
        continue
      }
      // per-URL mode: a server error (or throttling that outlasted its retries) is the server's
      // problem, another base URL may do better; other answers are the caller's and fail at once
      if (perUrl !== undefined && (status >= 500 || status === 429)) {
        moveOn(index, err)
        continue
      }
      throw err
    }
  }

  /**
   * The part of an absolute URL after one of the base URLs (`/Users?startIndex=2`), so it can be
   * requested from any of them; the path itself when it is not absolute; undefined for a URL
   * elsewhere. A base URL at the root of its host takes every URL of that origin.
   */
  relativePath (target: string): string | undefined {
    if (!/^https?:\/\//i.test(target)) return target
    for (const raw of this.config.baseUrls) {
      const b = raw.replace(/\/+$/, '')
      if (target === b) return ''
      if (target.startsWith(b) && /^[/?]/.test(target.slice(b.length))) return target.slice(b.length)
    }
    let origin: string
    try { origin = new URL(target).origin } catch { return undefined }
    for (const b of this.config.baseUrls) {
      const bu = new URL(b)
      if (bu.origin === origin && (bu.pathname === '/' || bu.pathname === '')) return target.slice(origin.length)
    }
    return undefined
  }

  /** True when `url` is on the origin of a base URL (the configured Authorization is sent there). */
  ownsUrl (url: string): boolean {
    try { return this.#origins.has(new URL(url).origin) } catch { return false }
  }

  /** Closes the connection pool. */
  async close (): Promise<void> {
    await this.#dispatcher.close()
  }

  #url (req: RestRequest, path: string, base: string): string {
    const u = /^https?:\/\//i.test(path) ? path : `${base.replace(/\/+$/, '')}${path === '' || path.startsWith('/') || path.startsWith('?') ? '' : '/'}${path}`
    if (req.query === undefined) return u
    const q = new URLSearchParams()
    for (const [k, v] of Object.entries(req.query)) if (v !== undefined) q.append(k, String(v))
    const qs = q.toString()
    return qs === '' ? u : `${u}${u.includes('?') ? '&' : '?'}${qs}`
  }

  /** The configured auth goes only to the configured origins, never to a foreign absolute URL. */
  async #authorization (req: RestRequest, url: string, signal: AbortSignal): Promise<string | undefined> {
    if (req.authorization !== undefined) return req.authorization === '' ? undefined : req.authorization
    if (!this.#origins.has(new URL(url).origin)) return undefined
    return await this.#auth.authorization(signal)
  }

  #requestHeaders (req: RestRequest, auth: string | undefined): Record<string, string> {
    const h: Record<string, string> = { ...this.#headers, ...lower(req.headers ?? {}) }
    if (auth !== undefined) h.authorization = auth
    if (req.form !== undefined) h['content-type'] = 'application/x-www-form-urlencoded'
    else if (req.body !== undefined && h['content-type'] === undefined) h['content-type'] = 'application/json'
    return h
  }

  #failover (from: number, n: number, url: string, why: string): void {
    if (this.#current !== from) return // another request already moved on
    this.#current = (from + 1) % n
    this.#stats.failovers++
    this.#log.warn(`REST failover: ${shortUrl(url)} (${why}); now using ${this.config.baseUrls[this.#current] ?? ''}`)
  }
}

/** A URL for messages: paging state tokens ($deltatoken, $skiptoken) shortened. */
export function shortUrl (url: string): string {
  return url.replace(/([?&]\$?(?:deltatoken|skiptoken)=)([^&]{12})[^&]*/gi, '$1$2…')
}

function lower (h: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries(h)) out[k.toLowerCase()] = v
  return out
}

/** `https://host:port/a/b?c` → origin `https://host:port`, path `/a/b?c` (path `/` when there is none). */
export function splitUrl (url: string): { origin: string, path: string } {
  // anything a request line cannot carry as it is (spaces, non-ASCII): let the URL parser encode it
  if (/[^\x21-\x7e]/.test(url)) {
    const u = new URL(url)
    return { origin: u.origin, path: `${u.pathname}${u.search}` }
  }
  const hostStart = url.indexOf('//') + 2
  let i = hostStart
  while (i < url.length && url[i] !== '/' && url[i] !== '?' && url[i] !== '#') i++
  const rest = url.slice(i)
  return { origin: url.slice(0, i), path: rest === '' ? '/' : rest.startsWith('/') ? rest : `/${rest}` }
}

function encodeBody (req: RestRequest): string | undefined {
  if (req.form !== undefined) return new URLSearchParams(req.form).toString()
  if (req.body === undefined) return undefined
  return typeof req.body === 'string' ? req.body : JSON.stringify(req.body)
}

function flatHeaders (h: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries(h)) if (v !== undefined) out[k] = Array.isArray(v) ? v.join(', ') : v
  return out
}

async function readBody (body: Dispatcher.ResponseData['body'], contentType: string | undefined, status: number): Promise<unknown> {
  const text = await body.text()
  if (text === '' || status === 204) return undefined
  if (contentType !== undefined && /json/i.test(contentType)) {
    try { return JSON.parse(text) as unknown } catch { return text }
  }
  return text
}

/** A short reason from an error body (SCIM `detail`, OAuth `error_description`, Graph `error.message`). */
function detailOf (body: unknown): string {
  if (typeof body === 'string') return body === '' ? '' : `: ${body.slice(0, 200)}`
  if (typeof body !== 'object' || body === null) return ''
  const b = body as Record<string, unknown>
  const inner = typeof b.error === 'object' && b.error !== null ? b.error as Record<string, unknown> : undefined
  const d = b.detail ?? b.error_description ?? inner?.message ?? b.message
  // Graph and other OData APIs name the error: `Request_ResourceNotFound`, `syncStateNotFound`
  const code = typeof inner?.code === 'string' ? `${inner.code}${typeof d === 'string' ? ': ' : ''}` : ''
  return typeof d === 'string' || code !== '' ? `: ${code}${typeof d === 'string' ? d.slice(0, 200) : ''}` : ''
}
