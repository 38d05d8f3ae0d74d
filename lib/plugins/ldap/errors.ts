// LDAP result codes and transport failures → SCIM errors. A directory that is down or unreachable
// is 503 (the caller may retry), an operation that timed out is 504, a directory answer the
// gateway cannot use (bind refused, unknown attribute in the mapping, access denied) is 502, and a
// request the directory refuses because of its content is 4xx with the directory's diagnostic.
import { ResultCodeError } from 'ldapts'
import { ScimError } from '../../scim/errors.ts'
import { GatewayTimeoutError, ServiceUnavailableError, UpstreamError } from '../sdk/errors.ts'

export const LDAP = {
  noSuchAttribute: 16,
  undefinedType: 17,
  constraintViolation: 19,
  typeOrValueExists: 20,
  invalidSyntax: 21,
  noSuchObject: 32,
  invalidDnSyntax: 34,
  invalidCredentials: 49,
  insufficientAccess: 50,
  busy: 51,
  unavailable: 52,
  unwillingToPerform: 53,
  namingViolation: 64,
  objectClassViolation: 65,
  notAllowedOnNonLeaf: 66,
  notAllowedOnRdn: 67,
  alreadyExists: 68
} as const

export function ldapCode (err: unknown): number | undefined {
  return err instanceof ResultCodeError ? err.code : undefined
}

const NETWORK = /Socket error|Connection closed|Connection timeout|Socket connection not established|ECONNREFUSED|ECONNRESET|EHOSTUNREACH|ENETUNREACH|ENOTFOUND|EPIPE|EAI_AGAIN|socket hang up/i

/** True for failures of the connection itself (not of the operation). */
export function isConnectionError (err: unknown): boolean {
  if (!(err instanceof Error) || err instanceof ResultCodeError) return false
  const code = (err as { code?: unknown }).code
  return NETWORK.test(err.message) || (typeof code === 'string' && NETWORK.test(code))
}

export function isTimeout (err: unknown): boolean {
  return err instanceof Error && !(err instanceof ResultCodeError) && /Operation timed out/i.test(err.message)
}

/** The directory's own message without ldapts's " Code: 0x.." suffix. */
function diagnostic (err: Error): string {
  return err.message.replace(/\s*Code: 0x[0-9a-f]+$/i, '')
}

/**
 * A ScimError for any failure of an LDAP operation. `what` names the operation for the detail
 * ("create user \"bjensen\""). ScimErrors pass through.
 */
export function toScimError (err: unknown, what: string): ScimError {
  if (err instanceof ScimError) return err
  if (isTimeout(err)) return new GatewayTimeoutError(`LDAP ${what}: the directory did not answer in time`, { cause: err })
  if (isConnectionError(err)) return new ServiceUnavailableError(`LDAP ${what}: directory unavailable (${(err as Error).message.split('\n').pop() ?? ''})`, { cause: err })
  const code = ldapCode(err)
  if (code === undefined || !(err instanceof Error)) return new UpstreamError(`LDAP ${what} failed: ${err instanceof Error ? err.message : String(err)}`, { cause: err })
  const msg = diagnostic(err)
  switch (code) {
    case LDAP.alreadyExists: return new ScimError(409, 'uniqueness', `LDAP ${what}: an entry with this name already exists (${msg})`, { cause: err })
    case LDAP.noSuchObject: return new ScimError(404, undefined, `LDAP ${what}: no such entry`, { cause: err })
    case LDAP.invalidDnSyntax:
    case LDAP.namingViolation:
    case LDAP.constraintViolation:
    case LDAP.invalidSyntax:
    case LDAP.objectClassViolation:
    case LDAP.notAllowedOnRdn:
    case LDAP.unwillingToPerform:
      return new ScimError(400, 'invalidValue', `LDAP ${what} refused by the directory: ${msg}`, { cause: err })
    case LDAP.busy:
    case LDAP.unavailable:
      return new ServiceUnavailableError(`LDAP ${what}: directory busy or unavailable (${msg})`, { cause: err })
    case 3: // timeLimitExceeded
      return new GatewayTimeoutError(`LDAP ${what}: time limit exceeded`, { cause: err })
    default:
      return new UpstreamError(`LDAP ${what} failed: ${msg}`, { cause: err })
  }
}
