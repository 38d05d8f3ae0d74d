// Prints mapper syntax trees back to source text (the inverse of expr-parser / source-path).
// Used when a documented-shape entry is translated into our shape: the tree is rewritten (SCIM
// Stream's Join, -most_current from mapper.rules) and printed, so the translated entry is plain
// text again (what the log line shows, what a template sends to the subscriber).
import type { Expr, PathStep, SourcePath } from './ast.ts'

/** Text of an expression that parses back to the same tree. */
export function printExpr (e: Expr): string {
  switch (e.kind) {
    case 'literal':
      if (typeof e.value === 'string') return printString(e.value)
      return e.value === null ? 'null' : String(e.value)
    case 'constant': return e.name
    case 'ref': return `[${printPath(e.path)}]`
    case 'compare': return `(${printExpr(e.left)} ${e.op} ${printExpr(e.right)})`
    case 'call': return `${e.name}(${e.args.map(a => a === undefined ? '' : printExpr(a)).join(', ')})`
  }
}

/** Text of a source path that parses back to the same steps. */
export function printPath (p: SourcePath): string {
  let out = ''
  p.steps.forEach((s, i) => { out += printStep(s, i === 0) })
  return out
}

function printStep (s: PathStep, first: boolean): string {
  switch (s.kind) {
    case 'key': return first ? s.name : `.${s.name}`
    case 'index': return first ? `[${s.index}]` : `.[${s.index}]`
    case 'match': return first ? `[${JSON.stringify(s.props)}]` : `.[${JSON.stringify(s.props)}]`
    case 'mostCurrent': return `(${printPath(s.list)} -most_current ${printString(s.startField)} ${printString(s.endField)})`
  }
}

/** A string literal of the expression language (\" and \\ escaped, control characters too). */
export function printString (v: string): string {
  return `"${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n').replace(/\r/g, '\\r').replace(/\t/g, '\\t')}"`
}
