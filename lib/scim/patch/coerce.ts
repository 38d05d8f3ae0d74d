// Coercion and validation of PATCH values against attribute definitions (RFC 7643 §2.3 types).
// Accepts what real clients send: Entra ID's "True"/"False" strings for booleans, a bare id string
// where a complex attribute with a `value` sub-attribute is expected (members, manager), one-element
// arrays for single-valued attributes. Everything returned is a fresh copy: the result never shares
// objects with the request.
import { InvalidValueError } from '../errors.ts'
import { findSub } from '../schema/resolve.ts'
import type { AttributeDef, JsonObject, JsonValue } from '../types.ts'
import { isJsonObject } from '../types.ts'
import { cloneJson, putOwn } from './json.ts'

/** Coercion settings. */
export interface CoerceOptions {
  /** Keep sub-attributes the schema does not define instead of rejecting them. */
  allowUnknownAttributes: boolean
}

/**
 * Coerces the value of a whole attribute: an array for multi-valued attributes (a single element is
 * wrapped), one value for single-valued ones (a one-element array is unwrapped). `null` stays null
 * (= unassign). Unknown attributes (`def` undefined) are copied as they are.
 * @throws InvalidValueError
 */
export function coerceAttribute (def: AttributeDef | undefined, value: JsonValue, label: string, opts: CoerceOptions): JsonValue {
  if (def === undefined) return cloneJson(value)
  if (value === null) return null
  if (def.multiValued) {
    const items = Array.isArray(value) ? value : [value]
    const out: JsonValue[] = []
    for (const item of items) {
      const c = coerceSingle(def, item, label, opts)
      if (c !== null) out.push(c)
    }
    return out
  }
  return coerceSingle(def, unwrap(value, label), label, opts)
}

/**
 * Coerces one value of `def` (one element of a multi-valued attribute, or a single value).
 * Sub-attributes that are null are dropped; readOnly sub-attributes sent by the client are ignored
 * (as RFC 7644 §3.3 does for POST).
 * @throws InvalidValueError
 */
export function coerceSingle (def: AttributeDef, value: JsonValue, label: string, opts: CoerceOptions): JsonValue {
  if (value === null) return null
  switch (def.type) {
    case 'complex': return coerceComplex(def, value, label, opts)
    case 'boolean': return coerceBoolean(value, label)
    case 'integer':
    case 'decimal': return coerceNumber(value, def.type === 'integer', label)
    case 'dateTime': {
      const s = coerceString(value, label)
      if (Number.isNaN(Date.parse(s))) throw new InvalidValueError(`"${label}" must be an xsd:dateTime, got "${s}"`)
      return s
    }
    default: return coerceString(value, label)
  }
}

/** Coerces the value of a sub-attribute path (`name.givenName`, `emails[...].primary`). */
export function coerceSubValue (subDef: AttributeDef | undefined, value: JsonValue, label: string, opts: CoerceOptions): JsonValue {
  if (subDef === undefined) return cloneJson(value)
  if (subDef.multiValued) return coerceAttribute(subDef, value, label, opts)
  return coerceSingle(subDef, unwrap(value, label), label, opts)
}

function unwrap (value: JsonValue, label: string): JsonValue {
  if (!Array.isArray(value)) return value
  if (value.length === 0) return null
  if (value.length === 1) return value[0] as JsonValue
  throw new InvalidValueError(`"${label}" is single-valued but got ${value.length} values`)
}

function coerceComplex (def: AttributeDef, value: JsonValue, label: string, opts: CoerceOptions): JsonValue {
  if (!isJsonObject(value)) {
    // A bare value where a complex value with a "value" sub-attribute is expected: members, manager.
    const valueSub = findSub(def, 'value')
    if (valueSub !== undefined && !Array.isArray(value)) return { [valueSub.name]: coerceSingle(valueSub, value, `${label}.value`, opts) }
    throw new InvalidValueError(`"${label}" is complex; expected an object, got ${describe(value)}`)
  }
  const out: JsonObject = {}
  for (const k in value) {
    const v = value[k]
    if (v === undefined || v === null) continue
    const sub = findSub(def, k)
    if (sub === undefined) {
      if (!opts.allowUnknownAttributes) throw new InvalidValueError(`"${label}" has no sub-attribute "${k}"`)
      putOwn(out, k, cloneJson(v))
      continue
    }
    if (sub.mutability === 'readOnly') continue
    const c = sub.multiValued ? coerceAttribute(sub, v, `${label}.${sub.name}`, opts) : coerceSingle(sub, unwrap(v, `${label}.${sub.name}`), `${label}.${sub.name}`, opts)
    if (c !== null) out[sub.name] = c
  }
  return out
}

function coerceBoolean (value: JsonValue, label: string): boolean {
  if (typeof value === 'boolean') return value
  if (typeof value === 'string') {
    const l = value.trim().toLowerCase()
    if (l === 'true') return true
    if (l === 'false') return false
  }
  throw new InvalidValueError(`"${label}" is boolean; got ${describe(value)}`)
}

function coerceNumber (value: JsonValue, integer: boolean, label: string): number {
  let n: number | undefined
  if (typeof value === 'number') n = value
  else if (typeof value === 'string' && value.trim() !== '') n = Number(value)
  if (n === undefined || !Number.isFinite(n) || (integer && !Number.isInteger(n))) {
    throw new InvalidValueError(`"${label}" must be ${integer ? 'an integer' : 'a number'}; got ${describe(value)}`)
  }
  return n
}

function coerceString (value: JsonValue, label: string): string {
  if (typeof value === 'string') return value
  if (typeof value === 'number') return String(value)
  throw new InvalidValueError(`"${label}" is a string attribute; got ${describe(value)}`)
}

function describe (v: JsonValue): string {
  if (v === null) return 'null'
  if (Array.isArray(v)) return 'an array'
  if (typeof v === 'object') return 'an object'
  return `${typeof v} ${JSON.stringify(v)}`
}
