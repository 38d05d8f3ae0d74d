// Validation and normalisation of a SCIM PatchOp request body (RFC 7644 §3.5.2) into typed
// PatchOperations. Tolerates what real clients send: Entra ID's capitalised ops ("Replace"),
// member names in any case ("operations", "Path"), a null or empty path meaning "no path".
import { InvalidSyntaxError } from '../errors.ts'
import { SCHEMA_PATCH_OP } from '../schema/definitions.ts'
import type { JsonObject, JsonValue } from '../types.ts'
import { isJsonObject } from '../types.ts'
import type { PatchOperation } from '../types.ts'
import { getCi, keyOf } from './json.ts'

const OPS: ReadonlyMap<string, PatchOperation['op']> = new Map([['add', 'add'], ['remove', 'remove'], ['replace', 'replace']])

/**
 * Validates a PATCH request body and returns its operations, normalised: `op` lower-case, `path`
 * a trimmed non-empty string or absent, `value` present for add/replace. Paths are not parsed here;
 * `applyPatch` resolves them against the resource type's schema.
 *
 * Decisions: a body without `schemas` is accepted (some clients omit it); a `schemas` member that is
 * present must list `urn:ietf:params:scim:api:messages:2.0:PatchOp`. An empty `Operations` array is a
 * valid no-op.
 * @throws InvalidSyntaxError (400 invalidSyntax) for anything malformed.
 * @example
 * const ops = parsePatchRequest({
 *   schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
 *   Operations: [{ op: 'Replace', path: 'active', value: 'False' }]
 * }) // → [{ op: 'replace', path: 'active', value: 'False' }]
 */
export function parsePatchRequest (body: unknown): PatchOperation[] {
  if (!isJsonObject(body)) throw new InvalidSyntaxError('PATCH request body must be a JSON object')
  const schemas = getCi(body, 'schemas')
  if (schemas !== undefined) {
    if (!Array.isArray(schemas) || !schemas.some(s => typeof s === 'string' && s.toLowerCase() === SCHEMA_PATCH_OP.toLowerCase())) {
      throw new InvalidSyntaxError(`PATCH request "schemas" must contain ${SCHEMA_PATCH_OP}`)
    }
  }
  const operations = getCi(body, 'Operations')
  if (!Array.isArray(operations)) throw new InvalidSyntaxError('PATCH request must have an "Operations" array')
  return operations.map((op, i) => normaliseOperation(op, i))
}

/**
 * Normalises one operation object (see `parsePatchRequest`). `index` only feeds error messages.
 * @throws InvalidSyntaxError
 */
export function normaliseOperation (raw: JsonValue | undefined, index = 0): PatchOperation {
  const where = `Operations[${index}]`
  if (!isJsonObject(raw)) throw new InvalidSyntaxError(`${where} must be an object`)
  const opRaw = getCi(raw, 'op')
  if (typeof opRaw !== 'string') throw new InvalidSyntaxError(`${where}.op must be a string ("add", "remove" or "replace")`)
  const op = OPS.get(opRaw.trim().toLowerCase())
  if (op === undefined) throw new InvalidSyntaxError(`${where}.op "${opRaw}" is not one of add, remove, replace`)
  const out: PatchOperation = { op }
  const pathRaw = getCi(raw, 'path')
  if (pathRaw !== undefined && pathRaw !== null) {
    if (typeof pathRaw !== 'string') throw new InvalidSyntaxError(`${where}.path must be a string`)
    const path = pathRaw.trim()
    if (path !== '') out.path = path
  }
  const valueKey = keyOf(raw as JsonObject, 'value')
  const value = valueKey === undefined ? undefined : raw[valueKey]
  if (value === undefined) {
    if (op !== 'remove') throw new InvalidSyntaxError(`${where}: "${op}" requires a "value"`)
  } else {
    out.value = value
  }
  return out
}
