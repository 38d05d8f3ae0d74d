// Typed upstream errors for plugins: what went wrong between the plugin and its backend, as a
// ScimError with the HTTP status the gateway answers (502/503/504) and the original error as `cause`.
// The gateway turns untyped backend failures (ECONNREFUSED from fetch, a socket reset, a client's
// `status: 503`) into these at the plugin boundary (lib/core/plugin-guard.ts), so the HTTP edge and
// the stream subscriber's classifier (5xx → transient) see the same error.
import { ScimError } from '../../scim/errors.ts'

/** The backend answered badly or the connection broke mid-way (502 Bad Gateway). Retryable. */
export class UpstreamError extends ScimError {
  constructor (detail: string, options?: { cause?: unknown }) {
    super(502, undefined, detail, options)
    this.name = 'UpstreamError'
  }
}

/** The backend cannot be reached or says it is unavailable (503). Retryable. */
export class ServiceUnavailableError extends ScimError {
  /** Seconds the client may wait before retrying (sent as Retry-After when set). */
  readonly retryAfter: number | undefined
  constructor (detail: string, options?: { cause?: unknown, retryAfter?: number }) {
    super(503, undefined, detail, options)
    this.name = 'ServiceUnavailableError'
    this.retryAfter = options?.retryAfter
  }
}

/** The backend (or the plugin) did not answer in time (504). Retryable. */
export class GatewayTimeoutError extends ScimError {
  constructor (detail: string, options?: { cause?: unknown }) {
    super(504, undefined, detail, options)
    this.name = 'GatewayTimeoutError'
  }
}

/** Connection could not be made: the backend is down or unknown → 503. */
const UNREACHABLE = new Set([
  'ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'ENETDOWN', 'EHOSTDOWN', 'EAI_AGAIN', 'ENOTFOUND',
  'UND_ERR_CONNECT', 'ESOCKET', 'ELOGIN'
])
/** The backend took too long → 504. */
const TIMED_OUT = new Set([
  'ETIMEDOUT', 'ESOCKETTIMEDOUT', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'ETIMEOUT'
])
/** The connection broke or the answer was unusable → 502. */
const BROKEN = new Set([
  'ECONNRESET', 'ECONNABORTED', 'EPIPE', 'UND_ERR_SOCKET', 'UND_ERR_CLOSED', 'UND_ERR_RESPONSE_STATUS_CODE',
  'HPE_INVALID_CONSTANT', 'HPE_INVALID_HEADER_TOKEN', 'ECONNCLOSED', 'EPROTO'
])

/**
 * The typed error an untyped backend failure means, or undefined when `err` is not recognisably a
 * backend failure (a plugin bug stays what it is: a 500). A ScimError is returned unchanged.
 * Recognised (the `cause` chain is followed): Node/undici network codes (ECONNREFUSED → 503,
 * ETIMEDOUT → 504, ECONNRESET → 502), a `TimeoutError`, and errors carrying an HTTP `status` or
 * `statusCode` of the backend (5xx → 502/503/504; 401/403/407 → 502, since the backend refused the
 * gateway, not the client; other 4xx → the same 4xx, so a missing entry is 404).
 * @example
 * try { await fetch(url) } catch (err) { throw toUpstreamError(err, 'GET /users') ?? err }
 */
export function toUpstreamError (err: unknown, what = 'backend request'): ScimError | undefined {
  if (err instanceof ScimError) return err
  for (let e: unknown = err, depth = 0; typeof e === 'object' && e !== null && depth < 8; depth++) {
    const o = e as { name?: unknown, code?: unknown, status?: unknown, statusCode?: unknown, message?: unknown, cause?: unknown }
    const msg = typeof o.message === 'string' && o.message !== '' ? `: ${o.message}` : ''
    const code = typeof o.code === 'string' ? o.code : undefined
    if (code !== undefined && UNREACHABLE.has(code)) return new ServiceUnavailableError(`${what} failed, backend unreachable (${code})`, { cause: err })
    if ((code !== undefined && TIMED_OUT.has(code)) || o.name === 'TimeoutError') return new GatewayTimeoutError(`${what} timed out${code !== undefined ? ` (${code})` : ''}`, { cause: err })
    if (code !== undefined && BROKEN.has(code)) return new UpstreamError(`${what} failed, connection broken (${code})`, { cause: err })
    const status = typeof o.status === 'number' ? o.status : typeof o.statusCode === 'number' ? o.statusCode : undefined
    if (status !== undefined && status >= 400 && status < 600) {
      if (status === 503) return new ServiceUnavailableError(`${what}: backend answered 503${msg}`, { cause: err })
      if (status === 504) return new GatewayTimeoutError(`${what}: backend answered 504${msg}`, { cause: err })
      if (status >= 500) return new UpstreamError(`${what}: backend answered ${status}${msg}`, { cause: err })
      // the backend refusing the gateway's own credentials is not the SCIM client's auth problem
      if (status === 401 || status === 403 || status === 407) return new UpstreamError(`${what}: backend refused the gateway's credentials (${status})${msg}`, { cause: err })
      return new ScimError(status, undefined, `${what}: backend answered ${status}${msg}`, { cause: err })
    }
    e = o.cause
  }
  return undefined
}

/** True for the three retryable upstream statuses (what the stream classifier retries, too). */
export function isUpstreamStatus (status: number): boolean {
  return status === 502 || status === 503 || status === 504
}
