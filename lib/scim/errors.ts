// ScimError: the one error type of the SCIM library. Carries HTTP status, scimType (RFC 7644 §3.12)
// and a human-readable detail. Mapped to HTTP only at the edge (lib/core).
import type { ScimVersion } from './types.ts'

/** scimType values defined by RFC 7644 §3.12 (Table 9). */
export type ScimType =
  | 'invalidFilter' | 'tooMany' | 'uniqueness' | 'mutability' | 'invalidSyntax'
  | 'invalidPath' | 'noTarget' | 'invalidValue' | 'invalidVers' | 'sensitive'

/**
 * A SCIM protocol error. `status` is the HTTP status, `scimType` the RFC 7644 error keyword.
 * @example
 * throw new ScimError(409, 'uniqueness', 'userName "bjensen" already exists')
 */
export class ScimError extends Error {
  readonly status: number
  readonly scimType: ScimType | undefined
  readonly detail: string

  constructor (status: number, scimType: ScimType | undefined, detail: string, options?: ErrorOptions) {
    super(detail, options)
    this.name = 'ScimError'
    this.status = status
    this.scimType = scimType
    this.detail = detail
  }
}

export class InvalidFilterError extends ScimError {
  constructor (detail: string, options?: ErrorOptions) { super(400, 'invalidFilter', detail, options); this.name = 'InvalidFilterError' }
}
export class InvalidPathError extends ScimError {
  constructor (detail: string, options?: ErrorOptions) { super(400, 'invalidPath', detail, options); this.name = 'InvalidPathError' }
}
export class NoTargetError extends ScimError {
  constructor (detail: string, options?: ErrorOptions) { super(400, 'noTarget', detail, options); this.name = 'NoTargetError' }
}
export class InvalidValueError extends ScimError {
  constructor (detail: string, options?: ErrorOptions) { super(400, 'invalidValue', detail, options); this.name = 'InvalidValueError' }
}
export class InvalidSyntaxError extends ScimError {
  constructor (detail: string, options?: ErrorOptions) { super(400, 'invalidSyntax', detail, options); this.name = 'InvalidSyntaxError' }
}
export class MutabilityError extends ScimError {
  constructor (detail: string, options?: ErrorOptions) { super(400, 'mutability', detail, options); this.name = 'MutabilityError' }
}
export class TooManyError extends ScimError {
  constructor (detail: string, options?: ErrorOptions) { super(400, 'tooMany', detail, options); this.name = 'TooManyError' }
}
export class UniquenessError extends ScimError {
  constructor (detail: string, options?: ErrorOptions) { super(409, 'uniqueness', detail, options); this.name = 'UniquenessError' }
}
export class NotFoundError extends ScimError {
  constructor (detail: string, options?: ErrorOptions) { super(404, undefined, detail, options); this.name = 'NotFoundError' }
}
export class ConflictError extends ScimError {
  constructor (detail: string, options?: ErrorOptions) { super(409, undefined, detail, options); this.name = 'ConflictError' }
}
export class PreconditionFailedError extends ScimError {
  constructor (detail: string, options?: ErrorOptions) { super(412, undefined, detail, options); this.name = 'PreconditionFailedError' }
}
export class PayloadTooLargeError extends ScimError {
  constructor (detail: string, options?: ErrorOptions) { super(413, undefined, detail, options); this.name = 'PayloadTooLargeError' }
}
export class NotImplementedError extends ScimError {
  constructor (detail: string, options?: ErrorOptions) { super(501, undefined, detail, options); this.name = 'NotImplementedError' }
}

export function isScimError (e: unknown): e is ScimError {
  return e instanceof ScimError
}
export function isInvalidFilter (e: unknown): e is ScimError {
  return e instanceof ScimError && e.scimType === 'invalidFilter'
}
export function isNotFound (e: unknown): e is ScimError {
  return e instanceof ScimError && e.status === 404
}

export const ERROR_SCHEMA_V2 = 'urn:ietf:params:scim:api:messages:2.0:Error'

/** SCIM 2.0 error body (RFC 7644 §3.12): status is a string. */
export interface ScimErrorBodyV2 {
  schemas: [typeof ERROR_SCHEMA_V2]
  status: string
  scimType?: ScimType
  detail: string
}
/** SCIM 1.1 error body. */
export interface ScimErrorBodyV1 {
  Errors: Array<{ description: string, code: string }>
}

/**
 * Turns an error into the SCIM error JSON of the given version. Anything that is not a ScimError
 * becomes a 500 with a generic detail unless `exposeMessage` is set (never leak stack traces).
 */
export function toScimErrorBody (err: unknown, version: ScimVersion = '2.0', exposeMessage = false): ScimErrorBodyV2 | ScimErrorBodyV1 {
  const e = isScimError(err) ? err : new ScimError(500, undefined, exposeMessage && err instanceof Error ? err.message : 'Internal server error')
  if (version === '1.1') return { Errors: [{ description: e.detail, code: String(e.status) }] }
  const body: ScimErrorBodyV2 = { schemas: [ERROR_SCHEMA_V2], status: String(e.status), detail: e.detail }
  if (e.scimType !== undefined) body.scimType = e.scimType
  return body
}
