// Values flowing through mapper expressions and the conversions the functions share.
// A value is JSON (what sources hold) or a Date (what CDate/DateAdd/Now produce); undefined means
// "no value" (a missing attribute, or a function that has nothing to return).
import type { JsonValue } from '../../scim/types.ts'

/** A runtime value of the expression language. */
export type Value = JsonValue | Date | undefined

/** An evaluation failure for one entry: reported, the other entries continue. */
export class EvalError extends Error {
  constructor (message: string) {
    super(message)
    this.name = 'EvalError'
  }
}

/** Thrown by IgnoreFlowIfNullOrEmpty: the entry's attribute is left out of the user. */
export class IgnoreFlow {
  readonly ignore = true
}

/** True for undefined and null. */
export function isNull (v: Value): v is null | undefined { return v === undefined || v === null }

/** True for undefined, null, "" and []. */
export function isNullOrEmpty (v: Value): boolean {
  return v === undefined || v === null || v === '' || (Array.isArray(v) && v.length === 0)
}

/** The first element of a multi-valued value, the value itself otherwise. */
export function scalar (v: Value): Value {
  return Array.isArray(v) ? v[0] : v
}

/** Dates as the mapper writes them: `yyyy-MM-ddTHH:mm:ssZ` (UTC). */
export function formatIso (d: Date): string {
  const s = d.toISOString()
  return s.length === 24 ? `${s.slice(0, 19)}Z` : s.replace(/\.\d{3}Z$/, 'Z')
}

/**
 * String form of a value: booleans as VBA's "True"/"False", dates as ISO UTC, objects as JSON.
 * undefined/null give ''.
 */
export function toStr (v: Value): string {
  const s = scalar(v)
  if (s === undefined || s === null) return ''
  if (typeof s === 'string') return s
  if (typeof s === 'number') return String(s)
  if (typeof s === 'boolean') return s ? 'True' : 'False'
  if (s instanceof Date) return formatIso(s)
  return JSON.stringify(s)
}

/** String form, or undefined when there is no value (functions that pass "no value" through). */
export function optStr (v: Value): string | undefined {
  const s = scalar(v)
  return s === undefined || s === null ? undefined : toStr(s)
}

/** A whole number argument. @throws EvalError */
export function toInt (v: Value, what: string): number {
  const s = scalar(v)
  const n = typeof s === 'number' ? s : typeof s === 'string' && s.trim() !== '' ? Number(s) : NaN
  if (!Number.isFinite(n)) throw new EvalError(`${what} must be a number, got ${describeValue(v)}`)
  return Math.trunc(n)
}

/** A boolean: true/false, "True"/"False" in any case, numbers (0 is false). @throws EvalError */
export function toBool (v: Value, what: string): boolean {
  const s = scalar(v)
  if (typeof s === 'boolean') return s
  if (typeof s === 'number') return s !== 0
  if (typeof s === 'string') {
    const l = s.trim().toLowerCase()
    if (l === 'true') return true
    if (l === 'false') return false
  }
  throw new EvalError(`${what} must be a boolean, got ${describeValue(v)}`)
}

/** The values of a possibly multi-valued value, without null/undefined. */
export function toList (v: Value): Array<Exclude<Value, undefined | null>> {
  if (v === undefined || v === null) return []
  if (Array.isArray(v)) return v.filter((e): e is Exclude<JsonValue, null> => e !== null)
  return [v]
}

/** Short description of a value for error messages. */
export function describeValue (v: Value): string {
  if (v === undefined) return 'no value'
  if (v instanceof Date) return formatIso(v)
  const s = JSON.stringify(v)
  return s.length > 60 ? `${s.slice(0, 57)}...` : s
}

/** Converts a runtime value to JSON for the message (dates become ISO strings). */
export function toJson (v: Value): JsonValue | undefined {
  if (v instanceof Date) return formatIso(v)
  return v
}

/** Deep copy of a JSON value (plain data only; several times faster than structuredClone here). */
export function cloneJson<T extends JsonValue> (v: T): T {
  if (typeof v !== 'object' || v === null) return v
  if (Array.isArray(v)) return v.map(e => cloneJson(e)) as T
  const out: Record<string, JsonValue | undefined> = {}
  for (const k in v) {
    const e = (v as Record<string, JsonValue | undefined>)[k]
    if (e !== undefined) out[k] = cloneJson(e)
  }
  return out as T
}
