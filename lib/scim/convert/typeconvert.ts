// scimgateway's "type-converted" form of multi-valued attributes (config `scim.skipTypeConvert=false`):
// `emails: [{ type: 'work', value: 'a@b' }]` ⇄ `emails: { work: { type: 'work', value: 'a@b' } }`, and the
// modification a plugin's modifyUser receives in that form: only the changed attributes, removed
// elements marked `operation: "delete"`, cleared single values as `''`.
//
// Decision on elements that cannot be keyed: an attribute is converted only when every element is an
// object with a non-empty string `type` and the types are distinct. Otherwise (an element without type,
// two "work" emails) the attribute stays an array, unchanged — the conversion is lossless and
// `fromTypeConverted(toTypeConverted(r))` equals `r`. Plugin code must therefore accept both shapes
// (scimgateway instead grouped untyped elements under the key "undefined" and failed on duplicates).
// groups and members are never converted (keyed by value, not type).
import type { JsonObject, JsonValue, ScimResource } from '../types.ts'
import { isJsonObject } from '../types.ts'
import type { PatchOperation } from '../types.ts'
import type { FilterNode } from '../filter/ast.ts'
import { findKey, parsePatchPath } from '../filter/index.ts'

/** Multi-valued attributes converted by default: the core ones with a `type` sub-attribute. */
export const TYPE_CONVERTED_ATTRIBUTES: readonly string[] = ['emails', 'phoneNumbers', 'addresses', 'ims', 'photos', 'entitlements', 'roles', 'x509Certificates']

/** Which attributes the type-converted form applies to. */
export interface TypeConvertOptions {
  /** Top-level attribute names (case-insensitive) to convert; default TYPE_CONVERTED_ATTRIBUTES. */
  attributes?: readonly string[]
}

/**
 * A resource with its typed multi-valued attributes keyed by type. Returns a deep copy.
 * @example
 * toTypeConverted({ emails: [{ type: 'work', value: 'a@b' }] }) // { emails: { work: { type: 'work', value: 'a@b' } } }
 */
export function toTypeConverted (resource: ScimResource, opts: TypeConvertOptions = {}): JsonObject {
  const names = nameSet(opts)
  const out: JsonObject = {}
  for (const [k, v] of Object.entries(resource)) {
    if (v === undefined) continue
    put(out, k, names.has(k.toLowerCase()) && Array.isArray(v) ? keyByType(v) : copy(v))
  }
  return out
}

/**
 * The inverse of toTypeConverted: objects under converted attribute names become arrays again (an element
 * without `type` gets its key as type; a plain value `emails: { work: 'a@b' }` becomes `{ type, value }`).
 * Delete markers (`operation: "delete"`) are kept. Returns a deep copy.
 */
export function fromTypeConverted (obj: JsonObject, opts: TypeConvertOptions = {}): ScimResource {
  const names = nameSet(opts)
  const out: ScimResource = {}
  for (const [k, v] of Object.entries(obj)) {
    if (v === undefined) continue
    if (names.has(k.toLowerCase()) && isJsonObject(v)) {
      put(out, k, Object.entries(v).flatMap(([type, el]): JsonValue[] => {
        if (el === undefined || el === null) return []
        if (!isJsonObject(el)) return [{ type, value: copy(el) }]
        const c = copy(el) as JsonObject
        return [c.type === undefined ? { type, ...c } : c]
      }))
    } else put(out, k, copy(v))
  }
  return out
}

/**
 * The changed attributes of a modification in type-converted form, as scimgateway hands them to
 * modifyUser/modifyGroup: for each attribute an operation touches, its new value (`''` when cleared);
 * for a typed multi-valued attribute the elements of the touched types, plus removed elements marked
 * `operation: "delete"`; for other multi-valued attributes (members) the added elements and the removed
 * ones marked `operation: "delete"`. Extension attributes stay under their URN key.
 * With `resourceBefore` removed elements are reported in full; without it they are reconstructed from
 * the operations (`emails[type eq "work"]` → `{ type: 'work', operation: 'delete' }`).
 */
export function operationsToTypeConverted (ops: readonly PatchOperation[], resourceAfter: ScimResource,
  resourceBefore?: ScimResource, opts: TypeConvertOptions = {}): JsonObject {
  const names = nameSet(opts)
  const touched = new Map<string, Touch>()
  const touch = (uri: string | undefined, attr: string): Touch => {
    const key = `${uri?.toLowerCase() ?? ''}\u0000${attr.toLowerCase()}`
    let t = touched.get(key)
    if (t === undefined) {
      t = { uri, attr, whole: false, multi: false, subs: new Set(), types: new Set(), values: [], added: [], removed: [], cleared: false }
      touched.set(key, t)
    }
    return t
  }
  const extKeys = [resourceAfter, resourceBefore].flatMap(r => r === undefined ? [] : Object.keys(r).filter(k => /^urn:/i.test(k) && isJsonObject(r[k])))
  const isExt = (k: string): boolean => extKeys.some(e => e.toLowerCase() === k.toLowerCase())

  for (const op of ops) {
    if (op.path === undefined || op.path.trim() === '') {
      if (!isJsonObject(op.value)) continue
      for (const [k, v] of Object.entries(op.value)) {
        if (v === undefined) continue
        if (isExt(k) && isJsonObject(v)) {
          for (const [ek, ev] of Object.entries(v)) if (ev !== undefined) record(touch(k, ek), op.op, ev, undefined, undefined)
        } else if (/^urn:/i.test(k)) {
          const i = k.lastIndexOf(':')
          const [attr, sub] = k.slice(i + 1).split('.')
          record(touch(k.slice(0, i), attr ?? ''), op.op, v, sub, undefined)
        } else record(touch(undefined, k), op.op, v, undefined, undefined)
      }
      continue
    }
    if (isExt(op.path)) {
      const ext = findKey(resourceAfter, op.path) ?? op.path
      const attrs = new Set([...Object.keys(objAt(resourceAfter, op.path)), ...Object.keys(objAt(resourceBefore, op.path))])
      if (isJsonObject(op.value)) for (const k of Object.keys(op.value)) attrs.add(k)
      for (const a of attrs) record(touch(ext, a), op.op, isJsonObject(op.value) ? op.value[a] : undefined, undefined, undefined)
      continue
    }
    const p = parsePatchPath(op.path, { schemaUris: extKeys })
    const t = touch(p.path.uri, p.path.attr)
    record(t, op.op, op.value, p.path.sub ?? p.subAttr, p.filter)
  }

  const out: JsonObject = {}
  for (const t of touched.values()) {
    const holderA = t.uri === undefined ? resourceAfter : objAt(resourceAfter, t.uri)
    const holderB = t.uri === undefined ? resourceBefore : objAt(resourceBefore, t.uri)
    const aKey = findKey(holderA, t.attr)
    const bKey = holderB === undefined ? undefined : findKey(holderB, t.attr)
    const name = aKey ?? bKey ?? t.attr
    const a = aKey === undefined ? undefined : holderA[aKey]
    const b = holderB === undefined || bKey === undefined ? undefined : holderB[bKey]
    const value = changedValue(t, a, b, resourceBefore !== undefined, t.uri === undefined && names.has(t.attr.toLowerCase()))
    if (t.uri === undefined) put(out, name, value)
    else {
      const extName = findKey(resourceAfter, t.uri) ?? (resourceBefore !== undefined ? findKey(resourceBefore, t.uri) : undefined) ?? t.uri
      const ext = isJsonObject(out[extName]) ? out[extName] as JsonObject : {}
      put(ext, name, value)
      put(out, extName, ext)
    }
  }
  return out
}

// ---------------------------------------------------------------------------------------------

interface Touch {
  uri: string | undefined
  attr: string
  /** The attribute as a whole was set or removed. */
  whole: boolean
  /** An operation treated the attribute as multi-valued (array value or value filter). */
  multi: boolean
  /** Sub-attributes named by paths (`name.givenName`, `emails[...].value`). */
  subs: Set<string>
  /** Element types named by filters or carried by op values. */
  types: Set<string>
  /** `value eq` literals of filters of remove operations. */
  values: JsonValue[]
  added: JsonObject[]
  removed: JsonObject[]
  cleared: boolean
}

function record (t: Touch, op: PatchOperation['op'], value: JsonValue | undefined, sub: string | undefined, filter: FilterNode | undefined): void {
  if (Array.isArray(value)) t.multi = true
  if (filter !== undefined) {
    t.multi = true
    for (const ty of eqLiterals(filter, 'type')) if (typeof ty === 'string') t.types.add(ty)
    if (op === 'remove' && sub === undefined) t.values.push(...eqLiterals(filter, 'value'))
  }
  if (sub !== undefined) t.subs.add(sub)
  const els = Array.isArray(value) ? value : value !== undefined && isJsonObject(value) ? [value] : []
  // `add` merges and `remove` with a value removes just those elements; only these replace/clear the whole attribute.
  if (filter === undefined && sub === undefined && (op === 'replace' || (op === 'remove' && els.length === 0))) t.whole = true
  for (const el of els) {
    if (!isJsonObject(el)) continue
    if (typeof el.type === 'string') t.types.add(el.type)
    if (op === 'remove') t.removed.push(el)
    else t.added.push(el)
  }
  if (op === 'remove' && filter === undefined && sub === undefined && els.length === 0) t.cleared = true
}

function changedValue (t: Touch, a: JsonValue | undefined, b: JsonValue | undefined, haveBefore: boolean, convert: boolean): JsonValue {
  const multi = Array.isArray(a) || Array.isArray(b) || t.multi
  if (!multi) {
    if (t.subs.size > 0 && !t.whole) {
      const o: JsonObject = {}
      for (const s of t.subs) {
        const k = isJsonObject(a) ? findKey(a, s) : undefined
        const v = k !== undefined && isJsonObject(a) ? a[k] : undefined
        put(o, k ?? s, v === undefined ? '' : copy(v))
      }
      return o
    }
    return a === undefined || a === null ? '' : copy(a)
  }
  const after = Array.isArray(a) ? a.filter(isJsonObject) : []
  const before = Array.isArray(b) ? b.filter(isJsonObject) : []
  let result: JsonObject[]
  if (convert) {
    const relevant = (el: JsonObject): boolean => t.whole || (typeof el.type === 'string' && t.types.has(el.type))
    const afterTypes = new Set(after.map(el => el.type))
    result = after.filter(relevant).map(el => copy(el) as JsonObject)
    if (haveBefore) {
      for (const el of before.filter(relevant)) {
        if (!afterTypes.has(el.type)) result.push({ ...(copy(el) as JsonObject), operation: 'delete' })
      }
      for (const v of t.values) {
        const el = before.find(x => x.value === v)
        // an element whose type is still present was replaced, not deleted (scimgateway keys by type)
        if (el !== undefined && !afterTypes.has(el.type) && !after.some(x => x.value === v) && !result.some(x => x.value === v)) result.push({ ...(copy(el) as JsonObject), operation: 'delete' })
      }
    } else {
      const named = [...t.types].filter(ty => !afterTypes.has(ty))
      for (const ty of named) {
        const rem = t.removed.find(r => r.type === ty)
        result.push(rem !== undefined ? { ...(copy(rem) as JsonObject), operation: 'delete' } : { type: ty, operation: 'delete' })
      }
      for (const r of t.removed) if (r.type === undefined) result.push({ ...(copy(r) as JsonObject), operation: 'delete' })
      for (const v of t.values) result.push({ value: v, operation: 'delete' })
      if (result.length === 0 && t.cleared) return ''
    }
    return keyByType(result)
  }
  // Not type-converted (members, groups, custom arrays): what was added and what was removed.
  if (haveBefore) {
    // keyed sets, not pairwise comparison: large groups (thousands of members) stay linear
    const beforeKeys = new Set(before.map(elementKey))
    const afterKeys = new Set(after.map(elementKey))
    const added = after.filter(el => !beforeKeys.has(elementKey(el)))
    const removed = before.filter(el => !afterKeys.has(elementKey(el)))
    return [...added.map(el => copy(el)), ...removed.map(el => ({ ...(copy(el) as JsonObject), operation: 'delete' }))]
  }
  if (t.cleared && t.added.length === 0) return ''
  const added = t.whole && t.added.length === 0 ? after : t.added
  return [
    ...added.map(el => copy(el)),
    ...t.removed.map(el => ({ ...(copy(el) as JsonObject), operation: 'delete' })),
    ...t.values.map(v => ({ value: v, operation: 'delete' }))
  ]
}

/**
 * Identity of a multi-valued element: elements are the same when `value` and `type` match
 * (case-sensitive), else (no value) when they are deeply equal as JSON.
 */
function elementKey (x: JsonObject): string {
  if (x.value !== undefined) return `v\u0000${JSON.stringify(x.value)}\u0000${x.type === undefined ? '' : JSON.stringify(x.type)}`
  return `j\u0000${JSON.stringify(x)}`
}

/** Literals compared with `eq` to `attr` anywhere in a value filter (`type eq "work" or type eq "home"`). */
function eqLiterals (f: FilterNode, attr: string): JsonValue[] {
  switch (f.type) {
    case 'compare': return f.op === 'eq' && f.path.sub === undefined && f.path.attr.toLowerCase() === attr ? [f.value] : []
    case 'and': case 'or': return [...eqLiterals(f.left, attr), ...eqLiterals(f.right, attr)]
    default: return []
  }
}

function keyByType (arr: readonly JsonValue[]): JsonValue {
  if (arr.length === 0) return []
  const out: JsonObject = {}
  for (const el of arr) {
    if (!isJsonObject(el) || typeof el.type !== 'string' || el.type === '' || Object.prototype.hasOwnProperty.call(out, el.type)) {
      return arr.map(copy)
    }
    put(out, el.type, copy(el))
  }
  return out
}

function objAt (res: JsonObject | undefined, key: string): JsonObject {
  if (res === undefined) return {}
  const k = findKey(res, key)
  const v = k === undefined ? undefined : res[k]
  return isJsonObject(v) ? v : {}
}

function nameSet (opts: TypeConvertOptions): Set<string> {
  return new Set((opts.attributes ?? TYPE_CONVERTED_ATTRIBUTES).map(n => n.toLowerCase()))
}

function copy (v: JsonValue): JsonValue {
  if (Array.isArray(v)) return v.map(copy)
  if (isJsonObject(v)) {
    const o: JsonObject = {}
    for (const [k, x] of Object.entries(v)) if (x !== undefined) put(o, k, copy(x))
    return o
  }
  return v
}

function put (obj: JsonObject, key: string, value: JsonValue): void {
  if (key === '__proto__') Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true })
  else obj[key] = value
}
