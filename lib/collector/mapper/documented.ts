// Translation of SCIM Stream's documented mapper dialect into ours, on the syntax tree (parse, rewrite,
// print — never by splitting text):
// - `Join(a, b, c)` concatenates its arguments in SCIM Stream (`Join([name.givenName], " ",
//   [name.familyName])`); ours is Entra's `Join(separator, …)`, so it becomes `Join("", a, b, c)`.
// - `ElementNumber(arg, separator, number)` (SCIM Stream's order) becomes ours `ElementNumber(arg, number, separator)`.
// - `mapper.rules` `(employmentNav.results -most_current "startDate")`: every source path into that
//   list (`employmentNav.results.[0].jobTitle`, `employmentNav.results.startDate`) reads the most
//   current element instead: `(employmentNav.results -most_current "startDate" "endDate").jobTitle`.
//   The rule's field names are SCIM attributes (startDate/endDate); the element fields they come from
//   are found in the entries mapping to them (`employmentNav.results.[0].startDate → startDate`).
// Where the documented text and ours mean the same, the text is kept as written.
import type { Expr, PathStep, SourcePath } from './ast.ts'
import { parseExpression } from './expr-parser.ts'
import { printExpr, printPath } from './print.ts'
import { parseSourcePath } from './source-path.ts'

/** A `-most_current` mapper rule, resolved to the element fields. */
export interface MostCurrentRule { list: SourcePath, startField: string, endField: string }

/** What a translation changed (for the log line at start). */
export interface Translated {
  source: string
  join: boolean
  elementNumber: boolean
  mostCurrent: boolean
}

/** Sources starting like this are expressions; anything else is an attribute path. */
export const EXPRESSION_START = /^\s*(?:[A-Za-z_]\w*\s*\(|["[&0-9]|-\d|(?:true|false|null)\s*$)/i

/** True when `source` is an expression rather than an attribute path. */
export function isExpression (source: string): boolean {
  return EXPRESSION_START.test(source)
}

/**
 * Translates one source. `documented`: the entry was written in SCIM Stream's shape (Join and
 * ElementNumber follow SCIM Stream). `rules` apply to both shapes.
 * @throws MapperSyntaxError when the source does not parse (positions as in the original text)
 */
export function translateSource (source: string, documented: boolean, rules: readonly MostCurrentRule[]): Translated {
  const out: Translated = { source, join: false, elementNumber: false, mostCurrent: false }
  if (!isExpression(source)) {
    const path = parseSourcePath(source.trim())
    const next = applyRules(path, rules)
    if (next !== path) { out.mostCurrent = true; out.source = printPath(next) }
    return out
  }
  const tree = parseExpression(source)
  const next = rewrite(tree, documented, rules, out)
  if (next !== tree) out.source = printExpr(next)
  return out
}

function rewrite (e: Expr, documented: boolean, rules: readonly MostCurrentRule[], out: Translated): Expr {
  switch (e.kind) {
    case 'literal': case 'constant': return e
    case 'ref': {
      const path = applyRules(e.path, rules)
      if (path === e.path) return e
      out.mostCurrent = true
      return { ...e, path }
    }
    case 'compare': {
      const left = rewrite(e.left, documented, rules, out)
      const right = rewrite(e.right, documented, rules, out)
      return left === e.left && right === e.right ? e : { ...e, left, right }
    }
    case 'call': {
      let changed = false
      let args = e.args.map(a => {
        if (a === undefined) return a
        const r = rewrite(a, documented, rules, out)
        if (r !== a) changed = true
        return r
      })
      const name = e.name.toLowerCase()
      if (documented && name === 'join') {
        out.join = true
        changed = true
        args = [{ kind: 'literal', value: '', pos: e.pos }, ...args]
      } else if (documented && name === 'elementnumber' && args.length === 3 && isNumberLike(args[2]) && !isNumberLike(args[1])) {
        out.elementNumber = true
        changed = true
        args = [args[0], args[2], args[1]]
      }
      return changed ? { ...e, args } : e
    }
  }
}

function isNumberLike (e: Expr | undefined): boolean {
  if (e === undefined || e.kind !== 'literal') return false
  return typeof e.value === 'number' || (typeof e.value === 'string' && /^-?\d+$/.test(e.value.trim()))
}

/** The path with its prefix into a rule's list replaced by the -most_current step (same object when no rule applies). */
export function applyRules (path: SourcePath, rules: readonly MostCurrentRule[]): SourcePath {
  for (const r of rules) {
    const n = r.list.steps.length
    if (path.steps.length <= n) continue
    let same = true
    for (let i = 0; i < n; i++) {
      const a = path.steps[i] as PathStep
      const b = r.list.steps[i] as PathStep
      if (a.kind !== 'key' || b.kind !== 'key' || a.name.toLowerCase() !== b.name.toLowerCase()) { same = false; break }
    }
    if (!same) continue
    const after = path.steps[n] as PathStep
    // `list.[0]…` (documented) and `list.field` (over every element) both mean "the current one".
    const rest = after.kind === 'index' ? path.steps.slice(n + 1) : after.kind === 'key' ? path.steps.slice(n) : undefined
    if (rest === undefined) continue
    const step: PathStep = { kind: 'mostCurrent', list: r.list, startField: r.startField, endField: r.endField, memoKey: `${r.list.text}\u0000${r.startField}\u0000${r.endField}` }
    return { text: path.text, steps: [step, ...rest] }
  }
  return path
}

/**
 * Reads `mapper.rules[].filter` (`(employmentNav.results -most_current "startDate")`). The quoted
 * name is the SCIM attribute; `fieldOf(scimAttr, list)` gives the element field mapped to it (the
 * entry `employmentNav.results.[0].startDate: { map_to: startDate }` → `startDate`).
 * @throws Error with a readable reason
 */
export function parseMostCurrentRule (filter: string, fieldOf: (scimAttr: string, list: SourcePath) => string | undefined): MostCurrentRule {
  const path = parseSourcePath(filter.trim())
  const first = path.steps[0]
  if (path.steps.length !== 1 || first === undefined || first.kind !== 'mostCurrent') {
    throw new Error('the only mapper rule is (<list path> -most_current "startDate"), e.g. (employmentNav.results -most_current "startDate")')
  }
  if (first.list.steps.some(s => s.kind !== 'key')) throw new Error('the -most_current list must be a plain attribute path (employmentNav.results)')
  const startField = fieldOf(first.startField, first.list) ?? first.startField
  const endField = fieldOf(first.endField, first.list) ?? first.endField
  return { list: first.list, startField, endField }
}
