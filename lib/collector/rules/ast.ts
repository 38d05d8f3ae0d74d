// Syntax tree of the stream-rule filter language (streams[].rules[].filter, dynamics[].rules[].filter).
// Positions are 0-based offsets into the filter text.

/** Comparison operators. `-match`/`-notmatch` ignore case (as PowerShell's, whose syntax this follows); `-cmatch`/`-cnotmatch` do not. */
export type RuleOp = 'match' | 'notmatch' | 'cmatch' | 'cnotmatch'

/** A path into the message: `user.groups.display`, `user.roles."My App".value`, `initiatedByUpn`. */
export interface RulePath {
  /** Segments as written (quotes removed). The first is `user` or a top-level message field. */
  segments: string[]
  text: string
  pos: number
}

/** A filter node. */
export type RuleNode =
  /**
   * `exclude`: the matched group/role elements are left out of the channel's user. `qualifies` (the
   * documented modifier form `(path -match "re" -exclude)`): the comparison must also hold; the
   * operator form `(path -exclude "re")` only leaves elements out.
   */
  | { kind: 'compare', path: RulePath, op: RuleOp, pattern: string, regex: RegExp, exclude: boolean, qualifies?: boolean, pos: number }
  | { kind: 'and', left: RuleNode, right: RuleNode }
  | { kind: 'or', left: RuleNode, right: RuleNode }
  | { kind: 'not', expr: RuleNode, pos: number }
  /** The whole filter `(.*)`: every user, with all groups and roles. */
  | { kind: 'all' }

/** A syntax error with its 0-based position. Its message says `at <1-based position>`. */
export class RuleSyntaxError extends Error {
  readonly pos: number
  constructor (reason: string, pos: number) {
    super(`${reason} at ${pos + 1}`)
    this.name = 'RuleSyntaxError'
    this.pos = pos
  }
}
