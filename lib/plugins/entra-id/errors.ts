// What a Graph error answer means for the SCIM client. Graph's body is
// `{ error: { code, message } }`; the mapping follows the codes Microsoft documents:
// 404 Request_ResourceNotFound → 404; 400 "… already exist…" / Request_MultipleObjectsWithSameKeyValue
// → 409 uniqueness; 400 "Invalid object identifier" (an id Graph cannot parse) → 404 for an id the
// client named; other 400s → 400 invalidValue with Graph's message; Authorization_RequestDenied
// (403: the app lacks a permission or role) → 403 when the operation is refused for this object,
// 401/403 InvalidAuthenticationToken (the gateway's own token) → 502; 429/503 after the REST
// client's retries → 503 with Retry-After; network trouble → the SDK's typed upstream errors.
import { isRestError } from '../../helpers/rest/errors.ts'
import { ScimError } from '../../scim/errors.ts'
import { ServiceUnavailableError, toUpstreamError, UpstreamError } from '../sdk/errors.ts'

/** Graph's `{ error: { code, message } }` (also a $batch item's body). */
export interface GraphErrorBody { code: string, message: string }

export function graphErrorOf (body: unknown): GraphErrorBody | undefined {
  if (typeof body !== 'object' || body === null) return undefined
  const e = (body as { error?: unknown }).error
  if (typeof e !== 'object' || e === null) return undefined
  const { code, message } = e as { code?: unknown, message?: unknown }
  return { code: typeof code === 'string' ? code : '', message: typeof message === 'string' ? message : '' }
}

/**
 * The ScimError of a Graph status + body. `what` names the call ("POST /users").
 * @example throw graphScimError(404, { error: { code: 'Request_ResourceNotFound', message: '…' } }, 'GET /users/x')
 */
export function graphScimError (status: number, body: unknown, what: string, retryAfterS?: number, cause?: unknown): ScimError {
  const g = graphErrorOf(body) ?? { code: '', message: '' }
  const detail = `Graph ${what}: ${g.code !== '' ? `${g.code}: ` : ''}${g.message !== '' ? g.message : `answered ${status}`}`
  const opts = cause !== undefined ? { cause } : undefined
  if (status === 404 || g.code === 'Request_ResourceNotFound') return new ScimError(404, undefined, detail, opts)
  if (status === 400 && /invalid object identifier/i.test(g.message)) return new ScimError(404, undefined, detail, opts)
  if ((status === 400 || status === 409) && (/already exist/i.test(g.message) || g.code === 'Request_MultipleObjectsWithSameKeyValue')) return new ScimError(409, 'uniqueness', detail, opts)
  if (status === 429 || status === 503) return new ServiceUnavailableError(detail, { ...opts, ...(retryAfterS !== undefined ? { retryAfter: retryAfterS } : {}) })
  if (g.code === 'Authorization_RequestDenied' || g.code === 'Authorization_RequestDenied_InsufficientPrivileges') return new ScimError(403, undefined, `${detail} (the gateway's app registration lacks a Graph permission or directory role for this)`, opts)
  if (status === 401 || status === 403) return new UpstreamError(`${detail} (Graph refused the gateway's token)`, opts)
  if (status === 400) return new ScimError(400, 'invalidValue', detail, opts)
  if (status >= 400 && status < 500) return new ScimError(status, undefined, detail, opts)
  return new UpstreamError(detail, opts)
}

/** The ScimError of anything a Graph call threw (RestError from the REST client, or other). */
export function graphError (err: unknown, what: string): ScimError {
  if (err instanceof ScimError) return err
  if (isRestError(err) && err.kind === 'aborted' && err.cause instanceof ScimError) return err.cause
  if (isRestError(err) && err.kind === 'status' && err.status !== undefined) {
    return graphScimError(err.status, err.body, what, err.retryAfterMs !== undefined ? Math.ceil(err.retryAfterMs / 1000) : undefined, err)
  }
  return toUpstreamError(err, `Graph ${what}`) ?? new UpstreamError(`Graph ${what} failed: ${err instanceof Error ? err.message : String(err)}`, { cause: err })
}
