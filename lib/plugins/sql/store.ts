// One baseEntity's data in SQL: reading (filters, sorting and paging pushed down; a user's emails and
// groups aggregated as JSON in the same statement, a page's group members in one batched query) — writes are in writes.ts. Every statement is parameterised.
import type { GetQuery, GetResult, ScimResource } from '../types.ts'
import type { Db, Queryable, Row } from './db.ts'
import type { Dialect } from './dialect.ts'
import { Params, Scope, toWhere, type Kind } from './filter.ts'
import type { Tables } from './mapping.ts'
import { groupFromRow, userFromRow } from './rows.ts'
import { withRetry } from './errors.ts'

/** IN lists are sent in chunks (SQL Server allows 2100 parameters per statement). */
const CHUNK = 500

export class SqlStore {
  readonly users: Scope
  readonly groups: Scope
  constructor (readonly db: Db, readonly d: Dialect, readonly t: Tables, readonly opts: { uniqueGroupDisplayName: boolean }) {
    this.users = new Scope('Users', t, d)
    this.groups = new Scope('Groups', t, d)
  }

  q (name: string): string { return this.d.ident(name) }

  /**
   * A list query. When the filter and sortBy translate fully, the page and the total come from SQL
   * (`exact`); otherwise every row of the superset is returned and the gateway finishes the job.
   */
  async list (kind: Kind, query: GetQuery): Promise<GetResult> {
    return await withRetry(this.d, async () => await this.listOnce(kind, query))
  }

  private async listOnce (kind: Kind, query: GetQuery): Promise<GetResult> {
    const scope = kind === 'Users' ? this.users : this.groups
    const table = this.q(kind === 'Users' ? this.t.users.name : this.t.groups.name)
    const params = new Params(this.d)
    let where = '1=1'
    let exact = true
    if (query.filter !== undefined) ({ sql: where, exact } = toWhere(query.filter, scope, params))
    const idCol = scope.columns.id?.expr ?? 't.id'
    let order = idCol
    if (query.sortBy !== undefined && query.sortBy !== '') {
      const col = scope.sortColumn(query.sortBy)
      if (col === undefined) exact = false
      else order = `${col} ${query.sortOrder === 'descending' ? 'DESC' : 'ASC'}, ${idCol}`
    }
    const base = kind === 'Users' ? this.userSelect() : `SELECT t.* FROM ${table} t`
    let rows: Row[]
    let total: number
    if (exact && query.count !== undefined) {
      const offset = Math.max(0, Math.floor(query.startIndex) - 1)
      const limit = Math.max(0, Math.floor(query.count))
      // the page's ids first, then the rows with their aggregates: a database may evaluate the
      // select list (the JSON subqueries) for every row an OFFSET skips
      const ids = `SELECT ${idCol} AS scim__pid FROM ${table} t WHERE ${where} ORDER BY ${order} ${this.d.page(offset, limit)}`
      rows = limit === 0 ? [] : await this.db.query(`${base} JOIN (${ids}) p ON p.scim__pid = ${idCol} ORDER BY ${order}`, params.values)
      // the first page being short gives the total without a COUNT
      total = offset === 0 && rows.length < limit ? rows.length : await this.count(table, where, params.values)
    } else {
      rows = await this.db.query(`${base} WHERE ${where} ORDER BY ${order}`, params.values)
      total = rows.length
    }
    const Resources = kind === 'Users' ? this.hydrateUsers(rows) : await this.hydrateGroups(this.db, rows)
    return exact ? { Resources, exact: { totalResults: total } } : { Resources }
  }

  private async count (table: string, where: string, params: readonly unknown[]): Promise<number> {
    const [r] = await this.db.query(`SELECT COUNT(*) AS n FROM ${table} t WHERE ${where}`, params)
    return Number(r?.n ?? 0)
  }

  async userById (q: Queryable, id: string): Promise<ScimResource | undefined> {
    const rows = await q.query(`${this.userSelect()} WHERE t.${this.q(this.t.users.c.id)} = ${this.d.param(1)}`, [id])
    return this.hydrateUsers(rows)[0]
  }

  async groupById (q: Queryable, id: string): Promise<ScimResource | undefined> {
    const rows = await q.query(`SELECT t.* FROM ${this.q(this.t.groups.name)} t WHERE t.${this.q(this.t.groups.c.id)} = ${this.d.param(1)}`, [id])
    return (await this.hydrateGroups(q, rows))[0]
  }

  /**
   * `SELECT` of users with their emails and groups aggregated as JSON in the same statement (one
   * round trip per page or lookup instead of three).
   */
  userSelect (): string {
    const t = this.t; const u = t.users.c; const e = t.emails.c; const m = t.members.c; const g = t.groups.c
    const q = (n: string): string => this.q(n)
    const emails = this.d.jsonArray([['v', `e.${q(e.value)}`], ['t', `e.${q(e.type)}`], ['p', `e.${q(e.primary)}`], ['d', `e.${q(e.data)}`], ['i', `e.${q(e.position)}`]],
      `${q(t.emails.name)} e WHERE e.${q(e.userId)} = t.${q(u.id)}`)
    // user ids are lower-case UUIDs, so a membership's value_key equals the user's id
    const groups = this.d.jsonArray([['v', `g.${q(g.id)}`], ['d', `g.${q(g.displayName)}`]],
      `${q(t.members.name)} m JOIN ${q(t.groups.name)} g ON g.${q(g.id)} = m.${q(m.groupId)} WHERE m.${q(m.valueKey)} = t.${q(u.id)}`)
    return `SELECT t.*, ${emails} AS scim__emails, ${groups} AS scim__groups FROM ${q(t.users.name)} t`
  }

  /** Users from rows of {@link userSelect}. */
  hydrateUsers (rows: Row[]): ScimResource[] {
    const e = this.t.emails.c
    return rows.map(r => {
      const emails = jsonList(r.scim__emails)
        .sort((a, b) => Number(a.i) - Number(b.i))
        .map(o => ({ [e.value]: o.v, [e.type]: o.t, [e.primary]: o.p, [e.data]: o.d }))
      const groups = jsonList(r.scim__groups)
        .map(o => ({ value: String(o.v), display: typeof o.d === 'string' ? o.d : undefined }))
        .sort((a, b) => a.value < b.value ? -1 : a.value > b.value ? 1 : 0)
      return userFromRow(this.t, r, emails, groups)
    })
  }

  /** Groups with their members (one batched query per chunk of rows). */
  async hydrateGroups (q: Queryable, rows: Row[]): Promise<ScimResource[]> {
    if (rows.length === 0) return []
    const t = this.t; const g = t.groups.c; const m = t.members.c
    const ids = rows.map(r => String(r[g.id]))
    const members = new Map<string, Row[]>()
    for (let i = 0; i < ids.length; i += CHUNK) {
      const part = ids.slice(i, i + CHUNK)
      const inList = part.map((_, k) => this.d.param(k + 1)).join(', ')
      const mr = await q.query(`SELECT m.* FROM ${this.q(t.members.name)} m WHERE m.${this.q(m.groupId)} IN (${inList}) ORDER BY m.${this.q(m.groupId)}, m.${this.q(m.valueKey)}`, part)
      for (const r of mr) push(members, String(r[m.groupId]), r)
    }
    return rows.map(r => groupFromRow(t, r, members.get(String(r[g.id])) ?? []))
  }
}

/** A JSON array column as objects: drivers return parsed JSON (pg) or text (MariaDB, SQL Server). */
function jsonList (v: unknown): Row[] {
  let parsed: unknown = v
  if (typeof v === 'string') { try { parsed = JSON.parse(v) } catch { parsed = [] } }
  return Array.isArray(parsed) ? parsed.filter((o): o is Row => typeof o === 'object' && o !== null) : []
}

function push<V> (map: Map<string, V[]>, key: string, v: V): void {
  const list = map.get(key)
  if (list === undefined) map.set(key, [v]); else list.push(v)
}
