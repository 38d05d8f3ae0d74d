// Syntax trees of the mapper: source attribute paths (`employmentNav.results.[0].jobTitle`,
// `[{"isPrimary":true}]`, `(employmentNav.results -most_current "startDate")`) and expressions
// (literals, `[path]` references, nestable function calls, `=` / `<>` comparisons).
// Positions are 0-based offsets into the text the node was parsed from.
import type { JsonObject } from '../../scim/types.ts'

/** One step of a source path. */
export type PathStep =
  /** An object key (exact spelling first, then case-insensitive); over an array it maps every element. */
  | { kind: 'key', name: string }
  /** `[n]` / `[-n]`: the n-th element (negative counts from the end). */
  | { kind: 'index', index: number }
  /** `[{"isPrimary":true}]`: the first element whose properties equal all of these. */
  | { kind: 'match', props: JsonObject }
  /** `(list -most_current "startDate" ["endDate"])`: the element whose period contains now. */
  | { kind: 'mostCurrent', list: SourcePath, startField: string, endField: string, memoKey: string }

/** A parsed source attribute path. `text` is the path as written. */
export interface SourcePath { text: string, steps: PathStep[] }

/** Comparison operators of the expression language (VBA style). */
export type CmpOp = '=' | '<>'

/** An expression node. */
export type Expr =
  | { kind: 'literal', value: string | number | boolean | null, pos: number }
  | { kind: 'ref', path: SourcePath, pos: number }
  /** A named constant (`vbTextCompare`, `vbBinaryCompare`, `vbDatabaseCompare`). */
  | { kind: 'constant', name: string, value: number, pos: number }
  /** A function call; `args[i]` is undefined for an omitted argument (`f(a, , b)`). */
  | { kind: 'call', name: string, args: Array<Expr | undefined>, pos: number, end: number }
  | { kind: 'compare', op: CmpOp, left: Expr, right: Expr, pos: number }

/** A syntax error with its 0-based position in the parsed text. */
export class MapperSyntaxError extends Error {
  readonly pos: number
  /** The message without the position ("unexpected \")\""). */
  readonly reason: string
  constructor (reason: string, pos: number) {
    super(`${reason} at ${pos + 1}`)
    this.name = 'MapperSyntaxError'
    this.reason = reason
    this.pos = pos
  }
}
