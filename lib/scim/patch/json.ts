// Small JSON helpers for the PATCH engine: case-insensitive key lookup, deep clone, deep equality,
// SCIM value comparison. SCIM attribute names are case-insensitive (RFC 7643 §2.1), so every lookup
// into a resource goes through `keyOf` instead of `obj[name]`.
import type { JsonObject, JsonValue } from '../types.ts'
import { isJsonObject } from '../types.ts'

/** The key of `obj` that equals `name` case-insensitively (exact spelling tried first), or undefined. */
export function keyOf (obj: JsonObject, name: string): string | undefined {
  if (Object.hasOwn(obj, name)) return name
  const lname = name.toLowerCase()
  for (const k in obj) {
    if (k.toLowerCase() === lname && Object.hasOwn(obj, k)) return k
  }
  return undefined
}

/** `obj[name]` with a case-insensitive name; undefined when absent. */
export function getCi (obj: JsonObject, name: string): JsonValue | undefined {
  const k = keyOf(obj, name)
  return k === undefined ? undefined : obj[k]
}

/**
 * `obj[key] = value` as an own data property, also for the key "__proto__" (which plain assignment
 * would turn into a prototype change). Request and resource keys are data, never prototypes.
 */
export function putOwn (obj: JsonObject, key: string, value: JsonValue): void {
  if (key === '__proto__') Object.defineProperty(obj, key, { value, writable: true, enumerable: true, configurable: true })
  else obj[key] = value
}

/** Sets `obj[name]` keeping an existing key's spelling (so `username` stays `username`). */
export function setCi (obj: JsonObject, name: string, value: JsonValue): void {
  putOwn(obj, keyOf(obj, name) ?? name, value)
}

/** Deletes `obj[name]` (case-insensitive). Returns whether something was deleted. */
export function deleteCi (obj: JsonObject, name: string): boolean {
  const k = keyOf(obj, name)
  if (k === undefined) return false
  delete obj[k]
  return true
}

/** Deep copy of a JSON value (undefined members are dropped, like JSON.stringify would). */
export function cloneJson<T extends JsonValue> (v: T): T
export function cloneJson (v: JsonValue): JsonValue {
  if (v === null || typeof v !== 'object') return v
  if (Array.isArray(v)) {
    const out: JsonValue[] = new Array<JsonValue>(v.length)
    for (let i = 0; i < v.length; i++) out[i] = cloneJson(v[i] as JsonValue)
    return out
  }
  const out: JsonObject = {}
  for (const k in v) {
    const x = v[k]
    if (x !== undefined) putOwn(out, k, cloneJson(x))
  }
  return out
}

/** Structural equality of JSON values; object keys compare exactly, array order matters. */
export function jsonEqual (a: JsonValue | undefined, b: JsonValue | undefined): boolean {
  if (a === b) return true
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return false
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false
    for (let i = 0; i < a.length; i++) if (!jsonEqual(a[i], b[i])) return false
    return true
  }
  if (Array.isArray(b)) return false
  const ka = Object.keys(a).filter(k => a[k] !== undefined)
  const kb = Object.keys(b).filter(k => b[k] !== undefined)
  if (ka.length !== kb.length) return false
  for (const k of ka) if (!Object.hasOwn(b, k) || !jsonEqual(a[k], b[k])) return false
  return true
}

/**
 * SCIM equality of two attribute values: strings compare case-insensitively unless `caseExact`,
 * other primitives strictly, objects structurally.
 */
export function scimEqual (a: JsonValue | undefined, b: JsonValue | undefined, caseExact = false): boolean {
  if (typeof a === 'string' && typeof b === 'string') return caseExact ? a === b : a.toLowerCase() === b.toLowerCase()
  return jsonEqual(a, b)
}

/** True for undefined, null, '' is NOT empty (it is a value), [] and {} are (RFC 7644 §3.5.2: unassigned). */
export function isUnassigned (v: JsonValue | undefined): boolean {
  if (v === undefined || v === null) return true
  if (Array.isArray(v)) return v.length === 0
  if (isJsonObject(v)) {
    for (const k in v) if (v[k] !== undefined) return false
    return true
  }
  return false
}
