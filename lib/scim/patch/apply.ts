// applyPatch: runs a list of PATCH operations (RFC 7644 §3.5.2) against a resource and returns the
// new resource. All or nothing: operations work on a copy-on-write draft, so an error in operation
// n leaves nothing half-applied and the input is never mutated.
import { InvalidSyntaxError, InvalidValueError, MutabilityError, NoTargetError } from '../errors.ts'
import type { ResourceSchema } from '../schema/resolve.ts'
import type { JsonValue, ScimResource } from '../types.ts'
import { isJsonObject } from '../types.ts'
import type { PatchOperation } from '../types.ts'
import { applyToAttribute } from './attribute.ts'
import type { CoerceOptions } from './coerce.ts'
import { Draft } from './draft.ts'
import { jsonEqual, keyOf } from './json.ts'
import type { ResolvedPath } from './path.ts'
import { pathCache, resolvePath } from './path.ts'
import { normaliseOperation } from './request.ts'

/** Options of applyPatch. */
export interface ApplyPatchOptions {
  /**
   * Accept attributes and sub-attributes the core and known extension schemas do not define, as
   * untyped custom attributes (default false: 400 invalidPath / invalidValue). Attributes under an
   * extension URN the schema does not know are always accepted as custom attributes.
   */
  allowUnknownAttributes?: boolean
}

type Op = PatchOperation['op']

/**
 * Applies PATCH operations to a resource and returns a new resource (the input is not mutated;
 * attributes no operation touches are shared with it). Values are validated and coerced against
 * `schema` (Entra ID's "True"/"False", bare member ids, one-element arrays for single values).
 * Either every operation applies or a ScimError is thrown.
 * @throws ScimError (400 invalidPath, noTarget, invalidValue, mutability, invalidSyntax)
 * @example
 * const user2 = applyPatch(user, parsePatchRequest(body), coreResourceSchema('User'))
 * applyPatch(group, [{ op: 'remove', path: 'members[value eq "2819c223"]' }], coreResourceSchema('Group'))
 */
export function applyPatch (resource: ScimResource, ops: readonly PatchOperation[], schema: ResourceSchema, options: ApplyPatchOptions = {}): ScimResource {
  if (!isJsonObject(resource)) throw new InvalidValueError('the resource to patch must be an object')
  if (!Array.isArray(ops)) throw new InvalidSyntaxError('PATCH operations must be an array')
  const opts: CoerceOptions = { allowUnknownAttributes: options.allowUnknownAttributes === true }
  const d = new Draft(resource, schema, pathCache(schema, opts))
  for (let i = 0; i < ops.length; i++) {
    const op = wellFormed(ops[i], i)
    if (op.path === undefined) applyWithoutPath(d, op.op, op.value, opts)
    else applyAtPath(d, op.op, op.path, op.value, opts)
  }
  return d.finish()
}

/** Normalised operations pass straight through; anything else goes through normaliseOperation. */
function wellFormed (op: PatchOperation | undefined, i: number): PatchOperation {
  if (op !== undefined && op !== null && (op.op === 'add' || op.op === 'replace' || op.op === 'remove') &&
    (op.path === undefined || (typeof op.path === 'string' && op.path !== '')) &&
    (op.op === 'remove' || op.value !== undefined)) return op
  return normaliseOperation(op as unknown as JsonValue, i)
}

function applyAtPath (d: Draft, op: Op, text: string, value: JsonValue | undefined, opts: CoerceOptions): void {
  // A path that is a whole custom extension (its URN is a key of the resource) cannot be told from
  // `urn:…:attr` by syntax; the resource decides.
  if (text.startsWith('urn:') || text.startsWith('URN:')) {
    const k = keyOf(d.root, text)
    if (k !== undefined && isJsonObject(d.root[k]) && !d.schema.isExtension(text)) {
      applyToExtension(d, op, k, value, opts)
      return
    }
  }
  const p = resolvePath(text, d.schema, opts, d.paths)
  dispatch(d, op, p, value, opts)
}

function dispatch (d: Draft, op: Op, p: ResolvedPath, value: JsonValue | undefined, opts: CoerceOptions): void {
  if (p.kind === 'schemas') applyToSchemas(d, op, value)
  else if (p.kind === 'resource') applyWithoutPath(d, op, value, opts)
  else if (p.kind === 'extension') applyToExtension(d, op, p.ext as string, value, opts)
  else applyToAttribute(d, op, p, value, opts)
}

/**
 * add/replace without path: `value` is an object of attributes, each applied as if it were the path
 * (so Entra ID's `{"name.givenName": "x"}` and `{"urn:…:User:department": "x"}` work), URN keys
 * holding an object are extension objects. readOnly attributes echoed back unchanged are ignored.
 */
function applyWithoutPath (d: Draft, op: Op, value: JsonValue | undefined, opts: CoerceOptions): void {
  if (op === 'remove') throw new NoTargetError('"remove" requires a path')
  const obj = Array.isArray(value) && value.length === 1 ? value[0] : value
  if (!isJsonObject(obj)) throw new InvalidValueError(`"${op}" without path needs an object value`)
  for (const key in obj) {
    const v = obj[key]
    if (v === undefined) continue
    if (key.toLowerCase() === 'schemas') {
      applyToSchemas(d, 'add', v)
      continue
    }
    if (d.schema.isExtension(key)) {
      applyToExtension(d, op, key, v, opts)
      continue
    }
    let p: ResolvedPath
    if (key.toLowerCase().startsWith('urn:') && isJsonObject(v)) {
      // An object under an unknown URN is a custom extension unless the URN names a known attribute.
      const known = tryResolve(key, d, opts)
      if (known === undefined || known.def === undefined) {
        applyToExtension(d, op, key, v, opts)
        continue
      }
      p = known
    } else {
      p = resolvePath(key, d.schema, opts, d.paths)
    }
    if (p.def?.mutability === 'readOnly' && p.sub === undefined && p.filter === undefined && jsonEqual(d.read(p.ext, p.attr), v)) continue
    dispatch(d, op, p, v, opts)
  }
}

function applyToExtension (d: Draft, op: Op, urn: string, value: JsonValue | undefined, opts: CoerceOptions): void {
  if (op === 'remove' || value === null) {
    if (op === 'add') return
    d.removeExtension(urn)
    return
  }
  const obj = Array.isArray(value) && value.length === 1 ? value[0] : value
  if (!isJsonObject(obj)) throw new InvalidValueError(`the value of extension "${urn}" must be an object`)
  for (const key in obj) {
    const v = obj[key]
    if (v === undefined) continue
    const p = resolvePath(`${urn}:${key}`, d.schema, opts, d.paths)
    if (p.def?.mutability === 'readOnly' && p.sub === undefined && jsonEqual(d.read(p.ext, p.attr), v)) continue
    dispatch(d, op, p, v, opts)
  }
}

/**
 * `schemas`: add = union, replace = the given list (the core schema URN always stays), remove
 * without value = 400 mutability (the core schema is required), remove with URNs = those extensions
 * and their data go. The URNs of extensions present in the resource are kept in sync in finish().
 */
function applyToSchemas (d: Draft, op: Op, value: JsonValue | undefined): void {
  const list = value === undefined || value === null ? [] : Array.isArray(value) ? value : [value]
  if (!list.every((s): s is string => typeof s === 'string')) throw new InvalidValueError('"schemas" must be a list of URN strings')
  if (op === 'add') {
    d.setSchemas([...d.schemas(), ...list])
  } else if (op === 'replace') {
    d.setSchemas(list)
  } else {
    if (list.length === 0) throw new MutabilityError('"schemas" is required and cannot be removed')
    const core = (d.schema.schemas[0]?.id ?? '').toLowerCase()
    const drop = new Set(list.map(s => s.toLowerCase()))
    if (drop.has(core)) throw new MutabilityError('the core schema cannot be removed from "schemas"')
    for (const urn of list) d.removeExtension(urn)
    d.setSchemas(d.schemas().filter(s => !drop.has(s.toLowerCase())))
  }
}

function tryResolve (text: string, d: Draft, opts: CoerceOptions): ResolvedPath | undefined {
  try {
    return resolvePath(text, d.schema, opts, d.paths)
  } catch {
    return undefined
  }
}
