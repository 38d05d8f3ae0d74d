// When and how long the REST client waits before another attempt. Written here rather than using
// undici's RetryHandler because attempts also fail over between base URLs, the back-off has jitter
// (so many clients throttled at once do not come back at once), and a too-long Retry-After must fail
// fast with a typed error instead of being silently shortened.
import type { RetryConfig } from './config.ts'
import { errorCode } from './errors.ts'

/** Statuses answered by a server that is overloaded or throttling: worth another attempt. */
export const RETRY_STATUSES: ReadonlySet<number> = new Set([429, 503, 504])

const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE'])

/** Codes meaning the request never reached the server: safe to send again, even a POST. */
const NOT_SENT = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_PRX_TLS'])

/**
 * May a response with this status be retried? 429 and 503 say the request was not processed;
 * a 504 may have been processed upstream, so only idempotent methods repeat it.
 */
export function retryableStatus (status: number, method: string): boolean {
  if (!RETRY_STATUSES.has(status)) return false
  return status !== 504 || IDEMPOTENT.has(method)
}

/** Certificate and TLS verification failures: the next attempt would fail the same way. */
const TLS_FAILURE = /^(CERT_|UNABLE_TO_|DEPTH_ZERO|SELF_SIGNED|ERR_TLS|ERR_SSL|HOSTNAME_MISMATCH)/

/** May a request that failed without an answer be retried (and failed over)? */
export function retryableError (err: unknown, method: string): boolean {
  const code = errorCode(err)
  if (code !== undefined && TLS_FAILURE.test(code)) return false
  if (code !== undefined && NOT_SENT.has(code)) return true
  // reset/closed sockets or a TLS failure after sending: repeat only what is idempotent
  return IDEMPOTENT.has(method)
}

/** True when the failure means the base URL itself is unusable (switch to the next one). */
export function connectFailure (err: unknown): boolean {
  const code = errorCode(err)
  return code !== undefined && (NOT_SENT.has(code) || code === 'ECONNRESET' || code === 'UND_ERR_SOCKET')
}

/** Milliseconds asked by a Retry-After header (seconds or an HTTP date); undefined when absent/bad. */
export function parseRetryAfter (header: string | undefined, nowMs: number): number | undefined {
  if (header === undefined) return undefined
  const h = header.trim()
  if (h === '') return undefined
  if (/^\d+(\.\d+)?$/.test(h)) return Math.round(Number(h) * 1000)
  const t = Date.parse(h)
  return Number.isNaN(t) ? undefined : Math.max(0, t - nowMs)
}

/**
 * The wait before attempt `attempt + 1` (attempt counts from 1): the server's Retry-After plus up
 * to 10 % jitter, else exponential back-off with jitter (half fixed, half random), capped by `maxDelayMs`.
 */
export function backoffMs (attempt: number, retryAfterMs: number | undefined, cfg: RetryConfig, random: () => number = Math.random): number {
  if (retryAfterMs !== undefined) return Math.round(retryAfterMs + retryAfterMs * 0.1 * random())
  const ceiling = Math.min(cfg.maxDelayMs, cfg.baseDelayMs * 2 ** (attempt - 1))
  return Math.round(ceiling / 2 + (ceiling / 2) * random())
}

/** Waits `ms`, or rejects with the signal's reason as soon as it aborts. */
export async function sleep (ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) throw signal.reason
  if (ms <= 0) return
  await new Promise<void>((resolve, reject) => {
    const onAbort = (): void => { clearTimeout(t); reject(signal.reason) }
    const t = setTimeout(() => { signal.removeEventListener('abort', onAbort); resolve() }, ms)
    signal.addEventListener('abort', onAbort, { once: true })
  })
}
