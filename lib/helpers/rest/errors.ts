// Typed errors of the REST client. Callers switch over `kind` (and `status`) instead of parsing
// messages; the plugin SDK maps them to its upstream errors (502/503/504) at one place.
// Messages name the method and URL, never a secret, token or Authorization header.

/**
 * What went wrong:
 * - `config`: the connection configuration cannot be used (bad file, missing option).
 * - `network`: no HTTP answer (connection refused/reset, DNS, TLS handshake, proxy refused).
 * - `timeout`: the request's time budget ran out.
 * - `aborted`: the caller's signal aborted the request.
 * - `status`: the server answered with a status the caller did not accept (see `status`, `body`).
 * - `auth`: the token endpoint refused the client or answered without a usable token.
 */
export type RestErrorKind = 'config' | 'network' | 'timeout' | 'aborted' | 'status' | 'auth'

export interface RestErrorInit {
  kind: RestErrorKind
  method?: string
  url?: string
  status?: number
  /** Parsed response body (JSON or text) of a `status` error. */
  body?: unknown
  /** Attempts made (retries and failovers included). */
  attempts?: number
  /** Milliseconds the server asked to wait (Retry-After) when that was more than the client waits. */
  retryAfterMs?: number
  cause?: unknown
}

/**
 * An outbound request failed.
 * @example
 * try { await client.request({ method: 'GET', path: '/Users/1' }) } catch (e) {
 *   if (isRestError(e) && e.kind === 'status' && e.status === 404) return undefined
 *   throw e
 * }
 */
export class RestError extends Error {
  readonly kind: RestErrorKind
  readonly method: string | undefined
  readonly url: string | undefined
  readonly status: number | undefined
  readonly body: unknown
  readonly attempts: number
  readonly retryAfterMs: number | undefined

  constructor (message: string, init: RestErrorInit) {
    super(message, init.cause !== undefined ? { cause: init.cause } : undefined)
    this.name = 'RestError'
    this.kind = init.kind
    this.method = init.method
    this.url = init.url
    this.status = init.status
    this.body = init.body
    this.attempts = init.attempts ?? 0
    this.retryAfterMs = init.retryAfterMs
  }
}

/** True for a RestError (also across module copies, by name and kind). */
export function isRestError (e: unknown): e is RestError {
  return e instanceof RestError || (e instanceof Error && e.name === 'RestError' && 'kind' in e)
}

/** The socket-level cause of a failed request (`ECONNREFUSED connect …`), else the error's message. */
export function causeText (e: unknown): string {
  if (!(e instanceof Error)) return String(e)
  const c = (e as { cause?: unknown }).cause
  const code = (e as { code?: unknown }).code
  if (c instanceof Error) return causeText(c)
  return typeof code === 'string' && !e.message.includes(code) ? `${code} ${e.message}` : e.message
}

/** The error code of a failed request (`ECONNREFUSED`, `UND_ERR_SOCKET`, …), looking through causes. */
export function errorCode (e: unknown): string | undefined {
  for (let cur: unknown = e, i = 0; cur instanceof Error && i < 5; cur = (cur as { cause?: unknown }).cause, i++) {
    const code = (cur as { code?: unknown }).code
    if (typeof code === 'string') return code
  }
  return undefined
}
