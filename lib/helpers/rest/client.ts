// The REST client: one per connection (per baseEntity). Sends JSON (or forms) with undici over a
// keep-alive pool, adds the Authorization of the configured auth method, retries throttled and
// overloaded answers with back-off, fails over between base URLs, and turns every failure into a
// typed RestError. Plugins and the collectors share it.
import { request, type Dispatcher } from 'undici'
import { silentLogger, type Logger } from '../../logging/types.ts'
import { createAuth, type AuthProvider, type SamlAssertionProvider } from './auth/index.ts'
import { parseConnection, type ConnectionConfig } from './config.ts'
import { createDispatcher } from './dispatcher.ts'
import { causeText, errorCode, RestError } from './errors.ts'
import { backoffMs, connectFailure, parseRetryAfter, retryableError, retryableStatus, sleep } from './retry.ts'
import type { JsonObject } from '../../scim/types.ts'

export interface RestClientOptions {
  /** Directory relative TLS/key file names resolve against (scimgateway: `config/certs`). */
  certsDir?: string
  /** Makes the SAML assertion for auth.type oauthSamlBearer (default: lib/helpers/saml, SuccessFactors' form). */
  samlAssertion?: SamlAssertionProvider
  log?: Logger
  /** Clock and randomness (tests). */
  now?: () => number
  random?: () => number
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
    this.#dispatcher = createDispatcher(config, certsDir)
    this.#origins = new Set(config.baseUrls.map(u => new URL(u).origin))
    this.#headers = { accept: 'application/json', ...lower(config.options?.headers ?? {}) }
    this.#auth = createAuth(config.auth, {
      certsDir,
      baseUrl: config.baseUrls[0] ?? '',
      now: this.#now,
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
    const timeoutMs = req.timeoutMs ?? (this.config.options?.abortTimeout ?? DEFAULT_TIMEOUT_S) * 1000
    // the time budget is enforced by undici's own headers/body timeouts (set to what is left of it on
    // each attempt) and by the waits between attempts: no timer, controller or listener per request
    const deadline = performance.now() + timeoutMs
    const signal = req.signal ?? NEVER
    const retry = this.config.retry
    const absolute = /^https?:\/\//i.test(req.path)
    const n = absolute ? 1 : this.config.baseUrls.length
    let renewedToken = false
    let attempt = 0
    let url = ''
    const fail = (e: unknown): RestError => {
      if (req.signal?.aborted === true) return new RestError(`${req.method} ${url} aborted by the caller`, { kind: 'aborted', method: req.method, url, attempts: attempt, cause: req.signal.reason })
      const code = errorCode(e)
      if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT' || performance.now() >= deadline) return new RestError(`${req.method} ${url} timed out after ${timeoutMs} ms (${attempt} attempt(s))`, { kind: 'timeout', method: req.method, url, attempts: attempt, cause: e })
      if (e instanceof RestError) return e
      return new RestError(`${req.method} ${url} failed: ${causeText(e)}`, { kind: 'network', method: req.method, url, attempts: attempt, cause: e })
    }
    /** Waits before the next attempt; when the budget does not allow it, `last` is the answer. */
    const wait = async (ms: number, last: RestError): Promise<void> => {
      if (performance.now() + ms >= deadline) throw last
      try { await sleep(ms, signal) } catch (e) { throw fail(e) }
    }
    for (;;) {
      attempt++
      this.#stats.attempts++
      const index = this.#current
      url = this.#url(req, absolute ? req.path : this.config.baseUrls[index] ?? '')
      let status: number
      let headers: Record<string, string>
      let body: unknown
      let authHeader: string | undefined
      try {
        authHeader = await this.#authorization(req, url, signal)
        const left = Math.max(1, Math.ceil(deadline - performance.now()))
        const res = await request(url, { method: req.method, headers: this.#requestHeaders(req, authHeader), body: encodeBody(req), dispatcher: this.#dispatcher, signal: req.signal, headersTimeout: left, bodyTimeout: left })
        status = res.statusCode
        headers = flatHeaders(res.headers)
        body = await readBody(res.body, headers['content-type'], status)
      } catch (e) {
        const err = fail(e)
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
      if (!accepted && retryableStatus(status, req.method) && attempt < retry.maxAttempts) {
        const ra = parseRetryAfter(headers['retry-after'], this.#now())
        if (ra !== undefined && ra > retry.maxRetryAfterMs) {
          throw new RestError(`${req.method} ${url} answered ${status} with Retry-After ${Math.ceil(ra / 1000)} s (longer than retry.maxRetryAfterMs)`, { kind: 'status', method: req.method, url, status, body, attempts: attempt, retryAfterMs: ra })
        }
        if (status !== 429 && n > 1) this.#failover(index, n, url, `HTTP ${status}`)
        this.#stats.retries++
        await wait(backoffMs(attempt, ra, retry, this.#random), new RestError(`${req.method} ${url} answered ${status}${detailOf(body)} (no time left to retry)`, { kind: 'status', method: req.method, url, status, body, attempts: attempt, ...(ra !== undefined ? { retryAfterMs: ra } : {}) }))
        continue
      }
      if (!accepted) {
        throw new RestError(`${req.method} ${url} answered ${status}${detailOf(body)}`, { kind: 'status', method: req.method, url, status, body, attempts: attempt, ...(retryableStatus(status, req.method) ? { retryAfterMs: parseRetryAfter(headers['retry-after'], this.#now()) } : {}) })
      }
      return { status, headers, body: body as T, url, attempts: attempt }
    }
  }

  /** Closes the connection pool. */
  async close (): Promise<void> {
    await this.#dispatcher.close()
  }

  #url (req: RestRequest, base: string): string {
    const u = /^https?:\/\//i.test(req.path) ? req.path : `${base.replace(/\/+$/, '')}${req.path === '' || req.path.startsWith('/') || req.path.startsWith('?') ? '' : '/'}${req.path}`
    if (req.query === undefined) return u
    const q = new URLSearchParams()
    for (const [k, v] of Object.entries(req.query)) if (v !== undefined) q.append(k, String(v))
    const qs = q.toString()
    return qs === '' ? u : `${u}${u.includes('?') ? '&' : '?'}${qs}`
  }

  /** The configured auth goes only to the configured origins, never to a foreign absolute URL. */
  async #authorization (req: RestRequest, url: string, signal: AbortSignal): Promise<string | undefined> {
    if (req.authorization !== undefined) return req.authorization === '' ? undefined : req.authorization
    if (/^https?:\/\//i.test(req.path) && !this.#origins.has(new URL(url).origin)) return undefined
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
    this.#log.warn(`REST failover: ${url} (${why}) → ${this.config.baseUrls[this.#current] ?? ''}`)
  }
}

function lower (h: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries(h)) out[k.toLowerCase()] = v
  return out
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
  const inner = typeof b.error === 'object' && b.error !== null ? (b.error as Record<string, unknown>).message : undefined
  const d = b.detail ?? b.error_description ?? inner ?? b.message
  return typeof d === 'string' ? `: ${d.slice(0, 200)}` : ''
}
