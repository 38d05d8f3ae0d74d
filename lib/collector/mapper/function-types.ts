// The shape of a mapper function: how many arguments it takes and how it computes its value.
import type { JsonObject, JsonValue } from '../../scim/types.ts'
import type { FormatCache } from './datetime.ts'
import type { Value } from './values.ts'

/** What a function sees besides its arguments. */
export interface FnContext {
  /** The evaluation's "now" (one instant per mapped user). */
  now: Date
  /** Per-source memo of source-path work (-most_current choices). */
  memo: Map<string, JsonValue | undefined>
  /** Per-mapper caches: compiled regular expressions (Replace) and split date formats. */
  caches: FnCaches
  /** The entry's map_to, for SelectUniqueValue's uniqueness check. */
  mapTo: string
  /** Uniqueness check for SelectUniqueValue (see CompileMapperOptions.isUnique). */
  isUnique: ((mapTo: string, value: string) => boolean) | undefined
  /** The SCIM user being built (read by `scim_refs` references). */
  user?: JsonObject
}

/** Caches owned by one compiled mapper (no module-level mutable state). */
export interface FnCaches { regexes: Map<string, RegExp>, formats: FormatCache }

/** New, empty caches. */
export function newCaches (): FnCaches { return { regexes: new Map(), formats: new Map() } }

/** A function the mapper evaluates. Arguments are evaluated first (omitted ones are undefined). */
export interface FnDef {
  /** Canonical spelling (as Microsoft / SCIM Stream write it). */
  name: string
  min: number
  max: number
  /** False for Now/Guid/RandomString: never folded into a constant. */
  pure: boolean
  call: (args: Value[], ctx: FnContext) => Value
}

/** Shorthand for defining functions. */
export function fn (name: string, min: number, max: number, call: FnDef['call'], pure = true): FnDef {
  return { name, min, max, call, pure }
}
