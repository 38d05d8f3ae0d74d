// Turns an expression tree into a closure (compile once, evaluate many) or, when it calls a
// function only the subscriber can evaluate (GetUniqueValue, Increment), into a template.
//
// Template choice: an expression that calls GetUniqueValue or Increment anywhere is emitted whole,
// as the text written in the config (trimmed), nothing pre-evaluated. Its `[attr]` references name
// attributes of the SCIM user in the message, which the subscriber resolves; every function in it
// must be one the subscriber knows (Join, Normalize, LowerCase, UpperCase, FirstN, ElementNumber,
// Replace, GetUniqueValue, Increment) — anything else is a config error, found at compile time.
//
// Calls of pure functions whose arguments are all constants are folded at compile time, so
// `Left("abc", "x")` is a config error, not 100,000 runtime errors.
import type { JsonObject } from '../../scim/types.ts'
import { MapperSyntaxError, type Expr, type SourcePath } from './ast.ts'
import { newCaches, type FnContext } from './function-types.ts'
import { lookupFunction, subscriberKnows } from './functions.ts'
import { parseSourcePath, readSourcePath } from './source-path.ts'
import { EvalError, IgnoreFlow, isNull, scalar, toStr, type Value } from './values.ts'

/** A compiled expression. */
export type Compiled =
  | { kind: 'eval', run: (src: JsonObject, ctx: FnContext) => Value }
  | { kind: 'template', text: string }

type Run = (src: JsonObject, ctx: FnContext) => Value

/**
 * Compiles a parsed expression. `text` is the expression as written (templates are emitted from it).
 * @throws MapperSyntaxError for unknown functions, wrong argument counts, misuse in templates
 */
export function compileExpression (expr: Expr, text: string, opts: { scimRefs?: boolean } = {}): Compiled {
  if (containsSubscriberCall(expr)) {
    checkTemplate(expr)
    return { kind: 'template', text: text.trim() }
  }
  const c = compileNode(expr, opts.scimRefs === true)
  return { kind: 'eval', run: c.run }
}

function containsSubscriberCall (e: Expr): boolean {
  if (e.kind === 'call') return lookupFunction(e.name).kind === 'subscriber' || e.args.some(a => a !== undefined && containsSubscriberCall(a))
  if (e.kind === 'compare') return containsSubscriberCall(e.left) || containsSubscriberCall(e.right)
  return false
}

function checkTemplate (e: Expr): void {
  if (e.kind === 'compare') throw new MapperSyntaxError(`"${e.op}" cannot be evaluated by the subscriber (the expression calls GetUniqueValue/Increment, so it is sent as a template)`, e.pos)
  if (e.kind !== 'call') return
  if (!subscriberKnows(e.name)) {
    const known = lookupFunction(e.name).kind !== 'unknown'
    throw new MapperSyntaxError(known
      ? `${e.name} cannot be evaluated by the subscriber (the expression calls GetUniqueValue/Increment, so it is sent as a template)`
      : `unknown function "${e.name}"`, e.pos)
  }
  for (const a of e.args) if (a !== undefined) checkTemplate(a)
}

interface Node { run: Run, constant: boolean }


function compileNode (e: Expr, scimRefs: boolean): Node {
  switch (e.kind) {
    case 'literal': { const v = e.value; return { run: () => v, constant: true } }
    case 'constant': { const v = e.value; return { run: () => v, constant: true } }
    case 'ref': {
      const path = e.path
      if (scimRefs) {
        // the SCIM user being built first (`[name.givenName]`, `[urn:…:User:employeeNumber]`), then the source
        const userPath = scimPath(path)
        return {
          run: (src, ctx) => (ctx.user !== undefined ? readSourcePath(ctx.user, userPath, ctx.now) : undefined) ?? readSourcePath(src, path, ctx.now, ctx.memo) ?? null,
          constant: false
        }
      }
      return { run: (src, ctx) => readSourcePath(src, path, ctx.now, ctx.memo) ?? null, constant: false }
    }
    case 'compare': {
      const l = compileNode(e.left, scimRefs).run
      const r = compileNode(e.right, scimRefs).run
      const ne = e.op === '<>'
      return { run: (src, ctx) => equal(l(src, ctx), r(src, ctx)) !== ne, constant: false }
    }
    case 'call': return compileCall(e, scimRefs)
  }
}

function compileCall (e: Extract<Expr, { kind: 'call' }>, scimRefs: boolean): Node {
  const f = lookupFunction(e.name)
  if (f.kind === 'unknown') throw new MapperSyntaxError(`unknown function "${e.name}"`, e.pos)
  if (f.kind === 'notApplicable') throw new MapperSyntaxError(`${e.name} is about Entra app role assignments and does not apply to SCIM Stream`, e.pos)
  if (f.kind === 'subscriber') throw new MapperSyntaxError(`${f.name} is evaluated by the subscriber`, e.pos)
  const def = f.def
  const n = e.args.length
  if (n < def.min || n > def.max) {
    const want = def.min === def.max ? `${def.min}` : def.max === Infinity ? `at least ${def.min}` : `${def.min} to ${def.max}`
    throw new MapperSyntaxError(`${def.name} takes ${want} argument${def.max === 1 && def.min === 1 ? '' : 's'}, got ${n}`, e.pos)
  }
  const args = e.args.map(a => a === undefined ? undefined : compileNode(a, scimRefs))
  const runs: Array<Run | undefined> = args.map(a => a?.run)
  const call = def.call
  const run: Run = (src, ctx) => {
    const vals: Value[] = new Array<Value>(runs.length)
    for (let i = 0; i < runs.length; i++) {
      const r = runs[i]
      if (r !== undefined) {
        const v = r(src, ctx)
        vals[i] = v === undefined ? null : v // written but without value: null; omitted stays undefined
      }
    }
    return call(vals, ctx)
  }
  const constant = def.pure && args.every(a => a === undefined || a.constant)
  if (!constant) return { run, constant: false }
  let folded: Value
  try {
    folded = run({}, { now: new Date(0), mapTo: '', isUnique: undefined, memo: new Map(), caches: newCaches() })
  } catch (err) {
    if (err instanceof IgnoreFlow) return { run, constant: false }
    if (err instanceof EvalError) throw new MapperSyntaxError(err.message, e.pos)
    throw err
  }
  return { run: () => folded, constant: true }
}

/**
 * A reference as a path into the SCIM user: a schema URN (which has dots itself: `…:2.0:User`) is
 * one key, the attribute path starts after its last colon.
 */
function scimPath (path: SourcePath): SourcePath {
  const text = path.text
  if (!/^urn:/i.test(text)) return path
  const colon = text.lastIndexOf(':')
  const rest = parseSourcePath(text.slice(colon + 1))
  return { text, steps: [{ kind: 'key', name: text.slice(0, colon) }, ...rest.steps] }
}

/** `=` of the expression language: numbers numerically, booleans case-insensitively, else as text. */
function equal (a: Value, b: Value): boolean {
  const x = scalar(a)
  const y = scalar(b)
  if (isNull(x) || isNull(y)) return isNull(x) && isNull(y)
  if (typeof x === 'number' && typeof y === 'number') return x === y
  if (typeof x === 'boolean' || typeof y === 'boolean') return toStr(x).toLowerCase() === toStr(y).toLowerCase()
  return toStr(x) === toStr(y)
}
