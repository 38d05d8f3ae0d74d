// SCIM filter → MongoDB query. Documents hold the whole SCIM resource plus lower-cased keys under
// `_k` (userName, displayName, emails, members) for case-insensitive, indexed matching; other string
// attributes match case-insensitively through anchored, escaped regular expressions. What cannot be
// expressed (extension attributes: their URN keys contain dots; derived `groups`; ordering on
// unindexed strings) becomes match-all or match-nothing by polarity, so the query returns a
// SUPERSET and `exact` is false: the gateway then re-applies the filter, sorting and paging.
import type { AttrPath, FilterNode, FilterValue } from '../../scim/filter/ast.ts'
import { InvalidFilterError } from '../../scim/errors.ts'

export type MongoQuery = Record<string, unknown>
export type Kind = 'Users' | 'Groups'

type FieldKind = 'key' | 'exact' | 'boolean' | 'dateTime' | 'generic' | 'none'
interface Field { kind: FieldKind, path: string }

const ALL: MongoQuery = {}
const NONE: MongoQuery = { _id: { $exists: false } }
const CORE = new Set(['urn:ietf:params:scim:schemas:core:2.0:user', 'urn:ietf:params:scim:schemas:core:2.0:group'])

const USER_FIELDS: Record<string, Field> = {
  id: { kind: 'exact', path: 'id' },
  username: { kind: 'key', path: '_k.userName' },
  displayname: { kind: 'key', path: '_k.displayName' },
  externalid: { kind: 'exact', path: 'externalId' },
  emails: { kind: 'key', path: '_k.emails' },
  'emails.value': { kind: 'key', path: '_k.emails' },
  active: { kind: 'boolean', path: 'active' },
  'meta.created': { kind: 'dateTime', path: 'meta.created' },
  'meta.lastmodified': { kind: 'dateTime', path: 'meta.lastModified' },
  groups: { kind: 'none', path: '' },
  'groups.value': { kind: 'none', path: '' },
  'groups.display': { kind: 'none', path: '' }
}
const GROUP_FIELDS: Record<string, Field> = {
  id: { kind: 'exact', path: 'id' },
  displayname: { kind: 'key', path: '_k.displayName' },
  externalid: { kind: 'exact', path: 'externalId' },
  members: { kind: 'key', path: '_k.members' },
  'members.value': { kind: 'key', path: '_k.members' },
  'meta.created': { kind: 'dateTime', path: 'meta.created' },
  'meta.lastmodified': { kind: 'dateTime', path: 'meta.lastModified' }
}

/** Field names: letters, digits, `_` and `-` only (no `$`, no dots inside a name). */
const SAFE = /^[A-Za-z_][A-Za-z0-9_-]*$/

export function escapeRegex (s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}

function fieldOf (kind: Kind, path: AttrPath): Field {
  if (path.uri !== undefined && !CORE.has(path.uri.toLowerCase())) return { kind: 'none', path: '' }
  const name = (path.sub === undefined ? path.attr : `${path.attr}.${path.sub}`)
  const known = (kind === 'Users' ? USER_FIELDS : GROUP_FIELDS)[name.toLowerCase()]
  if (known !== undefined) return known
  if (!SAFE.test(path.attr) || (path.sub !== undefined && !SAFE.test(path.sub))) return { kind: 'none', path: '' }
  return { kind: 'generic', path: name }
}

/** The MongoDB query for `node`, and whether it selects exactly the matches. */
export function toMongoQuery (kind: Kind, node: FilterNode): { query: MongoQuery, exact: boolean } {
  const st = { exact: true }
  return { query: translate(kind, node, true, st, false), exact: st.exact }
}

/** The sort field of a sortBy attribute, or undefined when it has no indexed/meaningful field. */
export function sortField (kind: Kind, sortBy: string): string | undefined {
  const f = fieldOf(kind, { attr: sortBy.includes(':') ? sortBy.slice(sortBy.lastIndexOf(':') + 1) : sortBy })
  return f.kind === 'key' || f.kind === 'exact' || f.kind === 'dateTime' || f.kind === 'boolean' ? f.path : undefined
}

function translate (kind: Kind, node: FilterNode, positive: boolean, st: { exact: boolean }, element: boolean): MongoQuery {
  const lossy = (): MongoQuery => { st.exact = false; return positive ? ALL : NONE }
  switch (node.type) {
    case 'and': return { $and: [translate(kind, node.left, positive, st, element), translate(kind, node.right, positive, st, element)] }
    case 'or': return { $or: [translate(kind, node.left, positive, st, element), translate(kind, node.right, positive, st, element)] }
    case 'not': return { $nor: [translate(kind, node.expr, !positive, st, element)] }
    case 'valuePath': {
      if (element || (node.path.uri !== undefined && !CORE.has(node.path.uri.toLowerCase())) || !SAFE.test(node.path.attr)) return lossy()
      if (kind === 'Users' && node.path.attr.toLowerCase() === 'groups') return lossy()
      return { [node.path.attr]: { $elemMatch: translate(kind, node.filter, positive, st, true) } }
    }
    case 'present':
    case 'compare': {
      const op = node.type === 'present' ? 'pr' : node.op
      const value: FilterValue = node.type === 'present' ? null : node.value
      if (op === 'ne') return { $nor: [translate(kind, { type: 'compare', path: node.path, op: 'eq', value }, !positive, st, element)] }
      if (op === 'eq' && value === null) return { $nor: [translate(kind, { type: 'present', path: node.path }, !positive, st, element)] }
      // inside $elemMatch, paths are the element's raw sub-attributes
      const f: Field = element
        ? (SAFE.test(node.path.attr) && node.path.sub === undefined ? { kind: 'generic', path: node.path.attr } : { kind: 'none', path: '' })
        : fieldOf(kind, node.path)
      return leaf(f, op, value, node.path) ?? lossy()
    }
  }
}

function leaf (f: Field, op: string, value: FilterValue, path: AttrPath): MongoQuery | undefined {
  if (f.kind === 'none') return undefined
  if (op === 'pr') return { [f.path]: { $exists: true, $nin: [null, '', []] } }
  if (f.kind === 'boolean') {
    if (op !== 'eq') throw new InvalidFilterError(`Operator "${op}" cannot be used on boolean attribute "${path.attr}"`)
    return typeof value === 'boolean' ? { [f.path]: value } : NONE
  }
  if (typeof value !== 'string') {
    if (f.kind === 'generic' && op === 'eq') return { [f.path]: value }
    return f.kind === 'generic' ? undefined : NONE
  }
  let v = value
  if (f.kind === 'dateTime') {
    const t = Date.parse(value)
    if (Number.isNaN(t) || op === 'co' || op === 'sw' || op === 'ew') return undefined
    v = new Date(t).toISOString()
  }
  if (f.kind === 'key') v = value.toLowerCase()
  const ci = f.kind === 'generic'
  const rx = (pattern: string): MongoQuery => ({ [f.path]: ci ? { $regex: pattern, $options: 'i' } : { $regex: pattern } })
  switch (op) {
    case 'eq': return ci ? rx(`^${escapeRegex(v)}$`) : { [f.path]: v }
    case 'co': return rx(escapeRegex(v))
    case 'sw': return rx(`^${escapeRegex(v)}`)
    case 'ew': return rx(`${escapeRegex(v)}$`)
    case 'gt': case 'ge': case 'lt': case 'le':
      if (ci) return undefined // a case-insensitive order has no index and no exact MongoDB form here
      return { [f.path]: { [`$${op === 'ge' ? 'gte' : op === 'le' ? 'lte' : op}`]: v } }
    default: return undefined
  }
}
