// Translates a SCIM filter syntax tree into a parameterised SQL WHERE clause. Every value travels as
// a bind parameter; only validated identifiers are spliced in. What cannot be expressed (attributes
// without a column, e.g. enterprise extension attributes stored in the JSON `data`) becomes TRUE or
// FALSE depending on polarity, so the SQL result is always a SUPERSET of the matches; `exact` then
// is false and the gateway re-applies the filter, sorting and paging on what the query returned.
import type { AttrPath, FilterNode, FilterValue } from '../../scim/filter/ast.ts'
import { InvalidFilterError, InvalidValueError } from '../../scim/errors.ts'
import type { Dialect } from './dialect.ts'
import type { Tables } from './mapping.ts'

/** Collects bind parameters and hands out the dialect's placeholders. */
export class Params {
  readonly values: unknown[] = []
  constructor (private readonly dialect: Dialect) {}
  add (v: unknown): string {
    this.values.push(v)
    return this.dialect.param(this.values.length)
  }
}

export type Kind = 'Users' | 'Groups'
type ValueKind = 'key' | 'ci' | 'exact' | 'boolean' | 'dateTime'
/** A single-valued column: its SQL expression and how values compare. */
interface Column { kind: ValueKind, expr: string }
/** A multi-valued attribute kept in a child table: correlated subquery parts and element columns. */
interface Multi { from: string, correlate: string, sub: Record<string, Column>, defaultSub: string }

const TRUE = '1=1'
const FALSE = '1=0'
const CORE = new Set(['urn:ietf:params:scim:schemas:core:2.0:user', 'urn:ietf:params:scim:schemas:core:2.0:group', 'urn:scim:schemas:core:1.0'])

/** The SQL a resource kind is read with: table alias `t`, columns by SCIM attribute (lower-case). */
export class Scope {
  readonly columns: Record<string, Column>
  readonly multi: Record<string, Multi>
  constructor (readonly kind: Kind, readonly t: Tables, readonly d: Dialect) {
    const q = (c: string): string => `t.${d.ident(c)}`
    if (kind === 'Users') {
      const u = t.users.c; const e = t.emails.c; const m = t.members.c
      this.columns = {
        id: { kind: 'exact', expr: q(u.id) },
        username: { kind: 'key', expr: q(u.userNameKey) },
        externalid: { kind: 'exact', expr: q(u.externalId) },
        displayname: { kind: 'key', expr: q(u.displayNameKey) },
        'name.givenname': { kind: 'ci', expr: q(u.givenName) },
        'name.familyname': { kind: 'ci', expr: q(u.familyName) },
        active: { kind: 'boolean', expr: q(u.active) },
        'meta.created': { kind: 'dateTime', expr: q(u.created) },
        'meta.lastmodified': { kind: 'dateTime', expr: q(u.lastModified) }
      }
      const eq = (c: string): string => `e.${d.ident(c)}`
      this.multi = {
        emails: {
          from: `${d.ident(t.emails.name)} e`,
          correlate: `${eq(e.userId)} = ${q(u.id)}`,
          sub: { value: { kind: 'key', expr: eq(e.valueKey) }, type: { kind: 'ci', expr: eq(e.type) }, primary: { kind: 'boolean', expr: eq(e.primary) } },
          defaultSub: 'value'
        },
        // user ids are lower-case UUIDs, so a member's value_key equals the user's id
        groups: {
          from: `${d.ident(t.members.name)} m`,
          correlate: `m.${d.ident(m.valueKey)} = ${q(u.id)}`,
          sub: { value: { kind: 'exact', expr: `m.${d.ident(m.groupId)}` } },
          defaultSub: 'value'
        }
      }
    } else {
      const g = t.groups.c; const m = t.members.c
      this.columns = {
        id: { kind: 'exact', expr: q(g.id) },
        displayname: { kind: 'key', expr: q(g.displayNameKey) },
        externalid: { kind: 'exact', expr: q(g.externalId) },
        'meta.created': { kind: 'dateTime', expr: q(g.created) },
        'meta.lastmodified': { kind: 'dateTime', expr: q(g.lastModified) }
      }
      this.multi = {
        members: {
          from: `${d.ident(t.members.name)} m`,
          correlate: `m.${d.ident(m.groupId)} = ${q(g.id)}`,
          sub: { value: { kind: 'key', expr: `m.${d.ident(m.valueKey)}` }, display: { kind: 'ci', expr: `m.${d.ident(m.display)}` } },
          defaultSub: 'value'
        }
      }
    }
  }

  /** The ORDER BY expression of a sortBy attribute, or undefined when it has no column. */
  sortColumn (sortBy: string): string | undefined {
    const c = this.columns[normalise({ attr: sortBy.includes(':') ? sortBy.slice(sortBy.lastIndexOf(':') + 1) : sortBy })]
    return c?.expr
  }
}

export interface Where { sql: string, exact: boolean }

/** The WHERE condition for `node` (parameters added to `params`). */
export function toWhere (node: FilterNode, scope: Scope, params: Params): Where {
  const st = { exact: true }
  const sql = translate(node, true, scope, params, st, undefined)
  return { sql, exact: st.exact }
}

function normalise (path: AttrPath): string {
  const base = path.sub === undefined ? path.attr : `${path.attr}.${path.sub}`
  return base.toLowerCase()
}

/**
 * `positive`: the result must be a superset of the matches (FALSE would be a subset); flipped under
 * `not`, so an untranslatable condition inside a `not` becomes FALSE and the NOT makes it TRUE.
 */
function translate (node: FilterNode, positive: boolean, scope: Scope, params: Params, st: { exact: boolean }, element: Multi | undefined): string {
  const lossy = (): string => { st.exact = false; return positive ? TRUE : FALSE }
  switch (node.type) {
    case 'and': return `(${translate(node.left, positive, scope, params, st, element)} AND ${translate(node.right, positive, scope, params, st, element)})`
    case 'or': return `(${translate(node.left, positive, scope, params, st, element)} OR ${translate(node.right, positive, scope, params, st, element)})`
    case 'not': return `(NOT ${translate(node.expr, !positive, scope, params, st, element)})`
    case 'valuePath': {
      if (element !== undefined || !isCore(node.path)) return lossy()
      const multi = scope.multi[node.path.attr.toLowerCase()]
      if (multi === undefined) return lossy()
      const inner = translate(node.filter, positive, scope, params, st, multi)
      return `EXISTS (SELECT 1 FROM ${multi.from} WHERE ${multi.correlate} AND ${inner})`
    }
    case 'present':
    case 'compare': {
      if (!isCore(node.path)) return lossy()
      const op = node.type === 'present' ? 'pr' : node.op
      const value: FilterValue = node.type === 'present' ? null : node.value
      if (op === 'ne') return `(NOT ${translate({ type: 'compare', path: node.path, op: 'eq', value }, !positive, scope, params, st, element)})`
      if (op === 'eq' && value === null) return `(NOT ${translate({ type: 'present', path: node.path }, !positive, scope, params, st, element)})`
      if (element !== undefined) {
        const col = element.sub[normalise(node.path)]
        return col === undefined ? lossy() : leaf(col, op, value, node.path, params) ?? lossy()
      }
      const name = normalise(node.path)
      const col = scope.columns[name]
      if (col !== undefined) return leaf(col, op, value, node.path, params) ?? lossy()
      const [attr, sub] = name.split('.')
      const multi = scope.multi[attr ?? '']
      const mcol = multi?.sub[sub ?? multi.defaultSub]
      if (multi === undefined || mcol === undefined) return lossy()
      const cond = leaf(mcol, op, value, node.path, params)
      return cond === undefined ? lossy() : `EXISTS (SELECT 1 FROM ${multi.from} WHERE ${multi.correlate} AND ${cond})`
    }
  }
}

function isCore (path: AttrPath): boolean {
  return path.uri === undefined || CORE.has(path.uri.toLowerCase())
}

/** One comparison on one column; undefined when it cannot be expressed exactly. Never yields SQL NULL. */
function leaf (col: Column, op: string, value: FilterValue, path: AttrPath, params: Params): string | undefined {
  const isString = col.kind === 'key' || col.kind === 'ci' || col.kind === 'exact'
  if (op === 'pr') return isString ? `(${col.expr} IS NOT NULL AND ${col.expr} <> '')` : `${col.expr} IS NOT NULL`
  const name = path.sub === undefined ? path.attr : `${path.attr}.${path.sub}`
  if (col.kind === 'boolean') {
    if (op !== 'eq') throw new InvalidFilterError(`Operator "${op}" cannot be used on boolean attribute "${name}"`)
    if (typeof value !== 'boolean') return FALSE
    return `(${col.expr} IS NOT NULL AND ${col.expr} = ${params.add(value)})`
  }
  if (typeof value === 'string' && value.includes('\u0000')) throw new InvalidValueError(`filter value for "${name}" contains a NUL character`)
  let expr = col.expr
  let v: string
  if (col.kind === 'dateTime') {
    if (typeof value !== 'string' || op === 'co' || op === 'sw' || op === 'ew') return undefined
    const t = Date.parse(value)
    if (Number.isNaN(t)) return undefined
    v = new Date(t).toISOString()
  } else {
    if (typeof value !== 'string') return FALSE // a string attribute never equals a number/boolean
    v = value
    if (col.kind === 'key') v = value.toLowerCase()
    if (col.kind === 'ci') { v = value.toLowerCase(); expr = `LOWER(${col.expr})` }
  }
  const like = (pattern: string): string => `(${col.expr} IS NOT NULL AND ${expr} LIKE ${params.add(pattern)} ESCAPE '!')`
  switch (op) {
    case 'eq': return `(${col.expr} IS NOT NULL AND ${expr} = ${params.add(v)})`
    case 'gt': return `(${col.expr} IS NOT NULL AND ${expr} > ${params.add(v)})`
    case 'ge': return `(${col.expr} IS NOT NULL AND ${expr} >= ${params.add(v)})`
    case 'lt': return `(${col.expr} IS NOT NULL AND ${expr} < ${params.add(v)})`
    case 'le': return `(${col.expr} IS NOT NULL AND ${expr} <= ${params.add(v)})`
    case 'co': return like(`%${escapeLike(v)}%`)
    case 'sw': return like(`${escapeLike(v)}%`)
    case 'ew': return like(`%${escapeLike(v)}`)
    default: return undefined
  }
}

/** Escapes LIKE wildcards with `!` (SQL Server also treats `[` as special). */
export function escapeLike (s: string): string {
  return s.replace(/[!%_[]/g, c => `!${c}`)
}
