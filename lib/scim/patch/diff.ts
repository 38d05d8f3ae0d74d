// diffResources: the PATCH operations that turn one resource into another. Used to hand plugins a
// minimal modification (PUT soft-sync, collector state → SCIM operations).
// Contract: applyPatch(before, diffResources(before, after, schema), schema) equals `after` up to the
// order of multi-valued elements and the value coercion applyPatch performs; `id`, `meta`, `schemas`
// and readOnly attributes are not compared (the service owns them).
import type { PatchOperation } from '../types.ts'
import type { ResourceSchema } from '../schema/resolve.ts'
import { findSub } from '../schema/resolve.ts'
import type { AttributeDef, JsonObject, JsonValue, ScimResource } from '../types.ts'
import { isJsonObject } from '../types.ts'
import { isUnassigned, jsonEqual } from './json.ts'

const SKIPPED = new Set(['id', 'meta', 'schemas'])

/**
 * A short list of operations turning `before` into `after`: single-valued attributes are replaced or
 * removed, complex ones per sub-attribute, multi-valued ones by `remove attr[value eq "x"]`, per-element
 * sub-attribute operations and one `add` of the new elements (falling back to replacing the whole
 * attribute when elements have no unique string `value`); extension attributes use URN paths.
 * @example
 * diffResources({ userName: 'a', active: true }, { userName: 'a', active: false })
 * // → [{ op: 'replace', path: 'active', value: false }]
 */
export function diffResources (before: ScimResource, after: ScimResource, schema?: ResourceSchema): PatchOperation[] {
  const ops: PatchOperation[] = []
  for (const [lname, bk, ak] of keyPairs(before, after)) {
    if (SKIPPED.has(lname)) continue
    const bv = bk === undefined ? undefined : before[bk]
    const av = ak === undefined ? undefined : after[ak]
    const name = (ak ?? bk) as string
    if (isExtensionKey(name, bv, av, schema)) {
      diffExtension(ops, schema?.schemas.find(s => s.id.toLowerCase() === lname)?.id ?? name, bv, av, schema)
      continue
    }
    const def = schema?.attribute({ attr: name })
    if (def?.mutability === 'readOnly') continue
    diffAttribute(ops, def?.name ?? name, bv, av, def)
  }
  return ops
}

function diffExtension (ops: PatchOperation[], urn: string, bv: JsonValue | undefined, av: JsonValue | undefined, schema: ResourceSchema | undefined): void {
  const b = isJsonObject(bv) ? bv : {}
  const a = isJsonObject(av) ? av : {}
  if (isUnassigned(a)) {
    if (!isUnassigned(b)) ops.push({ op: 'remove', path: urn })
    return
  }
  for (const [, bk, ak] of keyPairs(b, a)) {
    const name = (ak ?? bk) as string
    const def = schema?.attribute({ uri: urn, attr: name })
    if (def?.mutability === 'readOnly') continue
    diffAttribute(ops, `${urn}:${def?.name ?? name}`, bk === undefined ? undefined : b[bk], ak === undefined ? undefined : a[ak], def)
  }
}

function diffAttribute (ops: PatchOperation[], path: string, bv: JsonValue | undefined, av: JsonValue | undefined, def: AttributeDef | undefined): void {
  if (isUnassigned(av)) {
    if (!isUnassigned(bv)) ops.push({ op: 'remove', path })
    return
  }
  const value = av as JsonValue
  if (jsonEqual(bv, value)) return
  const multi = def !== undefined ? def.multiValued : Array.isArray(value)
  if (multi) {
    diffMulti(ops, path, bv, value, def)
    return
  }
  const complex = def !== undefined ? def.type === 'complex' : isJsonObject(value)
  if (complex && isJsonObject(bv) && isJsonObject(value) && !isUnassigned(bv)) {
    // Replace of a complex attribute merges (RFC 7644 §3.5.2.3): go per sub-attribute.
    for (const [, bk, ak] of keyPairs(bv, value)) {
      const sub = (ak ?? bk) as string
      const sb = bk === undefined ? undefined : bv[bk]
      const sa = ak === undefined ? undefined : value[ak]
      const subName = def === undefined ? sub : findSub(def, sub)?.name ?? sub
      if (isUnassigned(sa)) {
        if (!isUnassigned(sb)) ops.push({ op: 'remove', path: `${path}.${subName}` })
      } else if (!jsonEqual(sb, sa)) {
        ops.push({ op: 'replace', path: `${path}.${subName}`, value: sa as JsonValue })
      }
    }
    return
  }
  ops.push({ op: isUnassigned(bv) ? 'add' : 'replace', path, value })
}

function diffMulti (ops: PatchOperation[], path: string, bv: JsonValue | undefined, av: JsonValue, def: AttributeDef | undefined): void {
  const b = Array.isArray(bv) ? bv : []
  const a = Array.isArray(av) ? av : [av]
  if (sameMultiset(b, a)) return
  const bIdx = valueIndex(b)
  const aIdx = valueIndex(a)
  if (bIdx === undefined || aIdx === undefined || (!Array.isArray(bv) && bv !== undefined && bv !== null)) {
    ops.push({ op: isUnassigned(bv) ? 'add' : 'replace', path, value: av })
    return
  }
  const removes: PatchOperation[] = []
  const subs: PatchOperation[] = []
  const adds: JsonValue[] = []
  for (const [lv, el] of bIdx) if (!aIdx.has(lv)) removes.push({ op: 'remove', path: `${path}[value eq ${literal(el)}]` })
  for (const [lv, el] of aIdx) {
    const old = bIdx.get(lv)
    if (old === undefined) {
      adds.push(el)
      continue
    }
    if (jsonEqual(old, el)) continue
    const filter = `${path}[value eq ${literal(old)}]`
    const changes: PatchOperation[] = []
    let immutableChanged = false
    for (const [, bk, ak] of keyPairs(old, el)) {
      const sub = (ak ?? bk) as string
      const sb = bk === undefined ? undefined : old[bk]
      const sa = ak === undefined ? undefined : el[ak]
      if (jsonEqual(sb, sa) || (isUnassigned(sa) && isUnassigned(sb))) continue
      const sd = def === undefined ? undefined : findSub(def, sub)
      if (sd?.mutability === 'immutable' && !isUnassigned(sb)) immutableChanged = true
      if (isUnassigned(sa)) changes.push({ op: 'remove', path: `${filter}.${sd?.name ?? sub}` })
      else changes.push({ op: 'replace', path: `${filter}.${sd?.name ?? sub}`, value: sa as JsonValue })
    }
    if (immutableChanged) {
      // An immutable sub-attribute cannot be changed in place: replace the element.
      removes.push({ op: 'remove', path: filter })
      adds.push(el)
    } else {
      subs.push(...changes)
    }
  }
  ops.push(...removes, ...subs)
  if (adds.length > 0) ops.push({ op: 'add', path, value: adds })
}

/** Elements by lower-cased string `value` when every element has one and they are unique; else undefined. */
function valueIndex (list: readonly JsonValue[]): Map<string, JsonObject> | undefined {
  const m = new Map<string, JsonObject>()
  for (const el of list) {
    if (!isJsonObject(el)) return undefined
    const keys = Object.keys(el).filter(k => k.toLowerCase() === 'value')
    const v = keys.length === 1 ? el[keys[0] as string] : undefined
    if (typeof v !== 'string') return undefined
    const l = v.toLowerCase()
    if (m.has(l)) return undefined
    m.set(l, el)
  }
  return m
}

function literal (el: JsonObject): string {
  const k = Object.keys(el).find(k => k.toLowerCase() === 'value') as string
  return JSON.stringify(el[k])
}

function sameMultiset (a: readonly JsonValue[], b: readonly JsonValue[]): boolean {
  if (a.length !== b.length) return false
  const used = new Array<boolean>(b.length).fill(false)
  outer: for (const x of a) {
    for (let i = 0; i < b.length; i++) {
      if (!used[i] && jsonEqual(x, b[i])) {
        used[i] = true
        continue outer
      }
    }
    return false
  }
  return true
}

function isExtensionKey (name: string, bv: JsonValue | undefined, av: JsonValue | undefined, schema: ResourceSchema | undefined): boolean {
  if (schema?.isExtension(name) === true) return true
  return name.toLowerCase().startsWith('urn:') && (isJsonObject(bv) || isJsonObject(av))
}

/** Keys of two objects paired case-insensitively: [lower-case name, key in a, key in b]. */
function keyPairs (a: JsonObject, b: JsonObject): Array<[string, string | undefined, string | undefined]> {
  const m = new Map<string, [string, string | undefined, string | undefined]>()
  for (const k in a) if (a[k] !== undefined) m.set(k.toLowerCase(), [k.toLowerCase(), k, undefined])
  for (const k in b) {
    if (b[k] === undefined) continue
    const l = k.toLowerCase()
    const e = m.get(l)
    if (e !== undefined) e[2] = k
    else m.set(l, [l, undefined, k])
  }
  return [...m.values()]
}
