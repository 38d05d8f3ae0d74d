// Evaluation of rule trees against a message: whether a rule holds, and which elements of
// user.groups / user.roles it selects (a comparison on a group/role path that holds selects the
// elements that matched; `not`, -notmatch and false branches select nothing).
//
// Paths: the first segment is `user` (the message's user) or a top-level message field
// (`initiatedByUpn`). Names match case-insensitively. Over a multi-valued attribute every element is
// visited. A segment that is not a key of an element but equals the element's `type` selects that
// element ("type-keyed"): `user.emails.work.value`, `user.roles.<application>.value`.
import { findKey } from '../../scim/filter/index.ts'
import { isJsonObject, type JsonObject, type JsonValue } from '../../scim/types.ts'
import type { RuleNode, RulePath } from './ast.ts'

/** A message as the rules see it: the user and the message's other fields. */
export interface RuleMessage extends JsonObject { user: JsonObject }

/** Which group/role elements (indices into user.groups / user.roles) a holding rule selects. */
export interface Selection { all: boolean, groups: ReadonlySet<number> | undefined, roles: ReadonlySet<number> | undefined }

export const NONE: Selection = Object.freeze({ all: false, groups: undefined, roles: undefined })
const ALL: Selection = Object.freeze({ all: true, groups: undefined, roles: undefined })

type CompareNode = Extract<RuleNode, { kind: 'compare' }>
type Collection = 'groups' | 'roles'

/** Which collection a path selects in, if any (`user.groups…`, `user.roles…`). */
export function collectionOf (path: RulePath): Collection | undefined {
  if (path.segments.length < 2 || (path.segments[0] as string).toLowerCase() !== 'user') return undefined
  const c = (path.segments[1] as string).toLowerCase()
  return c === 'groups' || c === 'roles' ? c : undefined
}

/** Evaluates a tree: undefined when it does not hold, else what it selects. */
export function evaluateNode (node: RuleNode, msg: RuleMessage): Selection | undefined {
  switch (node.kind) {
    case 'all': return ALL
    case 'compare': return evaluateCompare(node, msg)
    case 'and': {
      const l = evaluateNode(node.left, msg)
      if (l === undefined) return undefined
      const r = evaluateNode(node.right, msg)
      return r === undefined ? undefined : merge(l, r)
    }
    case 'or': {
      const l = evaluateNode(node.left, msg)
      const r = evaluateNode(node.right, msg)
      if (l === undefined) return r
      return r === undefined ? l : merge(l, r)
    }
    case 'not': return evaluateNode(node.expr, msg) === undefined ? NONE : undefined
  }
}

/** Indices of the collection's elements a comparison matches (for -exclude). */
export function matchedElements (node: CompareNode, msg: RuleMessage): { collection: Collection, indices: Set<number> } | undefined {
  const collection = collectionOf(node.path)
  if (collection === undefined) return undefined
  return { collection, indices: matchIndices(node, msg, collection) }
}

function evaluateCompare (node: CompareNode, msg: RuleMessage): Selection | undefined {
  const negated = node.op === 'notmatch' || node.op === 'cnotmatch'
  const collection = collectionOf(node.path)
  if (collection !== undefined) {
    const idx = matchIndices(node, msg, collection)
    if (negated) return idx.size === 0 ? NONE : undefined
    if (idx.size === 0) return undefined
    return collection === 'groups' ? { all: false, groups: idx, roles: undefined } : { all: false, groups: undefined, roles: idx }
  }
  const segs = node.path.segments
  const hit = (segs[0] as string).toLowerCase() === 'user'
    ? anyInUser(msg.user, segs, node.regex)
    : anyMatch(msg, segs, 0, node.regex)
  return hit !== negated ? NONE : undefined
}

function matchIndices (node: CompareNode, msg: RuleMessage, collection: Collection): Set<number> {
  const out = new Set<number>()
  const user = msg.user
  const k = user[collection] !== undefined ? collection : findKey(user, collection)
  const list = k === undefined ? undefined : user[k]
  if (!Array.isArray(list)) return out
  const segs = collection === 'roles' ? withAppName(node.path.segments, msg) : node.path.segments
  const ids = collection === 'groups' && segs.length === 3 && (segs[2] as string).toLowerCase() === 'value' ? msg[GROUP_IDS_KEY] : undefined
  for (let i = 0; i < list.length; i++) {
    if (anyMatch(list[i], segs, 2, node.regex) || idMatches(list[i], ids, node.regex)) out.add(i)
  }
  return out
}

/**
 * `user.groups.value` also matches a group's directory object id when the group's value is its name
 * (Entra without use_original_group_id: the documented rule examples name groups by object id).
 * `@groupIds`: group value → its object ids, given by the Entra collector for the rules only.
 */
function idMatches (el: JsonValue | undefined, ids: JsonValue | undefined, re: RegExp): boolean {
  if (!isJsonObject((ids ?? null) as JsonValue) || !isJsonObject((el ?? null) as JsonValue)) return false
  const value = (el as JsonObject).value
  const of = typeof value === 'string' ? (ids as JsonObject)[value] : undefined
  return Array.isArray(of) && of.some(id => typeof id === 'string' && re.test(id))
}

/** Message field with the groups' object ids by their value (not published: for the rules only). */
export const GROUP_IDS_KEY = '@groupIds'

/**
 * `user.roles.<Enterprise application object id>.value`: a role's `type` is the application's name,
 * so an object id is read as that name when the message knows it (`@roleApps`: object id → name,
 * given by the Entra collector). Anything else is left as written (a name, or an id used as type).
 */
function withAppName (segs: readonly string[], msg: RuleMessage): readonly string[] {
  const apps = msg[ROLE_APPS_KEY]
  const seg = segs[2]
  if (seg === undefined || segs.length < 4 || !isJsonObject((apps ?? null) as JsonValue)) return segs
  const name = (apps as JsonObject)[seg] ?? (apps as JsonObject)[seg.toLowerCase()]
  return typeof name === 'string' ? [segs[0] as string, segs[1] as string, name, ...segs.slice(3)] : segs
}

/** Message field with the Enterprise applications by object id (not published: the pipeline sets it for the rules only). */
export const ROLE_APPS_KEY = '@roleApps'

/**
 * `user.<attr>…`: the attribute at top level, else (as SCIM filters do) in the schema-extension
 * objects, so `user.department` finds the enterprise extension's department.
 */
function anyInUser (user: JsonObject, segs: readonly string[], re: RegExp): boolean {
  const seg = segs[1] as string
  if (user[seg] !== undefined || findKey(user, seg) !== undefined) return anyMatch(user, segs, 1, re)
  for (const k in user) {
    if (k.length > 4 && k.charCodeAt(3) === 58 && k.slice(0, 3).toLowerCase() === 'urn') {
      const ext = user[k]
      if (isJsonObject(ext) && anyMatch(ext, segs, 1, re)) return true
    }
  }
  return false
}

/**
 * True when a leaf value `segs[i..]` reaches from `v` matches `re` (arrays visited, type-keyed
 * segments resolved; strings, numbers and booleans are tested as text).
 */
function anyMatch (v: JsonValue | undefined, segs: readonly string[], i: number, re: RegExp): boolean {
  if (v === undefined || v === null) return false
  if (Array.isArray(v)) {
    for (const e of v) if (anyMatch(e, segs, i, re)) return true
    return false
  }
  if (i === segs.length) {
    if (typeof v === 'string') return re.test(v)
    if (typeof v === 'number' || typeof v === 'boolean') return re.test(String(v))
    return false
  }
  if (!isJsonObject(v)) return false
  const seg = segs[i] as string
  const k = v[seg] !== undefined ? seg : findKey(v, seg)
  if (k !== undefined) return anyMatch(v[k], segs, i + 1, re)
  const type = v.type
  return typeof type === 'string' && type.toLowerCase() === seg.toLowerCase() && anyMatch(v, segs, i + 1, re)
}

function merge (a: Selection, b: Selection): Selection {
  if (a === NONE || (a.groups === undefined && a.roles === undefined && !a.all)) return b
  if (b === NONE || (b.groups === undefined && b.roles === undefined && !b.all)) return a
  return { all: a.all || b.all, groups: union(a.groups, b.groups), roles: union(a.roles, b.roles) }
}

function union (a: ReadonlySet<number> | undefined, b: ReadonlySet<number> | undefined): ReadonlySet<number> | undefined {
  if (a === undefined) return b
  if (b === undefined) return a
  const s = new Set(a)
  for (const x of b) s.add(x)
  return s
}
