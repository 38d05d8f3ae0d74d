// Writes of one baseEntity: every multi-table change (user + emails, group + members, deleting a user
// and its memberships, member deltas) is one transaction, so a failure leaves nothing half-written.
import { randomUUID } from 'node:crypto'
import { NotFoundError } from '../../scim/errors.ts'
import type { MemberDelta, ScimResource } from '../types.ts'
import type { Queryable } from './db.ts'
import { withRetry } from './errors.ts'
import { groupValues, memberValues, userFromRow, userValues, type EmailValue, type MemberValue } from './rows.ts'
import type { SqlStore } from './store.ts'

/** Rows per multi-row INSERT (SQL Server: at most 1000 rows and 2100 parameters). */
const ROWS_PER_INSERT = 200
/** Ids are at most 64 characters without NUL; anything else cannot exist (and must not reach the driver). */
const possibleId = (id: string): boolean => id.length > 0 && id.length <= 64 && !id.includes('\u0000')

export class SqlWriter {
  constructor (private readonly s: SqlStore) {}

  private get t () { return this.s.t }
  private q (n: string): string { return this.s.d.ident(n) }
  private p (i: number): string { return this.s.d.param(i) }

  /** INSERT of several rows with one statement per chunk. */
  private async insertRows (tx: Queryable, table: string, cols: string[], rows: unknown[][]): Promise<void> {
    for (let i = 0; i < rows.length; i += ROWS_PER_INSERT) {
      const chunk = rows.slice(i, i + ROWS_PER_INSERT)
      let n = 0
      const tuples = chunk.map(r => `(${r.map(() => this.p(++n)).join(', ')})`).join(', ')
      await tx.exec(`INSERT INTO ${this.q(table)} (${cols.map(c => this.q(c)).join(', ')}) VALUES ${tuples}`, chunk.flat())
    }
  }

  private async insertEmails (tx: Queryable, userId: string, emails: EmailValue[]): Promise<void> {
    const e = this.t.emails.c
    await this.insertRows(tx, this.t.emails.name, [e.userId, e.position, e.value, e.valueKey, e.type, e.primary, e.data],
      emails.map((m, i) => [userId, i, m.value, m.valueKey, m.type, m.primary, m.data]))
  }

  private async insertMembers (tx: Queryable, groupId: string, members: MemberValue[]): Promise<void> {
    const m = this.t.members.c
    await this.insertRows(tx, this.t.members.name, [m.groupId, m.value, m.valueKey, m.display, m.data], members.map(x => [groupId, x.value, x.valueKey, x.display, x.data]))
  }

  async createUser (user: ScimResource): Promise<ScimResource> {
    const { values: v, emails } = userValues(user)
    const u = this.t.users.c
    const id = randomUUID()
    const now = new Date().toISOString()
    await withRetry(this.s.d, async () => {
      await this.s.db.tx(async tx => {
        await this.insertRows(tx, this.t.users.name, [u.id, u.userName, u.userNameKey, u.externalId, u.displayName, u.displayNameKey, u.givenName, u.familyName, u.active, u.data, u.created, u.lastModified],
          [[id, v.userName, v.userNameKey, v.externalId, v.displayName, v.displayNameKey, v.givenName, v.familyName, v.active, v.data, now, now]])
        await this.insertEmails(tx, id, emails)
      })
    }, () => `userName "${v.userName}" is already in use`)
    // what was just committed, without reading it back (a new user is in no group yet)
    const u2 = this.t.users.c; const e2 = this.t.emails.c
    const row = { [u2.id]: id, [u2.userName]: v.userName, [u2.externalId]: v.externalId, [u2.displayName]: v.displayName, [u2.givenName]: v.givenName, [u2.familyName]: v.familyName, [u2.active]: v.active, [u2.data]: v.data, [u2.created]: now, [u2.lastModified]: now }
    return userFromRow(this.t, row, emails.map(m => ({ [e2.value]: m.value, [e2.type]: m.type, [e2.primary]: m.primary, [e2.data]: m.data })), [])
  }

  /**
   * Inserts many users (and their emails) in one transaction without reading them back: an import
   * path for migrations and benchmarks. A duplicate userName fails the whole batch with 409.
   * Resolves to the new ids, in input order.
   */
  async bulkInsertUsers (users: ScimResource[]): Promise<string[]> {
    const u = this.t.users.c; const e = this.t.emails.c
    const now = new Date().toISOString()
    const rows = users.map(user => ({ id: randomUUID(), ...userValues(user) }))
    await withRetry(this.s.d, async () => {
      await this.s.db.tx(async tx => {
        await this.insertRows(tx, this.t.users.name, [u.id, u.userName, u.userNameKey, u.externalId, u.displayName, u.displayNameKey, u.givenName, u.familyName, u.active, u.data, u.created, u.lastModified],
          rows.map(({ id, values: v }) => [id, v.userName, v.userNameKey, v.externalId, v.displayName, v.displayNameKey, v.givenName, v.familyName, v.active, v.data, now, now]))
        await this.insertRows(tx, this.t.emails.name, [e.userId, e.position, e.value, e.valueKey, e.type, e.primary, e.data],
          rows.flatMap(({ id, emails }) => emails.map((m, i) => [id, i, m.value, m.valueKey, m.type, m.primary, m.data])))
      })
    }, () => 'a userName of the batch is already in use')
    return rows.map(r => r.id)
  }

  async modifyUser (id: string, user: ScimResource): Promise<ScimResource> {
    if (!possibleId(id)) throw new NotFoundError(`user ${id} not found`)
    const { values: v, emails } = userValues(user)
    const u = this.t.users.c; const e = this.t.emails.c
    await withRetry(this.s.d, async () => {
      await this.s.db.tx(async tx => {
        const sets = [u.userName, u.userNameKey, u.externalId, u.displayName, u.displayNameKey, u.givenName, u.familyName, u.active, u.data, u.lastModified]
        const n = await tx.exec(`UPDATE ${this.q(this.t.users.name)} SET ${sets.map((c, i) => `${this.q(c)} = ${this.p(i + 1)}`).join(', ')} WHERE ${this.q(u.id)} = ${this.p(sets.length + 1)}`,
          [v.userName, v.userNameKey, v.externalId, v.displayName, v.displayNameKey, v.givenName, v.familyName, v.active, v.data, new Date().toISOString(), id])
        if (n === 0) throw new NotFoundError(`user ${id} not found`)
        await tx.exec(`DELETE FROM ${this.q(this.t.emails.name)} WHERE ${this.q(e.userId)} = ${this.p(1)}`, [id])
        await this.insertEmails(tx, id, emails)
      })
    }, () => `userName "${v.userName}" is already in use`)
    return await this.readUser(id)
  }

  async deleteUser (id: string): Promise<void> {
    if (!possibleId(id)) throw new NotFoundError(`user ${id} not found`)
    await withRetry(this.s.d, async () => {
      await this.s.db.tx(async tx => {
        // memberships first: the members table references groups, not users (members may be any value)
        await tx.exec(`DELETE FROM ${this.q(this.t.members.name)} WHERE ${this.q(this.t.members.c.valueKey)} = ${this.p(1)}`, [id.toLowerCase()])
        const n = await tx.exec(`DELETE FROM ${this.q(this.t.users.name)} WHERE ${this.q(this.t.users.c.id)} = ${this.p(1)}`, [id])
        if (n === 0) throw new NotFoundError(`user ${id} not found`)
      })
    })
  }

  async createGroup (group: ScimResource): Promise<ScimResource> {
    const v = groupValues(group)
    const members = memberValues(group.members)
    const g = this.t.groups.c
    const id = randomUUID()
    const now = new Date().toISOString()
    await withRetry(this.s.d, async () => {
      await this.s.db.tx(async tx => {
        await this.insertRows(tx, this.t.groups.name, [g.id, g.displayName, g.displayNameKey, g.externalId, g.data, g.created, g.lastModified], [[id, v.displayName, v.displayNameKey, v.externalId, v.data, now, now]])
        await this.insertMembers(tx, id, members)
      })
    }, () => `displayName "${v.displayName}" is already in use`)
    return await this.readGroup(id)
  }

  async modifyGroup (id: string, group: ScimResource): Promise<ScimResource> {
    if (!possibleId(id)) throw new NotFoundError(`group ${id} not found`)
    const v = groupValues(group)
    const members = memberValues(group.members)
    const g = this.t.groups.c
    await withRetry(this.s.d, async () => {
      await this.s.db.tx(async tx => {
        const n = await tx.exec(`UPDATE ${this.q(this.t.groups.name)} SET ${this.q(g.displayName)} = ${this.p(1)}, ${this.q(g.displayNameKey)} = ${this.p(2)}, ${this.q(g.externalId)} = ${this.p(3)}, ${this.q(g.data)} = ${this.p(4)}, ${this.q(g.lastModified)} = ${this.p(5)} WHERE ${this.q(g.id)} = ${this.p(6)}`,
          [v.displayName, v.displayNameKey, v.externalId, v.data, new Date().toISOString(), id])
        if (n === 0) throw new NotFoundError(`group ${id} not found`)
        await tx.exec(`DELETE FROM ${this.q(this.t.members.name)} WHERE ${this.q(this.t.members.c.groupId)} = ${this.p(1)}`, [id])
        await this.insertMembers(tx, id, members)
      })
    }, () => `displayName "${v.displayName}" is already in use`)
    return await this.readGroup(id)
  }

  /** Removes, then adds members in one transaction; a delta that changes nothing leaves lastModified alone. */
  async memberDelta (id: string, delta: MemberDelta): Promise<ScimResource> {
    if (!possibleId(id)) throw new NotFoundError(`group ${id} not found`)
    const add = memberValues(delta.add)
    const remove = [...new Set(delta.remove.map(v => v.toLowerCase()))]
    const g = this.t.groups.c; const m = this.t.members.c
    const G = this.q(this.t.groups.name); const M = this.q(this.t.members.name)
    await withRetry(this.s.d, async () => {
      await this.s.db.tx(async tx => {
        const lock = this.s.d.name === 'mssql' ? ' WITH (UPDLOCK, ROWLOCK)' : ''
        const found = await tx.query(`SELECT ${this.q(g.id)} FROM ${G}${lock} WHERE ${this.q(g.id)} = ${this.p(1)}${this.s.d.lockSuffix}`, [id])
        if (found.length === 0) throw new NotFoundError(`group ${id} not found`)
        let changed = 0
        for (let i = 0; i < remove.length; i += ROWS_PER_INSERT) {
          const part = remove.slice(i, i + ROWS_PER_INSERT)
          changed += await tx.exec(`DELETE FROM ${M} WHERE ${this.q(m.groupId)} = ${this.p(1)} AND ${this.q(m.valueKey)} IN (${part.map((_, k) => this.p(k + 2)).join(', ')})`, [id, ...part])
        }
        const missing: MemberValue[] = []
        for (let i = 0; i < add.length; i += ROWS_PER_INSERT) {
          const part = add.slice(i, i + ROWS_PER_INSERT)
          const have = await tx.query(`SELECT ${this.q(m.valueKey)} AS k FROM ${M} WHERE ${this.q(m.groupId)} = ${this.p(1)} AND ${this.q(m.valueKey)} IN (${part.map((_, k) => this.p(k + 2)).join(', ')})`, [id, ...part.map(x => x.valueKey)])
          const present = new Set(have.map(r => String(r.k)))
          missing.push(...part.filter(x => !present.has(x.valueKey)))
        }
        await this.insertMembers(tx, id, missing)
        changed += missing.length
        if (changed > 0) await tx.exec(`UPDATE ${G} SET ${this.q(g.lastModified)} = ${this.p(1)} WHERE ${this.q(g.id)} = ${this.p(2)}`, [new Date().toISOString(), id])
      })
    })
    return await this.readGroup(id)
  }

  async deleteGroup (id: string): Promise<void> {
    if (!possibleId(id)) throw new NotFoundError(`group ${id} not found`)
    await withRetry(this.s.d, async () => {
      await this.s.db.tx(async tx => {
        await tx.exec(`DELETE FROM ${this.q(this.t.members.name)} WHERE ${this.q(this.t.members.c.groupId)} = ${this.p(1)}`, [id])
        const n = await tx.exec(`DELETE FROM ${this.q(this.t.groups.name)} WHERE ${this.q(this.t.groups.c.id)} = ${this.p(1)}`, [id])
        if (n === 0) throw new NotFoundError(`group ${id} not found`)
      })
    })
  }

  private async readUser (id: string): Promise<ScimResource> {
    const u = await withRetry(this.s.d, async () => await this.s.userById(this.s.db, id))
    if (u === undefined) throw new NotFoundError(`user ${id} not found`)
    return u
  }

  private async readGroup (id: string): Promise<ScimResource> {
    const g = await withRetry(this.s.d, async () => await this.s.groupById(this.s.db, id))
    if (g === undefined) throw new NotFoundError(`group ${id} not found`)
    return g
  }
}
