// Rules for multi-valued attributes (RFC 7644 §3.5.2.1, RFC 7643 §2.4): element identity for
// "no duplicates" merging, removal by value, and uniqueness of `primary`.
import { InvalidValueError } from '../errors.ts'
import { findSub } from '../schema/resolve.ts'
import type { AttributeDef, JsonObject, JsonValue } from '../types.ts'
import { isJsonObject } from '../types.ts'
import { getCi, jsonEqual, keyOf, scimEqual, setCi } from './json.ts'

/**
 * Whether two elements denote the same value: elements with a `value` sub-attribute are the same when
 * their values are equal (case-insensitively unless `value` is caseExact) and, when both carry a
 * `type`, their types are equal too. Other elements are the same when structurally equal.
 */
export function sameElement (a: JsonValue, b: JsonValue, def: AttributeDef | undefined): boolean {
  if (isJsonObject(a) && isJsonObject(b)) {
    const va = getCi(a, 'value')
    const vb = getCi(b, 'value')
    if (va !== undefined && vb !== undefined) {
      const caseExact = def === undefined ? false : findSub(def, 'value')?.caseExact ?? false
      if (!scimEqual(va, vb, caseExact)) return false
      const ta = getCi(a, 'type')
      const tb = getCi(b, 'type')
      return ta === undefined || tb === undefined || scimEqual(ta, tb, false)
    }
    return jsonEqual(a, b)
  }
  return scimEqual(a, b, false)
}

/**
 * Adds `incoming` elements to `target` (mutated; it must be a private copy). An element that matches
 * an existing one (sameElement) updates it instead of being appended: its sub-attributes overwrite
 * the existing ones, except immutable sub-attributes that already have a value, which are kept.
 * Returns the indexes of the elements added or updated.
 */
export function mergeInto (target: JsonValue[], incoming: readonly JsonValue[], def: AttributeDef | undefined): number[] {
  const touched: number[] = []
  for (const el of incoming) {
    const i = target.findIndex(t => sameElement(t, el, def))
    if (i < 0) {
      target.push(el)
      touched.push(target.length - 1)
      continue
    }
    const existing = target[i]
    if (isJsonObject(existing) && isJsonObject(el)) {
      for (const k in el) {
        const v = el[k]
        if (v === undefined) continue
        const sub = def === undefined ? undefined : findSub(def, k)
        if (sub?.mutability === 'immutable' && getCi(existing, k) !== undefined) continue
        setCi(existing, k, v)
      }
    }
    if (!touched.includes(i)) touched.push(i)
  }
  return touched
}

/** Removes from `target` (mutated) every element that matches one of `values`. Returns how many. */
export function removeMatching (target: JsonValue[], values: readonly JsonValue[], def: AttributeDef | undefined): number {
  let removed = 0
  for (let i = target.length - 1; i >= 0; i--) {
    const t = target[i] as JsonValue
    if (values.some(v => sameElement(t, v, def))) {
      target.splice(i, 1)
      removed++
    }
  }
  return removed
}

/** True when the element is an object whose `primary` is true. */
export function isPrimary (el: JsonValue | undefined): boolean {
  return isJsonObject(el) && getCi(el, 'primary') === true
}

/**
 * Makes `primary: true` unique in `target` (mutated): when one of the `preferred` elements is primary,
 * every other element's primary becomes false.
 * @throws InvalidValueError when more than one of the `preferred` elements is primary.
 */
export function enforcePrimary (target: JsonValue[], preferred: readonly number[], label: string): void {
  let winner = -1
  for (const i of preferred) {
    if (!isPrimary(target[i])) continue
    if (winner >= 0 && winner !== i) throw new InvalidValueError(`"${label}": only one value may be primary`)
    winner = i
  }
  if (winner < 0) return
  for (let i = 0; i < target.length; i++) {
    const el = target[i]
    if (i !== winner && isPrimary(el) && isJsonObject(el)) (el as JsonObject)[keyOf(el, 'primary') ?? 'primary'] = false
  }
}

/** Throws InvalidValueError when more than one element of `values` is primary. */
export function assertSinglePrimary (values: readonly JsonValue[], label: string): void {
  let n = 0
  for (const v of values) if (isPrimary(v)) n++
  if (n > 1) throw new InvalidValueError(`"${label}": only one value may be primary`)
}
