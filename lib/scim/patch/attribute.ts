// One PATCH operation on one attribute path (RFC 7644 §3.5.2.1–3): whole attributes, sub-attributes,
// and elements selected by a value filter, with the multi-valued and mutability rules.
import { MutabilityError, NoTargetError, InvalidPathError, InvalidValueError } from '../errors.ts'
import { findSub } from '../schema/resolve.ts'
import type { AttributeDef, JsonObject, JsonValue } from '../types.ts'
import { isJsonObject } from '../types.ts'
import type { CoerceOptions } from './coerce.ts'
import { coerceAttribute, coerceSingle, coerceSubValue } from './coerce.ts'
import type { Draft } from './draft.ts'
import { cloneJson, deleteCi, getCi, isUnassigned, jsonEqual, setCi } from './json.ts'
import { assertSinglePrimary, enforcePrimary, mergeInto, removeMatching } from './multi.ts'
import type { ResolvedPath } from './path.ts'
import { assertWritable } from './path.ts'

type Op = 'add' | 'remove' | 'replace'

/**
 * Applies one operation to the attribute `p` designates. `value` is the raw request value
 * (undefined only for remove).
 * @throws ScimError subclasses (mutability, noTarget, invalidValue, invalidPath)
 */
export function applyToAttribute (d: Draft, op: Op, p: ResolvedPath, value: JsonValue | undefined, opts: CoerceOptions): void {
  assertWritable(p)
  if (p.filter !== undefined) {
    applyToElements(d, op, p, p.filter, p.template, value, opts)
  } else if (p.sub !== undefined) {
    const cur = d.read(p.ext, p.attr)
    if (p.def?.multiValued === true || (p.def === undefined && Array.isArray(cur))) applyToElements(d, op, p, () => true, {}, value, opts)
    else applyToSubAttribute(d, op, p, value, opts)
  } else {
    applyToWhole(d, op, p, value, opts)
  }
}

function applyToWhole (d: Draft, op: Op, p: ResolvedPath, value: JsonValue | undefined, opts: CoerceOptions): void {
  const { def, ext, attr } = p
  const cur = d.read(ext, attr)
  // Custom (unknown) attributes count as multi-valued when they hold an array.
  const multi = def !== undefined ? def.multiValued : Array.isArray(cur) || Array.isArray(value)
  if (op === 'remove') {
    if (multi && value !== undefined && value !== null) {
      // Entra ID: {"op":"Remove","path":"members","value":[{"value":"id"}]} removes just those members.
      const coerced = coerceAttribute(def, value, attr, opts)
      const values = Array.isArray(coerced) ? coerced : [coerced]
      const target = d.own(ext, attr)
      if (Array.isArray(target)) {
        removeMatching(target, values, def)
        d.settle(ext, attr)
      }
      return
    }
    unassign(d, p, cur)
    return
  }
  if (value === undefined) throw new InvalidValueError(`"${op}" of "${p.text}" needs a value`)
  const c = coerceAttribute(def, value, attr, opts)
  if (isUnassigned(c)) {
    if (op === 'replace') unassign(d, p, cur)
    return
  }
  if (def?.mutability === 'immutable' && !isUnassigned(cur) && !jsonEqual(cur, c)) {
    throw new MutabilityError(`attribute "${attr}" is immutable and already has a value`)
  }
  if (multi) {
    const values = Array.isArray(c) ? c : [c]
    assertSinglePrimary(values, attr)
    // Duplicates are merged, within the value too (RFC 7643 §2.4: no duplicate values).
    const existing = op === 'add' ? d.own(ext, attr) : undefined
    const target = Array.isArray(existing) ? existing : []
    const touched = mergeInto(target, values, def)
    enforcePrimary(target, touched, attr)
    if (target !== existing) d.set(ext, attr, target)
    return
  }
  const complex = def?.type === 'complex' || (def === undefined && isJsonObject(c))
  if (complex && isJsonObject(c)) {
    // RFC 7644 §3.5.2.1/§3.5.2.3: sub-attributes not in the value are left unchanged.
    const target = d.own(ext, attr)
    if (!isJsonObject(target)) {
      d.set(ext, attr, c)
      return
    }
    for (const k in c) {
      const v = c[k] as JsonValue
      const sub = def === undefined ? undefined : findSub(def, k)
      checkImmutable(sub, getCi(target, k), v, `${attr}.${k}`)
      setCi(target, k, v)
    }
    return
  }
  d.set(ext, attr, c)
}

function applyToSubAttribute (d: Draft, op: Op, p: ResolvedPath, value: JsonValue | undefined, opts: CoerceOptions): void {
  const { ext, attr } = p
  const sub = p.sub as string
  const cur = d.read(ext, attr)
  if (p.def === undefined && cur !== undefined && !isJsonObject(cur)) {
    throw new InvalidPathError(`"${attr}" is not complex; path "${p.text}" has no target`)
  }
  const cv = op === 'remove' || value === undefined ? null : coerceSubValue(p.subDef, value, `${attr}.${sub}`, opts)
  if (cv === null || isUnassigned(cv)) {
    if (op === 'add' && value !== undefined) return
    if (p.subDef?.required === true) throw new MutabilityError(`sub-attribute "${attr}.${sub}" is required`)
    if (!isJsonObject(cur) || getCi(cur, sub) === undefined) return
    checkImmutable(p.subDef, getCi(cur, sub), null, `${attr}.${sub}`)
    const target = d.own(ext, attr) as JsonObject
    deleteCi(target, sub)
    d.settle(ext, attr)
    return
  }
  const target = d.own(ext, attr)
  if (!isJsonObject(target)) {
    d.set(ext, attr, { [sub]: cv })
    return
  }
  checkImmutable(p.subDef, getCi(target, sub), cv, `${attr}.${sub}`)
  setCi(target, sub, cv)
}

/** Operations on the elements of a multi-valued attribute selected by `match`. */
function applyToElements (d: Draft, op: Op, p: ResolvedPath, match: (el: JsonObject) => boolean, template: JsonObject | undefined, value: JsonValue | undefined, opts: CoerceOptions): void {
  const { def, ext, attr, sub } = p
  const cur = d.read(ext, attr)
  const curList = Array.isArray(cur) ? cur : []
  const hits: number[] = []
  for (let i = 0; i < curList.length; i++) {
    const el = curList[i]
    if (isJsonObject(el) && match(el)) hits.push(i)
  }
  const label = sub === undefined ? attr : `${attr}.${sub}`
  let patch: JsonObject | undefined
  if (op !== 'remove') {
    if (value === undefined) throw new InvalidValueError(`"${op}" of "${p.text}" needs a value`)
    if (sub === undefined) {
      const single = def === undefined ? cloneJson(value) : coerceSingle(def, Array.isArray(value) && value.length === 1 ? value[0] as JsonValue : value, attr, opts)
      if (single !== null && !isJsonObject(single)) throw new InvalidValueError(`"${p.text}" selects elements of "${attr}"; the value must be an object`)
      if (single !== null && !isUnassigned(single)) patch = single
    } else {
      const cv = coerceSubValue(p.subDef, value, label, opts)
      if (!isUnassigned(cv)) patch = { [sub]: cv }
    }
    if (patch === undefined && op === 'add') return // adding "nothing" changes nothing
  }
  if (patch === undefined) {
    // remove, or replace with null/[] (= unassign, RFC 7644 §3.5.2)
    if (hits.length === 0) return // removing what is not there is a no-op (idempotent, as Entra ID expects)
    removeFromElements(d, p, hits)
    return
  }
  if (hits.length === 0) {
    // RFC 7644 §3.5.2.3: replace with a filter that matches nothing is noTarget — except for a
    // sub-attribute path (`emails[type eq "work"].value`), which, like add, creates the element the
    // filter describes (Entra ID and Okta send Replace for values that may not exist yet).
    if ((op === 'replace' && sub === undefined) || template === undefined) {
      throw new NoTargetError(`no value of "${attr}" matches "${p.text}"`)
    }
    const created: JsonObject = { ...template, ...patch }
    const fresh = def === undefined ? created : coerceSingle(def, created, attr, opts)
    const target = d.own(ext, attr)
    if (Array.isArray(target)) {
      target.push(fresh)
      enforcePrimary(target, [target.length - 1], attr)
    } else {
      d.set(ext, attr, [fresh])
    }
    return
  }
  const target = d.own(ext, attr) as JsonValue[]
  for (const i of hits) {
    const el = target[i] as JsonObject
    for (const k in patch) {
      const v = patch[k] as JsonValue
      const sd = def === undefined ? undefined : findSub(def, k)
      checkImmutable(sd, getCi(el, k), v, `${attr}.${k}`)
      setCi(el, k, hits.length > 1 ? cloneJson(v) : v) // no object shared between elements
    }
  }
  enforcePrimary(target, hits, label)
}

function removeFromElements (d: Draft, p: ResolvedPath, hits: readonly number[]): void {
  const { def, ext, attr, sub } = p
  const target = d.own(ext, attr) as JsonValue[]
  const drop = new Set<number>()
  for (const i of hits) {
    const el = target[i] as JsonObject
    if (sub === undefined) {
      drop.add(i)
      continue
    }
    if (p.subDef?.required === true) throw new MutabilityError(`sub-attribute "${attr}.${sub}" is required`)
    checkImmutable(p.subDef, getCi(el, sub), null, `${attr}.${sub}`)
    deleteCi(el, sub)
    // An element whose value is gone means nothing any more (`emails[type eq "work"].value` removed).
    if (isUnassigned(el) || (sub.toLowerCase() === 'value' && hasValueSub(def))) drop.add(i)
  }
  if (drop.size > 0) {
    let w = 0
    for (let r = 0; r < target.length; r++) if (!drop.has(r)) target[w++] = target[r] as JsonValue
    target.length = w
  }
  d.settle(ext, attr)
}

/** remove / replace-with-null of a whole attribute. */
function unassign (d: Draft, p: ResolvedPath, cur: JsonValue | undefined): void {
  if (p.def?.required === true) throw new MutabilityError(`attribute "${p.attr}" is required and cannot be removed`)
  if (isUnassigned(cur)) {
    d.remove(p.ext, p.attr)
    return
  }
  if (p.def?.mutability === 'immutable') throw new MutabilityError(`attribute "${p.attr}" is immutable`)
  d.remove(p.ext, p.attr)
}

function checkImmutable (def: AttributeDef | undefined, cur: JsonValue | undefined, next: JsonValue | null, label: string): void {
  if (def?.mutability !== 'immutable' || isUnassigned(cur)) return
  if (next !== null && jsonEqual(cur, next)) return
  throw new MutabilityError(`"${label}" is immutable and already has a value`)
}

function hasValueSub (def: AttributeDef | undefined): boolean {
  return def !== undefined && findSub(def, 'value') !== undefined
}
