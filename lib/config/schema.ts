// A small typed schema toolkit for configuration: one definition gives both the TypeScript type
// (`Infer<typeof schema>`) and the validation. `validate` reports EVERY problem at once with its JSON
// path, fills defaults, rejects unknown keys (with a "did you mean"), and never throws on bad input.
// Deliberately tiny: config needs objects, scalars, arrays, maps, enums and alternatives — no more.
import type { JsonObject, JsonValue } from '../scim/types.ts'
import { didYouMean, formatPath, type PathSegment } from './path.ts'

/** One problem found in a value: where, and what is wrong. */
export interface ValidationIssue { path: string, message: string }

export interface ValidateOptions {
  /**
   * Accept strings for numbers and booleans when they spell one exactly (`"8880"`, `"true"`).
   * The config loader turns this on because `process.env.X` references always yield strings.
   */
  coerce?: boolean
}

export type ValidationResult<T> =
  | { ok: true, value: T, errors: [] }
  | { ok: false, value: undefined, errors: ValidationIssue[] }

/** 'required' = must be present (or has a default); 'optional' = may be absent (`key?: T`). */
export type Presence = 'required' | 'optional'

/** The JSON type a schema accepts, used to pick the relevant alternative of a oneOf. */
export type BaseType = 'string' | 'number' | 'boolean' | 'array' | 'object' | 'any'

/** The type a schema produces. */
export type Infer<S> = S extends Schema<infer T, infer P> ? (P extends 'optional' ? T | undefined : T) : never
type Inner<S> = S extends Schema<infer T, Presence> ? T : never

/** Objects with every key optional, recursively (arrays and scalars as they are). */
export type DeepPartial<T> = T extends readonly unknown[] ? T : T extends object ? { [K in keyof T]?: DeepPartial<T[K]> } : T

const INVALID: unique symbol = Symbol('invalid')
type Invalid = typeof INVALID

interface Ctx { coerce: boolean, issues: ValidationIssue[] }
type Checker<T> = (value: unknown, path: PathSegment[], ctx: Ctx) => T | Invalid
type Refiner<T> = (value: T, report: (message: string, subPath?: PathSegment[]) => void) => void

// Not generic on purpose: keeps Schema<T> covariant in T, so Schema<number> is a Schema<unknown>.
interface Settings {
  description?: string
  defaultValue?: unknown
  hasDefault: boolean
  preprocess?: (raw: unknown) => unknown
  refiners: ReadonlyArray<Refiner<never>>
}

/**
 * A schema node. Build them with the factory functions below; chain `.optional()`, `.default(v)`,
 * `.describe(text)`, `.refine(fn)` and `.preprocess(fn)`. Schemas are immutable.
 */
export class Schema<T, P extends Presence = 'required'> {
  readonly #check: Checker<T>
  readonly #settings: Settings

  constructor (
    readonly baseType: BaseType,
    /** What the schema expects, in words: "integer 1..65535", "one of \"2.0\", \"1.1\"". */
    readonly expected: string,
    check: Checker<T>,
    readonly presence: P,
    settings: Settings = { hasDefault: false, refiners: [] },
    /** Object schemas: their shape, for documentation and "did you mean". */
    readonly shape?: Readonly<Record<string, Schema<unknown, Presence>>>
  ) {
    this.#check = check
    this.#settings = settings
  }

  get description (): string | undefined { return this.#settings.description }
  get hasDefault (): boolean { return this.#settings.hasDefault }

  /** The key may be absent (or null, as scimgateway's shipped configs write it); type becomes `key?: T`. */
  optional (): Schema<T, 'optional'> {
    return new Schema(this.baseType, this.expected, this.#check, 'optional', this.#settings, this.shape)
  }

  /**
   * Value used when the key is absent or null. It goes through validation like any input, so an
   * object default may be partial (`{}`) and its nested defaults fill in.
   */
  default (value: DeepPartial<T>): Schema<T, 'required'> {
    return new Schema(this.baseType, this.expected, this.#check, 'required', { ...this.#settings, defaultValue: value, hasDefault: true }, this.shape)
  }

  /** Human description (shown in generated docs). */
  describe (text: string): Schema<T, P> {
    return new Schema(this.baseType, this.expected, this.#check, this.presence, { ...this.#settings, description: text }, this.shape)
  }

  /** Rewrites the raw input before validation (e.g. drop placeholder entries). */
  preprocess (fn: (raw: unknown) => unknown): Schema<T, P> {
    return new Schema(this.baseType, this.expected, this.#check, this.presence, { ...this.#settings, preprocess: fn }, this.shape)
  }

  /** Cross-field rule run on a value that passed its own checks; `report` adds an issue (below this path). */
  refine (fn: Refiner<T>): Schema<T, P> {
    return new Schema(this.baseType, this.expected, this.#check, this.presence, { ...this.#settings, refiners: [...this.#settings.refiners, fn] }, this.shape)
  }

  /** @internal Validates `raw` at `path`; `undefined` = absent optional key. */
  run (raw: unknown, path: PathSegment[], ctx: Ctx): T | undefined | Invalid {
    const s = this.#settings
    let value = s.preprocess !== undefined ? s.preprocess(raw) : raw
    if (value === undefined || value === null) {
      if (s.hasDefault) value = structuredClone(s.defaultValue)
      else if (this.presence === 'optional') return undefined
      else {
        issue(ctx, path, value === null ? 'required (got null)' : 'required')
        return INVALID
      }
    }
    const result = this.#check(value, path, ctx)
    if (result === INVALID) return INVALID
    let ok = true
    for (const refine of s.refiners as ReadonlyArray<Refiner<T>>) {
      refine(result, (message, subPath = []) => { ok = false; issue(ctx, [...path, ...subPath], message) })
    }
    return ok ? result : INVALID
  }
}

/**
 * Validates `value` against `schema`: every problem with its path, defaults filled in.
 * @example
 * const r = validate(object({ port: integer({ min: 1, max: 65535 }).default(8880) }), { port: 'abc' })
 * // r.errors: [{ path: 'port', message: 'expected integer 1..65535, got "abc"' }]
 */
export function validate<S extends Schema<unknown, Presence>> (schema: S, value: unknown, opts: ValidateOptions = {}, basePath: PathSegment[] = []): ValidationResult<Infer<S>> {
  const ctx: Ctx = { coerce: opts.coerce === true, issues: [] }
  const result = schema.run(value, basePath, ctx)
  if (result === INVALID || ctx.issues.length > 0) {
    if (ctx.issues.length === 0) issue(ctx, basePath, `expected ${schema.expected}`)
    return { ok: false, value: undefined, errors: ctx.issues }
  }
  return { ok: true, value: result as Infer<S>, errors: [] }
}

// ---------------------------------------------------------------------------------------------
// Factories

/** A string. `minLength` defaults to 0; `pattern` is checked with `patternName` in the message. */
export function string (opts: { minLength?: number, pattern?: RegExp, patternName?: string } = {}): Schema<string> {
  const min = opts.minLength ?? 0
  const expected = opts.pattern !== undefined ? (opts.patternName ?? `string matching ${String(opts.pattern)}`) : min > 0 ? 'non-empty string' : 'string'
  return new Schema('string', expected, (v, path, ctx) => {
    if (typeof v !== 'string' || v.length < min || (opts.pattern !== undefined && !opts.pattern.test(v))) return fail(ctx, path, expected, v)
    return v
  }, 'required')
}

/** A finite number, optionally bounded. */
export function number (opts: { min?: number, max?: number } = {}): Schema<number> {
  return numeric(false, opts)
}

/** An integer, optionally bounded: message `expected integer 1..65535, got "abc"`. */
export function integer (opts: { min?: number, max?: number } = {}): Schema<number> {
  return numeric(true, opts)
}

/** true or false (with coerce: also the strings "true" and "false"). */
export function boolean (): Schema<boolean> {
  return new Schema('boolean', 'boolean', (v, path, ctx) => {
    if (typeof v === 'boolean') return v
    if (ctx.coerce && (v === 'true' || v === 'false')) return v === 'true'
    return fail(ctx, path, 'boolean', v)
  }, 'required')
}

/** One of a fixed set of strings. */
export function enumOf<const V extends readonly string[]> (values: V): Schema<V[number]> {
  const expected = `one of ${values.map(v => JSON.stringify(v)).join(', ')}`
  return new Schema('string', expected, (v, path, ctx) => {
    if (typeof v === 'string' && values.includes(v)) return v
    return fail(ctx, path, expected, v)
  }, 'required')
}

/** An array whose every item matches `item`; each bad item is reported with its index. */
export function array<I extends Schema<unknown, Presence>> (item: I, opts: { minItems?: number } = {}): Schema<Array<Inner<I>>> {
  const expected = `array of ${item.expected}`
  return new Schema('array', expected, (v, path, ctx) => {
    if (!Array.isArray(v)) return fail(ctx, path, expected, v)
    if (opts.minItems !== undefined && v.length < opts.minItems) {
      issue(ctx, path, `expected at least ${opts.minItems} item(s), got ${v.length}`)
      return INVALID
    }
    const out: Array<Inner<I>> = []
    let bad = false
    v.forEach((el: unknown, i) => {
      const r = item.run(el, [...path, i], ctx)
      if (r === INVALID) bad = true
      else if (r !== undefined) out.push(r as Inner<I>)
    })
    return bad ? INVALID : out
  }, 'required')
}

/** A map with free keys and values matching `value` (e.g. `stream.subscriber.entity`). */
export function record<V extends Schema<unknown, Presence>> (value: V): Schema<Record<string, Inner<V>>> {
  const expected = `object of ${value.expected}`
  return new Schema('object', expected, (v, path, ctx) => {
    if (!isPlainObject(v)) return fail(ctx, path, expected, v)
    const out: Record<string, Inner<V>> = {}
    let bad = false
    for (const [k, el] of Object.entries(v)) {
      const r = value.run(el, [...path, k], ctx)
      if (r === INVALID) bad = true
      else if (r !== undefined) out[k] = r as Inner<V>
    }
    return bad ? INVALID : out
  }, 'required')
}

type Shape = Record<string, Schema<unknown, Presence>>
type OptionalKeys<S extends Shape> = { [K in keyof S]: S[K] extends Schema<unknown, 'optional'> ? K : never }[keyof S]
type Simplify<T> = { [K in keyof T]: T[K] } & {}
/** The object type an object shape produces: optional schemas become `key?: T`. */
export type ObjectOut<S extends Shape> = Simplify<
  { [K in Exclude<keyof S, OptionalKeys<S>>]: Inner<S[K]> } & { [K in OptionalKeys<S>]?: Inner<S[K]> }
>

/**
 * An object with known keys. Unknown keys are errors (`unknown key "prot" (did you mean "port"?)`)
 * unless `unknownKeys: 'keep'` (they are then kept as JSON, e.g. plugin-specific `endpoint`).
 */
export function object<S extends Shape> (shape: S): Schema<ObjectOut<S>>
export function object<S extends Shape> (shape: S, opts: { unknownKeys: 'keep' }): Schema<ObjectOut<S> & JsonObject>
export function object<S extends Shape> (shape: S, opts: { unknownKeys: 'error' | 'keep' } = { unknownKeys: 'error' }): Schema<ObjectOut<S>> {
  const keys = Object.keys(shape)
  return new Schema('object', 'object', (v, path, ctx) => {
    if (!isPlainObject(v)) return fail(ctx, path, 'object', v)
    const out: Record<string, unknown> = {}
    let bad = false
    for (const key of keys) {
      const r = shape[key]?.run(v[key], [...path, key], ctx)
      if (r === INVALID) bad = true
      else if (r !== undefined) out[key] = r
    }
    for (const [key, el] of Object.entries(v)) {
      if (Object.hasOwn(shape, key)) continue
      if (opts.unknownKeys === 'keep') { out[key] = el; continue }
      const hint = didYouMean(key, keys)
      issue(ctx, [...path, key], hint !== undefined ? `unknown key (did you mean "${hint}"?)` : `unknown key; allowed: ${keys.join(', ')}`)
      bad = true
    }
    return bad ? INVALID : out as ObjectOut<S>
  }, 'required', undefined, shape)
}

/**
 * The first alternative that accepts the value. When none does, the alternative of the same JSON
 * type reports its detailed problems; otherwise one message names all alternatives.
 */
export function oneOf<A extends Array<Schema<unknown, Presence>>> (...alternatives: A): Schema<Inner<A[number]>> {
  const expected = alternatives.map(a => a.expected).join(' or ')
  return new Schema('any', expected, (v, path, ctx) => {
    for (const alt of alternatives) {
      const scratch: Ctx = { coerce: ctx.coerce, issues: [] }
      const r = alt.run(v, path, scratch)
      if (r !== INVALID && scratch.issues.length === 0) return r as Inner<A[number]>
    }
    const sameType = alternatives.filter(a => a.baseType === jsonType(v))
    if (sameType.length === 1 && sameType[0] !== undefined) {
      sameType[0].run(v, path, ctx)
      return INVALID
    }
    return fail(ctx, path, expected, v)
  }, 'required')
}

/** Any JSON value, unchecked (plugin-specific sections). */
export function json (): Schema<JsonValue> {
  return new Schema('any', 'JSON value', (v) => v as JsonValue, 'required')
}

/** Any JSON object, unchecked inside. */
export function jsonObject (): Schema<JsonObject> {
  return new Schema('object', 'object', (v, path, ctx) => isPlainObject(v) ? v as JsonObject : fail(ctx, path, 'object', v), 'required')
}

const SIZE = /^(\d+(?:\.\d+)?)\s*(b|kb|mb|gb)?$/i
const UNIT: Record<string, number> = { b: 1, kb: 1024, mb: 1024 ** 2, gb: 1024 ** 3 }

/** A size in bytes: an integer, or a string such as "500kb", "1mb", "1.5gb" (1024-based). */
export function byteSize (): Schema<number> {
  const expected = 'byte size (integer or "500kb", "1mb", …)'
  return new Schema('any', expected, (v, path, ctx) => {
    if (typeof v === 'number' && Number.isInteger(v) && v >= 0) return v
    const m = typeof v === 'string' ? SIZE.exec(v.trim()) : null
    if (m === null || m[1] === undefined) return fail(ctx, path, expected, v)
    return Math.round(Number(m[1]) * (UNIT[(m[2] ?? 'b').toLowerCase()] ?? 1))
  }, 'required')
}

/** Freezes a value and everything inside it (the loaded config is immutable). */
export function deepFreeze<T> (value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    for (const v of Object.values(value)) deepFreeze(v)
    Object.freeze(value)
  }
  return value
}

// ---------------------------------------------------------------------------------------------
// Helpers

function numeric (int: boolean, opts: { min?: number, max?: number }): Schema<number> {
  const kind = int ? 'integer' : 'number'
  const { min, max } = opts
  const expected = min !== undefined && max !== undefined
    ? `${kind} ${min}..${max}`
    : min !== undefined ? `${kind} >= ${min}` : max !== undefined ? `${kind} <= ${max}` : kind
  return new Schema('number', expected, (v, path, ctx) => {
    let n = v
    if (ctx.coerce && typeof v === 'string' && /^-?\d+(\.\d+)?$/.test(v.trim())) n = Number(v)
    if (typeof n !== 'number' || !Number.isFinite(n) || (int && !Number.isInteger(n)) ||
      (min !== undefined && n < min) || (max !== undefined && n > max)) return fail(ctx, path, expected, v)
    return n
  }, 'required')
}

function issue (ctx: Ctx, path: PathSegment[], message: string): void {
  ctx.issues.push({ path: formatPath(path), message })
}

function fail (ctx: Ctx, path: PathSegment[], expected: string, got: unknown): Invalid {
  issue(ctx, path, `expected ${expected}, got ${show(got)}`)
  return INVALID
}

function show (v: unknown): string {
  if (v === undefined) return 'nothing'
  const text = Array.isArray(v) ? 'an array' : isPlainObject(v) ? 'an object' : JSON.stringify(v) ?? String(v)
  return text.length > 60 ? `${text.slice(0, 57)}...` : text
}

function jsonType (v: unknown): BaseType {
  if (Array.isArray(v)) return 'array'
  if (isPlainObject(v)) return 'object'
  const t = typeof v
  return t === 'string' || t === 'number' || t === 'boolean' ? t : 'any'
}

function isPlainObject (v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}
