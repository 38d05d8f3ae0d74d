// Error classification for the transport: retry (nak with back-off) or give up (term + dead letter).
import { isScimError } from '../../scim/errors.ts'
import { isPermanentMessageError } from '../message.ts'

/** What the transport does with a failed message. */
export type ErrorClass = 'transient' | 'permanent'

const TRANSIENT_CODES = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'ECONNABORTED', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'ENETDOWN',
  'EHOSTDOWN', 'EAI_AGAIN', 'ENOTFOUND', 'ESOCKETTIMEDOUT', 'EBUSY', 'EMFILE', 'ENFILE',
  'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'UND_ERR_SOCKET', 'UND_ERR_CLOSED'
])

/**
 * Classifies an error of `parseStreamMessage`/`applyStreamMessage`:
 * - permanent: PermanentMessageError (invalid message or template); a SCIM/HTTP 4xx except 408 and
 *   429 (the endpoint rejects the change — retrying cannot help); 501 (the plugin lacks the method);
 * - transient: 408, 429, other 5xx; network errors (ECONNREFUSED, ECONNRESET, ETIMEDOUT, …);
 *   AbortError/TimeoutError; and anything unrecognised — never drop a message because of an error we
 *   cannot explain (the consumer's max-deliver bound ends endless retries).
 * The `cause` chain is followed.
 * @example classifyError(new ScimError(409, 'uniqueness', 'taken')) // 'permanent'
 */
export function classifyError (err: unknown): ErrorClass {
  for (let e: unknown = err, depth = 0; e !== undefined && e !== null && depth < 8; depth++) {
    if (isPermanentMessageError(e)) return 'permanent'
    const status = isScimError(e) ? e.status : httpStatus(e)
    if (status !== undefined) return classifyStatus(status)
    if (typeof e !== 'object') break
    const o = e as { name?: unknown, code?: unknown, cause?: unknown }
    if (o.name === 'AbortError' || o.name === 'TimeoutError') return 'transient'
    if (typeof o.code === 'string' && TRANSIENT_CODES.has(o.code)) return 'transient'
    e = o.cause
  }
  return 'transient'
}

function classifyStatus (status: number): ErrorClass {
  if (status === 408 || status === 429) return 'transient'
  if (status === 501) return 'permanent'
  if (status >= 400 && status < 500) return 'permanent'
  return 'transient'
}

/** `status`/`statusCode` of HTTP client errors (HelperRest and similar). */
function httpStatus (e: unknown): number | undefined {
  if (typeof e !== 'object' || e === null) return undefined
  const o = e as { status?: unknown, statusCode?: unknown }
  const s = typeof o.status === 'number' ? o.status : typeof o.statusCode === 'number' ? o.statusCode : undefined
  return s !== undefined && s >= 400 && s < 600 ? s : undefined
}
