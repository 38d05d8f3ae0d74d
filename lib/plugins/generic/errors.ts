// What a failed call to the target SCIM server means for the gateway's client: the target's own
// SCIM error (4xx with scimType and detail) is passed on as it is; the target being down, slow or
// refusing the gateway's credentials becomes a typed upstream error (502/503/504, with cause).
import { isRestError } from '../../helpers/rest/errors.ts'
import { ScimError, type ScimType } from '../../scim/errors.ts'
import { ServiceUnavailableError, toUpstreamError, UpstreamError } from '../sdk/errors.ts'

const SCIM_TYPES: ReadonlySet<string> = new Set(['invalidFilter', 'tooMany', 'uniqueness', 'mutability', 'invalidSyntax', 'invalidPath', 'noTarget', 'invalidValue', 'invalidVers', 'sensitive'])

/**
 * The ScimError a target failure is for the client. `what` names the call ("POST /Users");
 * `callerAuth`: the request carried the SCIM client's own credentials (auth pass-through), so a
 * 401/403 of the target is the client's answer, not a gateway misconfiguration (502).
 */
export function targetError (err: unknown, what: string, callerAuth = false): ScimError {
  if (err instanceof ScimError) return err
  if (callerAuth && isRestError(err) && err.kind === 'status' && (err.status === 401 || err.status === 403)) {
    return new ScimError(err.status, undefined, `the target refused the credentials (${err.status})`, { cause: err })
  }
  // aborted by the gateway (plugin timeout → 504, client gone): its reason is the answer
  if (isRestError(err) && err.kind === 'aborted' && err.cause instanceof ScimError) return err.cause
  if (isRestError(err) && err.kind === 'status' && err.status !== undefined && err.status >= 400 && err.status < 500 && ![401, 403, 407].includes(err.status)) {
    const body = typeof err.body === 'object' && err.body !== null ? err.body as Record<string, unknown> : {}
    // SCIM 1.1 errors are { Errors: [{ description, code }] } and have no scimType; a 1.1 409 is a uniqueness conflict
    const v1 = Array.isArray(body.Errors) && typeof body.Errors[0] === 'object' && body.Errors[0] !== null ? body.Errors[0] as Record<string, unknown> : undefined
    const scimType = typeof body.scimType === 'string' && SCIM_TYPES.has(body.scimType) ? body.scimType as ScimType : err.status === 409 ? 'uniqueness' : undefined
    const detail = typeof body.detail === 'string' ? body.detail : typeof v1?.description === 'string' ? v1.description : `target answered ${err.status}`
    return new ScimError(err.status, scimType, detail, { cause: err })
  }
  // an overloaded target's Retry-After is passed on to the client (after our own retries gave up)
  if (isRestError(err) && err.kind === 'status' && (err.status === 503 || err.status === 429) && err.retryAfterMs !== undefined) {
    return new ServiceUnavailableError(`target SCIM server: ${what}: answered ${err.status}, retry after ${Math.ceil(err.retryAfterMs / 1000)} s`, { cause: err, retryAfter: Math.ceil(err.retryAfterMs / 1000) })
  }
  return toUpstreamError(err, `target SCIM server: ${what}`) ?? new UpstreamError(`target SCIM server: ${what} failed: ${err instanceof Error ? err.message : String(err)}`, { cause: err })
}
