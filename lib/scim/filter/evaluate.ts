// Filter evaluation: compiles a FilterNode once into closures (compile once, evaluate many).
// Semantics (RFC 7644 §3.4.2.2 plus interoperability leniency):
// - strings compare case-insensitively unless the schema says caseExact; unknown attributes are
//   case-insensitive; dateTime attributes compare by instant (also without schema when both sides are
//   ISO-8601 date-times); a boolean stored as "true"/"True" equals true;
// - multi-valued: true when any value matches; `emails eq "x"` compares the `value` sub-attribute;
// - `ne` is "no value is eq" (so it is true when the attribute is absent); `pr` is present and not
//   null, "", [] or {}; `eq null` is `not (x pr)` and `ne null` is `x pr`;
// - gt/ge/lt/le on a boolean, binary or complex attribute is an InvalidFilterError when the schema says
//   so, and otherwise simply false.
import { InvalidFilterError } from '../errors.ts'
import { findSub, type ResourceSchema } from '../schema/resolve.ts'
import { isJsonObject, type AttributeDef, type JsonObject, type JsonValue } from '../types.ts'
import type { AttrPath, CompareOp, FilterNode, FilterValue } from './ast.ts'
import { findKey, getCI, getFromExtensions, getTopValue } from './access.ts'
import { isOrdering, valueTest, type PositiveOp, type ValueKind, type ValueTest } from './compare.ts'

/** A compiled filter. */
export type FilterPredicate = (resource: JsonObject) => boolean

/**
 * Compiles a filter into a predicate. Compile once per request, then call it for every resource.
 * @param schema the resource type's schema: gives caseExact, types (dateTime, boolean, numbers) and
 *   rejects gt/ge/lt/le on boolean/binary/complex attributes.
 * @throws InvalidFilterError when the schema makes the filter meaningless (see above)
 * @example
 * const match = compileFilter(parseFilter('userName eq "bjensen"'), coreResourceSchema('User'))
 * const hits = users.filter(match)
 */
export function compileFilter (node: FilterNode, schema?: ResourceSchema): FilterPredicate {
  return compile(node, { schema, parent: undefined })
}

/**
 * Compiles the value filter of a multi-valued attribute (`emails[type eq "work"]`, PATCH
 * `members[value eq "x"]`) into a predicate over ONE element of that attribute. Paths in `filter` are
 * sub-attributes of `path`; the schema gives their types (caseExact, boolean `primary`, ...).
 * @example
 * const isWork = compileValueFilter(parsePatchPath('emails[type eq "work"]').filter!, { attr: 'emails' }, schema)
 * const workEmails = user.emails.filter(isWork)
 */
export function compileValueFilter (filter: FilterNode, path: AttrPath, schema?: ResourceSchema): FilterPredicate {
  return compile(filter, { schema, parent: path })
}

/** Evaluates a filter against one resource (compiles it each call; prefer compileFilter in loops). */
export function matchesFilter (node: FilterNode, resource: JsonObject, schema?: ResourceSchema): boolean {
  return compileFilter(node, schema)(resource)
}

interface Ctx {
  schema: ResourceSchema | undefined
  /** Set inside a value filter: paths are relative to the elements of this attribute. */
  parent: AttrPath | undefined
}

/** Walks `value → some value passes test`. */
type Some = (r: JsonObject, test: ValueTest) => boolean

function compile (node: FilterNode, ctx: Ctx): FilterPredicate {
  switch (node.type) {
    case 'and': {
      const parts = operands(node, 'and').map(n => compile(n, ctx))
      if (parts.length === 2) { const [a, b] = parts as [FilterPredicate, FilterPredicate]; return r => a(r) && b(r) }
      return r => { for (const p of parts) if (!p(r)) return false; return true }
    }
    case 'or': {
      const parts = operands(node, 'or').map(n => compile(n, ctx))
      if (parts.length === 2) { const [a, b] = parts as [FilterPredicate, FilterPredicate]; return r => a(r) || b(r) }
      return r => { for (const p of parts) if (p(r)) return true; return false }
    }
    case 'not': {
      const p = compile(node.expr, ctx)
      return r => !p(r)
    }
    case 'present': {
      const some = accessor(node.path, ctx, false)
      return r => some(r, nonEmpty)
    }
    case 'valuePath': {
      if (ctx.parent !== undefined) throw new InvalidFilterError('Nested value filters are not allowed')
      const inner = compile(node.filter, { schema: ctx.schema, parent: node.path })
      const some = accessor(node.path, ctx, false)
      const test: ValueTest = v => isJsonObject(v) && inner(v)
      return r => some(r, test)
    }
    case 'compare':
      return compileCompare(node.path, node.op, node.value, ctx)
  }
}

/** The operands of a chain of `and` (or `or`) nodes, in order; iterative so long chains do not recurse. */
export function operands (node: FilterNode, type: 'and' | 'or'): FilterNode[] {
  const out: FilterNode[] = []
  const stack: FilterNode[] = [node]
  while (stack.length > 0) {
    const n = stack.pop() as FilterNode
    if (n.type === type) stack.push(n.right, n.left)
    else out.push(n)
  }
  return out
}

function compileCompare (path: AttrPath, op: CompareOp, value: FilterValue, ctx: Ctx): FilterPredicate {
  const def = resolve(path, ctx)
  let target = def
  let valueSub = false
  if (def?.type === 'complex' && path.sub === undefined && ctx.parent === undefined) {
    if (isOrdering(op)) throw new InvalidFilterError(`Operator "${op}" cannot be used on complex attribute "${show(path)}"`)
    target = findSub(def, 'value')
    valueSub = true
  } else if (def === undefined) {
    valueSub = ctx.parent === undefined // unknown: multi-valued complex values compare their `value`
  }
  if (target !== undefined && isOrdering(op) && (target.type === 'boolean' || target.type === 'binary')) {
    throw new InvalidFilterError(`Operator "${op}" cannot be used on ${target.type} attribute "${show(path)}"`)
  }
  const some = accessor(path, ctx, valueSub)
  if (value === null) {
    // eq null: not present (as `not (x pr)`); ne null: present
    return op === 'ne' ? r => some(r, nonEmpty) : r => !some(r, nonEmpty)
  }
  if (def?.type === 'complex' && target === undefined) return op === 'ne' ? () => true : () => false
  const kind = kindOf(target)
  const caseExact = target?.caseExact === true
  if (op === 'ne') {
    const eq = valueTest(kind, caseExact, 'eq', value)
    return r => !some(r, eq)
  }
  const test = valueTest(kind, caseExact, op as PositiveOp, value)
  return r => some(r, test)
}

function kindOf (def: AttributeDef | undefined): ValueKind {
  switch (def?.type) {
    case undefined: return 'dynamic'
    case 'boolean': return 'boolean'
    case 'integer': case 'decimal': return 'number'
    case 'dateTime': return 'dateTime'
    case 'complex': return 'dynamic'
    default: return 'string'
  }
}

/** The schema definition of a filter path, also for unqualified extension attributes. */
function resolve (path: AttrPath, ctx: Ctx): AttributeDef | undefined {
  const s = ctx.schema
  if (s === undefined) return undefined
  if (ctx.parent !== undefined) {
    if (path.sub !== undefined || path.uri !== undefined) return undefined
    const p = ctx.parent
    return s.attribute(p.uri === undefined ? { attr: p.attr, sub: path.attr } : { uri: p.uri, attr: p.attr, sub: path.attr })
  }
  if (path.attr === '') return undefined
  const d = s.attribute(path)
  if (d !== undefined || path.uri !== undefined) return d
  for (const ext of s.schemas.slice(1)) {
    const e = s.attribute({ ...path, uri: ext.id })
    if (e !== undefined) return e
  }
  return undefined
}

/**
 * A function that applies a value test to every value `path` selects in a resource (or, inside a value
 * filter, in an element) until one passes. With `valueSub`, complex values are replaced by their
 * `value` sub-attribute (`emails eq "x"`).
 */
function accessor (path: AttrPath, ctx: Ctx, valueSub: boolean): Some {
  const sub = path.sub
  if (ctx.parent !== undefined || path.uri === undefined) {
    const attr = path.attr
    const topLevel = ctx.parent === undefined
    // names like "constructor" must not reach Object.prototype through r[attr]
    const direct = !(attr in Object.prototype)
    return (r, test) => {
      let v = direct ? r[attr] : undefined
      if (v === undefined) {
        const k = findKey(r, attr)
        v = k !== undefined ? r[k] : topLevel ? getFromExtensions(r, attr) : undefined
      }
      if (v === undefined || v === null) return false
      if (sub !== undefined) return someSub(v, sub, test)
      return someValue(v, test, valueSub)
    }
  }
  return (r, test) => {
    const v = getTopValue(r, path)
    if (v === undefined || v === null) return false
    if (sub !== undefined) return someSub(v, sub, test)
    return someValue(v, test, valueSub)
  }
}

function someValue (v: JsonValue, test: ValueTest, valueSub: boolean): boolean {
  if (Array.isArray(v)) {
    for (const e of v) if (e !== null && e !== undefined && someElement(e, test, valueSub)) return true
    return false
  }
  return someElement(v, test, valueSub)
}

function someElement (e: JsonValue, test: ValueTest, valueSub: boolean): boolean {
  if (valueSub && isJsonObject(e)) {
    const s = getCI(e, 'value')
    return s !== undefined && s !== null && someValue(s, test, false)
  }
  return test(e)
}

function someSub (v: JsonValue, sub: string, test: ValueTest): boolean {
  if (Array.isArray(v)) {
    for (const e of v) {
      if (!isJsonObject(e)) continue
      const s = getCI(e, sub)
      if (s !== undefined && s !== null && someValue(s, test, false)) return true
    }
    return false
  }
  if (!isJsonObject(v)) return false
  const s = getCI(v, sub)
  return s !== undefined && s !== null && someValue(s, test, false)
}

/** `pr`: present and not "", [] or {} (null and undefined never reach a test). */
const nonEmpty: ValueTest = v => {
  if (typeof v === 'string') return v !== ''
  if (Array.isArray(v)) return v.length > 0
  if (isJsonObject(v)) { for (const k in v) if (v[k] !== undefined && v[k] !== null) return true; return false }
  return true
}

function show (p: AttrPath): string {
  return `${p.uri !== undefined ? `${p.uri}:` : ''}${p.attr}${p.sub !== undefined ? `.${p.sub}` : ''}`
}
