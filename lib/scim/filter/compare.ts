// Value tests of filter comparisons: one precompiled closure per (attribute kind, operator, constant).
// Constants are converted and lower-cased once, so evaluating a test does not allocate in the common
// case (`userName eq "x"`). `ne` is not here: the evaluator computes it as "no value is eq".
import type { JsonValue } from '../types.ts'
import type { CompareOp, FilterValue } from './ast.ts'
import { compareInstants, parseInstant } from './datetime.ts'

/** A test of one (non-null, non-array) attribute value. */
export type ValueTest = (v: JsonValue) => boolean
/** How values are compared: from the schema, or `dynamic` (by the runtime types) when unknown. */
export type ValueKind = 'string' | 'boolean' | 'number' | 'dateTime' | 'dynamic'
export type PositiveOp = Exclude<CompareOp, 'ne'>

const never: ValueTest = () => false

/** Builds the test `value <op> constant` for attributes of the given kind. */
export function valueTest (kind: ValueKind, caseExact: boolean, op: PositiveOp, value: Exclude<FilterValue, null>): ValueTest {
  switch (kind) {
    case 'string': return stringTest(op, String(value), caseExact)
    case 'number': return numberTest(op, value)
    case 'boolean': return booleanTest(op, value)
    case 'dateTime': return dateTimeTest(op, value, false)
    case 'dynamic':
      if (typeof value === 'number') return numberTest(op, value)
      if (typeof value === 'boolean') return booleanTest(op, value)
      return dateTimeTest(op, value, true)
  }
}

/** True when `op` orders values (gt/ge/lt/le). */
export function isOrdering (op: CompareOp): boolean {
  return op === 'gt' || op === 'ge' || op === 'lt' || op === 'le'
}

function check (op: PositiveOp, c: number): boolean {
  switch (op) {
    case 'eq': return c === 0
    case 'gt': return c > 0
    case 'ge': return c >= 0
    case 'lt': return c < 0
    case 'le': return c <= 0
    default: return false
  }
}

function text (v: JsonValue): string | undefined {
  if (typeof v === 'string') return v
  if (typeof v === 'number' || typeof v === 'boolean') return String(v)
  return undefined
}

function stringTest (op: PositiveOp, s: string, caseExact: boolean): ValueTest {
  const c = caseExact ? s : s.toLowerCase()
  if (op === 'eq') {
    if (caseExact) return v => typeof v === 'string' ? v === c : text(v) === c
    const ascii = isAscii(c)
    return v => typeof v === 'string' ? equalsIgnoreCase(v, c, ascii) : text(v)?.toLowerCase() === c
  }
  const norm = caseExact ? (t: string) => t : (t: string) => t.toLowerCase()
  switch (op) {
    case 'co': return v => { const t = text(v); return t !== undefined && norm(t).includes(c) }
    case 'sw': return v => { const t = text(v); return t !== undefined && norm(t).startsWith(c) }
    case 'ew': return v => { const t = text(v); return t !== undefined && norm(t).endsWith(c) }
    default: return v => {
      const t = text(v)
      if (t === undefined) return false
      const x = norm(t)
      return check(op, x < c ? -1 : x > c ? 1 : 0)
    }
  }
}

function toNumber (v: JsonValue): number {
  if (typeof v === 'number') return v
  if (typeof v === 'string' && v.trim() !== '') return Number(v)
  return NaN
}

function numberTest (op: PositiveOp, value: Exclude<FilterValue, null>): ValueTest {
  if (op === 'co' || op === 'sw' || op === 'ew') return stringTest(op, String(value), false)
  const n = typeof value === 'boolean' ? NaN : toNumber(value)
  if (Number.isNaN(n)) return op === 'eq' ? stringTest('eq', String(value), false) : never
  return v => { const x = toNumber(v); return x === x && check(op, x < n ? -1 : x > n ? 1 : 0) }
}

function booleanTest (op: PositiveOp, value: Exclude<FilterValue, null>): ValueTest {
  if (op === 'co' || op === 'sw' || op === 'ew') return stringTest(op, String(value), false)
  if (op !== 'eq') return never
  const l = String(value).toLowerCase()
  if (l !== 'true' && l !== 'false') return never
  const b = l === 'true'
  // a boolean attribute stored as "True"/"true" equals true
  return v => v === b || (typeof v === 'string' && v.length === l.length && v.toLowerCase() === l)
}

function dateTimeTest (op: PositiveOp, value: Exclude<FilterValue, null>, guess: boolean): ValueTest {
  const fallback = stringTest(op, String(value), false)
  if (op === 'co' || op === 'sw' || op === 'ew' || typeof value !== 'string') return fallback
  const c = parseInstant(value, guess)
  if (c === undefined) return fallback
  return v => {
    if (typeof v !== 'string') return false
    const x = parseInstant(v, guess)
    if (x === undefined) return guess && fallback(v)
    return check(op, compareInstants(x, c))
  }
}

function isAscii (s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 127) return false
  return true
}

/**
 * `v.toLowerCase() === lower` without allocating for ASCII input. When `lower` is ASCII, a different
 * length rules equality out: the only lower-casing that changes length (U+0130) yields non-ASCII.
 */
function equalsIgnoreCase (v: string, lower: string, asciiLower: boolean): boolean {
  if (v === lower) return true
  if (!asciiLower) return v.toLowerCase() === lower
  const n = lower.length
  if (v.length !== n) return false
  for (let i = 0; i < n; i++) {
    let a = v.charCodeAt(i)
    if (a > 127) return v.toLowerCase() === lower
    if (a >= 65 && a <= 90) a += 32
    if (a !== lower.charCodeAt(i)) return false
  }
  return true
}
