// Validation of a resource body (POST create, PUT replace) against its resource type's schemas:
// types, required attributes, readOnly attributes, case-insensitive names, extensions, `schemas`.
// Returns a cleaned copy in the schema's spelling; never mutates the input.
//
// Decisions (documented here because callers depend on them):
// - A single value sent for a multi-valued attribute is wrapped into an array (`emails: {value}` →
//   `emails: [{value}]`); an array for a single-valued attribute is an error.
// - `null`, `[]` and empty complex values mean "unassigned" (RFC 7643 §2.5) and are left out.
// - Boolean strings "true"/"false" (any case) are coerced (Entra sends `"active": "True"`); no other coercion.
// - readOnly attributes (id, meta, groups, manager.displayName) are dropped (RFC 7643 §2.2).
// - Unknown attributes: on `create` kept as custom attributes (scimgateway plugins rely on them);
//   on `replace` dropped. The same rule applies to unknown sub-attributes of complex attributes.
//   Data under an unknown `urn:` key is kept in both modes and its URN is added to `schemas`.
// - `urn:<schema>:<attr>` keys (fully qualified attribute names) are moved under their schema.
import type { AttributeDef, JsonObject, JsonValue, SchemaDef, ScimResource } from '../types.ts'
import { isJsonObject } from '../types.ts'
import { InvalidSyntaxError, InvalidValueError } from '../errors.ts'
import { findSub, type ResourceSchema } from './resolve.ts'
import { SCHEMA_CORE_V1 } from './definitions.ts'

/** `create` (POST) keeps unknown attributes as custom ones; `replace` (PUT) drops them. */
export type ValidationMode = 'create' | 'replace'

/**
 * Validates and normalises a resource body.
 * - not a JSON object → 400 invalidSyntax
 * - required attribute missing or empty, or a value of the wrong type → 400 invalidValue naming the attribute path
 * @example
 * const user = validateResource(await req.json(), coreResourceSchema('User'), 'create')
 */
export function validateResource (input: unknown, schema: ResourceSchema, mode: ValidationMode): ScimResource {
  if (!isJsonObject(input)) throw new InvalidSyntaxError(`The resource must be a JSON object, got ${describe(input)}`)
  const core = schema.schemas[0]
  if (core === undefined) throw new Error(`resource type ${schema.resourceType.id} has no core schema`)
  const ctx: Ctx = { keepUnknown: mode === 'create' }
  const t = new Collected(schema, ctx)
  const { coreOut, extOut, custom } = t
  let declared: string[] = []

  for (const [key, value] of Object.entries(input)) {
    if (value === undefined || key === '__proto__') continue
    const lk = key.toLowerCase()
    if (lk === 'schemas') { declared = schemaList(value); continue }
    if (!lk.startsWith('urn:')) { t.setCore(key, value); continue }
    const exact = schema.schemas.find(s => s.id.toLowerCase() === lk)
    if (exact !== undefined) {
      if (value === null) continue
      if (!isJsonObject(value)) throw new InvalidValueError(`Attribute '${exact.id}' must be an object, got ${describe(value)}`)
      if (exact !== core && !extOut.has(exact)) extOut.set(exact, {})
      for (const [k, v] of Object.entries(value)) {
        if (v === undefined || k === '__proto__') continue
        if (exact === core) t.setCore(k, v)
        else t.setExt(exact, k, v)
      }
      continue
    }
    const prefixed = schema.schemas.find(s => lk.startsWith(`${s.id.toLowerCase()}:`))
    if (prefixed !== undefined) {
      const [attrName, ...subs] = key.slice(prefixed.id.length + 1).split('.')
      const nested = nest(subs, value)
      if (attrName === undefined || attrName === '') continue
      if (prefixed === core) t.setCore(attrName, nested)
      else t.setExt(prefixed, attrName, nested)
      continue
    }
    if (lk === SCHEMA_CORE_V1) continue
    put(custom, key, clone(value)) // data under an unknown URN: kept as a custom extension
  }

  checkRequired(core.attributes, coreOut, '')
  for (const ref of schema.resourceType.schemaExtensions) {
    const ext = schema.schemas.find(s => s.id.toLowerCase() === ref.schema.toLowerCase())
    if (ext === undefined) continue
    const data = extOut.get(ext)
    if (data === undefined) {
      if (ref.required) throw new InvalidValueError(`Missing required extension '${ext.id}'`)
      continue
    }
    // An extension sent (even empty) is checked for its required attributes; an empty optional one is dropped.
    checkRequired(ext.attributes, data, `${ext.id}:`)
    if (Object.keys(data).length === 0) extOut.delete(ext)
  }

  const out: ScimResource = { schemas: schemaUrns(schema, core, declared, extOut, custom) }
  for (const [k, v] of Object.entries(coreOut)) put(out, k, v)
  for (const [ext, data] of extOut) put(out, ext.id, data)
  for (const [k, v] of Object.entries(custom)) if (out[k] === undefined) put(out, k, v)
  return out
}

// ---------------------------------------------------------------------------------------------

interface Ctx { keepUnknown: boolean }

/**
 * What validateResource collects: core attributes, extension objects, custom data. A class rather
 * than closures inside validateResource: tsx (esbuild keep-names) wraps every named inline function
 * with a defineProperty, on every call of this per-request function.
 */
class Collected {
  readonly coreOut: JsonObject = {}
  readonly extOut = new Map<SchemaDef, JsonObject>()
  readonly custom: JsonObject = {}
  constructor (private readonly schema: ResourceSchema, private readonly ctx: Ctx) {}

  setCore (key: string, value: JsonValue): void {
    const def = this.schema.attribute({ attr: key })
    if (def === undefined) {
      if (this.ctx.keepUnknown) put(this.custom, key, clone(value))
      return
    }
    if (def.mutability === 'readOnly') return
    put(this.coreOut, def.name, validateValue(value, def, def.name, this.ctx))
  }

  setExt (ext: SchemaDef, key: string, value: JsonValue): void {
    const def = this.schema.attribute({ uri: ext.id, attr: key })
    let target = this.extOut.get(ext)
    if (target === undefined) { target = {}; this.extOut.set(ext, target) }
    if (def === undefined) {
      if (this.ctx.keepUnknown) put(target, key, clone(value))
      return
    }
    if (def.mutability === 'readOnly') return
    put(target, def.name, validateValue(value, def, `${ext.id}:${def.name}`, this.ctx))
  }
}

const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d+)?(Z|[+-]\d{2}:\d{2})?$/i

function validateValue (value: JsonValue, def: AttributeDef, path: string, ctx: Ctx): JsonValue | undefined {
  if (value === null) return undefined
  if (!def.multiValued) {
    if (Array.isArray(value)) throw new InvalidValueError(`Attribute '${path}' is single-valued, got an array`)
    return validateSingle(value, def, path, ctx)
  }
  const items = Array.isArray(value) ? value : [value]
  const out: JsonValue[] = []
  items.forEach((el, i) => {
    const v = validateSingle(el, def, `${path}[${i}]`, ctx)
    if (v !== undefined) out.push(v)
  })
  return out.length > 0 ? out : undefined
}

function validateSingle (value: JsonValue, def: AttributeDef, path: string, ctx: Ctx): JsonValue | undefined {
  if (value === null) return undefined
  switch (def.type) {
    case 'string':
    case 'reference':
    case 'binary':
      if (typeof value !== 'string') throw typeError(path, def.type, value)
      return value
    case 'boolean':
      if (typeof value === 'boolean') return value
      if (typeof value === 'string') {
        const l = value.trim().toLowerCase()
        if (l === 'true') return true
        if (l === 'false') return false
      }
      throw typeError(path, 'boolean', value)
    case 'integer':
      if (typeof value !== 'number' || !Number.isInteger(value)) throw typeError(path, 'integer', value)
      return value
    case 'decimal':
      if (typeof value !== 'number' || !Number.isFinite(value)) throw typeError(path, 'decimal', value)
      return value
    case 'dateTime':
      if (typeof value !== 'string' || !isDateTime(value)) {
        throw new InvalidValueError(`Attribute '${path}' must be an ISO 8601 dateTime (e.g. 2024-01-31T12:00:00Z), got ${describe(value)}`)
      }
      return value
    case 'complex':
      return validateComplex(value, def, path, ctx)
  }
}

function validateComplex (value: JsonValue, def: AttributeDef, path: string, ctx: Ctx): JsonObject | undefined {
  if (!isJsonObject(value)) throw typeError(path, 'complex', value)
  const out: JsonObject = {}
  for (const [k, v] of Object.entries(value)) {
    if (v === undefined || k === '__proto__') continue
    const sub = findSub(def, k)
    if (sub === undefined) {
      if (ctx.keepUnknown) put(out, k, clone(v))
      continue
    }
    if (sub.mutability === 'readOnly' && def.mutability !== 'readOnly') continue
    put(out, sub.name, validateValue(v, sub, `${path}.${sub.name}`, ctx))
  }
  return Object.keys(out).length > 0 ? out : undefined
}

function checkRequired (defs: readonly AttributeDef[], data: JsonObject, prefix: string): void {
  for (const def of defs) {
    if (!def.required || def.mutability === 'readOnly') continue
    const v = data[def.name]
    if (v === undefined || (typeof v === 'string' && v.trim() === '')) {
      throw new InvalidValueError(`Missing required attribute '${prefix}${def.name}'`)
    }
  }
}

function schemaList (value: JsonValue): string[] {
  if (value === null) return []
  const arr = typeof value === 'string' ? [value] : value
  if (!Array.isArray(arr) || !arr.every((s): s is string => typeof s === 'string')) {
    throw new InvalidValueError(`Attribute 'schemas' must be an array of strings, got ${describe(value)}`)
  }
  return arr.map(s => s.trim()).filter(s => s !== '')
}

/** Core URN first, then extensions with data, then declared URNs (canonical spelling when known), then unknown data URNs. */
function schemaUrns (schema: ResourceSchema, core: SchemaDef, declared: string[], ext: Map<SchemaDef, JsonObject>, custom: JsonObject): string[] {
  const out: string[] = []
  const seen = new Set<string>()
  addUrn(out, seen, core.id)
  seen.add(SCHEMA_CORE_V1)
  for (const s of ext.keys()) addUrn(out, seen, s.id)
  for (const d of declared) addUrn(out, seen, schema.schemas.find(s => s.id.toLowerCase() === d.toLowerCase())?.id ?? d)
  for (const k of Object.keys(custom)) if (k.toLowerCase().startsWith('urn:')) addUrn(out, seen, k)
  return out
}

function addUrn (out: string[], seen: Set<string>, u: string): void {
  const l = u.toLowerCase()
  if (seen.has(l)) return
  seen.add(l)
  out.push(u)
}

function isDateTime (s: string): boolean {
  const m = DATE_TIME.exec(s.trim())
  if (m === null) return false
  const [, y, mo, d, h, mi, se] = m.map(Number)
  if (y === undefined || mo === undefined || d === undefined || h === undefined || mi === undefined || se === undefined) return false
  if (mo < 1 || mo > 12 || h > 23 || mi > 59 || se > 60) return false
  const days = new Date(Date.UTC(y, mo, 0)).getUTCDate()
  return d >= 1 && d <= days
}

function typeError (path: string, type: string, value: JsonValue): InvalidValueError {
  const article = /^[aeiou]/.test(type) ? 'an' : 'a'
  return new InvalidValueError(`Attribute '${path}' must be ${article} ${type}${type === 'complex' ? ' object' : ''}, got ${describe(value)}`)
}

function describe (v: unknown): string {
  if (v === null) return 'null'
  if (Array.isArray(v)) return 'an array'
  if (typeof v === 'string') return `the string ${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v)}`
  if (typeof v === 'object') return 'an object'
  return `${typeof v} ${String(v)}`
}

/** `a.b` keys of a qualified name become nested objects: nest(['manager','value'] minus head, v). */
function nest (subs: string[], value: JsonValue): JsonValue {
  let v = value
  for (let i = subs.length - 1; i >= 0; i--) {
    const k = subs[i]
    if (k === undefined || k === '' || k === '__proto__') continue
    const o: JsonObject = {}
    o[k] = v
    v = o
  }
  return v
}

/** Sets an own property (safe for any key) unless the value is undefined. */
function put (obj: JsonObject, key: string, value: JsonValue | undefined): void {
  if (value === undefined) { delete obj[key]; return }
  if (key === '__proto__') Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true })
  else obj[key] = value
}

function clone (v: JsonValue): JsonValue {
  if (Array.isArray(v)) return v.map(clone)
  if (isJsonObject(v)) {
    const o: JsonObject = {}
    for (const [k, x] of Object.entries(v)) if (x !== undefined && k !== '__proto__') put(o, k, clone(x))
    return o
  }
  return v
}
