// One baseEntity's users and groups in MongoDB: documents are the SCIM resources plus lower-cased
// keys (`_k`) backing the unique and lookup indexes; a user's `groups` are derived from the groups'
// members. Filters, sorting and paging are pushed down where toMongoQuery can express them.
import { randomUUID } from 'node:crypto'
import type { Collection, Db, Document } from 'mongodb'
import { InvalidValueError, NotFoundError, UniquenessError } from '../../scim/errors.ts'
import { isJsonObject, type JsonObject, type ScimResource } from '../../scim/types.ts'
import type { GetQuery, GetResult, MemberDelta } from '../types.ts'
import { sortField, toMongoQuery, type Kind, type MongoQuery } from './filter.ts'

const lower = (v: unknown): string | undefined => typeof v === 'string' ? v.toLowerCase() : undefined
const values = (v: unknown): string[] => Array.isArray(v) ? v.flatMap(x => isJsonObject(x) && typeof x.value === 'string' ? [x.value] : []) : []

export class MongoStore {
  readonly users: Collection<Document>
  readonly groups: Collection<Document>
  constructor (db: Db, prefix: string, private readonly opts: { uniqueGroupDisplayName: boolean }) {
    this.users = db.collection(`${prefix}users`)
    this.groups = db.collection(`${prefix}groups`)
  }

  /** The indexes: unique userName (and group displayName), lookups on externalId, displayName, emails, members. */
  async ensureIndexes (): Promise<void> {
    await this.users.createIndexes([
      { key: { '_k.userName': 1 }, name: 'ux_userName', unique: true },
      { key: { id: 1 }, name: 'ux_id', unique: true },
      { key: { externalId: 1 }, name: 'ix_externalId' },
      { key: { '_k.displayName': 1 }, name: 'ix_displayName' },
      { key: { '_k.emails': 1 }, name: 'ix_emails' }
    ])
    await this.groups.createIndexes([
      { key: { '_k.displayName': 1 }, name: 'ux_displayName', unique: this.opts.uniqueGroupDisplayName },
      { key: { id: 1 }, name: 'ux_id', unique: true },
      { key: { externalId: 1 }, name: 'ix_externalId' },
      { key: { '_k.members': 1 }, name: 'ix_members' }
    ])
  }

  async list (kind: Kind, q: GetQuery): Promise<GetResult> {
    const coll = kind === 'Users' ? this.users : this.groups
    let filter: MongoQuery = {}
    let exact = true
    if (q.filter !== undefined) ({ query: filter, exact } = toMongoQuery(kind, q.filter))
    let sort: Record<string, 1 | -1> = { id: 1 }
    if (q.sortBy !== undefined && q.sortBy !== '') {
      const f = sortField(kind, q.sortBy)
      if (f === undefined) exact = false
      else sort = { [f]: q.sortOrder === 'descending' ? -1 : 1, id: 1 }
    }
    let cursor = coll.find(filter, { projection: { _id: 0 } }).sort(sort)
    let total: number | undefined
    if (exact && q.count !== undefined) {
      const skip = Math.max(0, Math.floor(q.startIndex) - 1)
      cursor = cursor.skip(skip).limit(Math.max(0, Math.floor(q.count)))
      if (q.count === 0) cursor = cursor.limit(-1)
      total = await coll.countDocuments(filter)
    }
    const docs = q.count === 0 && exact ? [] : await cursor.toArray()
    const Resources = kind === 'Users' ? await this.withGroups(docs) : docs.map(d => strip(d))
    return exact ? { Resources, exact: { totalResults: total ?? Resources.length } } : { Resources }
  }

  private async withGroups (docs: Document[]): Promise<ScimResource[]> {
    const ids = docs.map(d => String(d.id).toLowerCase())
    const groups = ids.length === 0 ? [] : await this.groups.find({ '_k.members': { $in: ids } }, { projection: { _id: 0, id: 1, displayName: 1, '_k.members': 1 } }).toArray()
    return docs.map(d => {
      const id = String(d.id).toLowerCase()
      const mine = groups.filter(g => Array.isArray(g._k?.members) && (g._k.members as unknown[]).includes(id))
      return { ...strip(d), groups: mine.map(g => ({ value: String(g.id), display: String(g.displayName), type: 'direct' })) }
    })
  }

  async createUser (user: ScimResource): Promise<ScimResource> {
    const doc = userDoc(user, randomUUID(), new Date().toISOString())
    try { await this.users.insertOne(doc) } catch (err) { throw dup(err, `userName "${String(user.userName)}" is already in use`) }
    return { ...strip(doc), groups: [] }
  }

  async replaceUser (id: string, user: ScimResource): Promise<ScimResource> {
    const cur = await this.users.findOne({ id })
    if (cur === null) throw new NotFoundError(`user ${id} not found`)
    const doc = userDoc(user, id, String(cur.meta?.created ?? new Date().toISOString()))
    try {
      const r = await this.users.replaceOne({ id }, doc)
      if (r.matchedCount === 0) throw new NotFoundError(`user ${id} not found`)
    } catch (err) { throw dup(err, `userName "${String(user.userName)}" is already in use`) }
    return (await this.withGroups([doc]))[0] ?? strip(doc)
  }

  /** Deletes the user and its memberships (two single-document-atomic steps: user first). */
  async deleteUser (id: string): Promise<void> {
    const r = await this.users.deleteOne({ id })
    if (r.deletedCount === 0) throw new NotFoundError(`user ${id} not found`)
    const key = id.toLowerCase()
    // members compare case-insensitively: filter on the lower-cased value (pipeline update, literal key)
    await this.groups.updateMany({ '_k.members': key }, [{
      $set: {
        members: { $filter: { input: '$members', cond: { $ne: [{ $toLower: '$$this.value' }, { $literal: key }] } } },
        '_k.members': { $filter: { input: '$_k.members', cond: { $ne: ['$$this', { $literal: key }] } } },
        'meta.lastModified': { $literal: new Date().toISOString() }
      }
    }])
  }

  async createGroup (group: ScimResource): Promise<ScimResource> {
    const doc = groupDoc(group, randomUUID(), new Date().toISOString())
    try { await this.groups.insertOne(doc) } catch (err) { throw dup(err, `displayName "${String(group.displayName)}" is already in use`) }
    return strip(doc)
  }

  async replaceGroup (id: string, group: ScimResource): Promise<ScimResource> {
    const cur = await this.groups.findOne({ id })
    if (cur === null) throw new NotFoundError(`group ${id} not found`)
    const doc = groupDoc(group, id, String(cur.meta?.created ?? new Date().toISOString()))
    try {
      const r = await this.groups.replaceOne({ id }, doc)
      if (r.matchedCount === 0) throw new NotFoundError(`group ${id} not found`)
    } catch (err) { throw dup(err, `displayName "${String(group.displayName)}" is already in use`) }
    return strip(doc)
  }

  /**
   * A member delta as ONE atomic update of the group document (an aggregation-pipeline update):
   * remove first, then add what is not there. Client values enter the pipeline only as `$literal`,
   * so a member value starting with `$` is never read as a field path.
   */
  async memberDelta (id: string, delta: MemberDelta): Promise<ScimResource> {
    const remove = [...new Set(delta.remove.map(v => v.toLowerCase()))]
    const seen = new Set<string>()
    const fresh = delta.add.flatMap(m => {
      const key = lower(m.value)
      if (key === undefined || key === '' || seen.has(key)) return []
      seen.add(key)
      return [{ value: String(m.value), ...(typeof m.display === 'string' ? { display: m.display } : {}) }]
    })
    const keyOf = (v: string): Document => ({ $toLower: v })
    const r = await this.groups.findOneAndUpdate({ id }, [
      { $set: { _old: { $ifNull: ['$_k.members', []] }, _kept: { $filter: { input: { $ifNull: ['$members', []] }, cond: { $not: [{ $in: [keyOf('$$this.value'), { $literal: remove }] }] } } } } },
      { $set: { members: { $concatArrays: ['$_kept', { $filter: { input: { $literal: fresh }, as: 'n', cond: { $not: [{ $in: [keyOf('$$n.value'), { $map: { input: '$_kept', in: keyOf('$$this.value') } }] }] } } }] } } },
      { $set: { '_k.members': { $map: { input: '$members', in: keyOf('$$this.value') } } } },
      { $set: { 'meta.lastModified': { $cond: [{ $setEquals: ['$_old', '$_k.members'] }, '$meta.lastModified', { $literal: new Date().toISOString() }] } } },
      { $unset: ['_old', '_kept'] }
    ], { returnDocument: 'after', projection: { _id: 0 } })
    if (r === null) throw new NotFoundError(`group ${id} not found`)
    return strip(r)
  }

  async deleteGroup (id: string): Promise<void> {
    const r = await this.groups.deleteOne({ id })
    if (r.deletedCount === 0) throw new NotFoundError(`group ${id} not found`)
  }
}

/** MongoDB reads `$`-prefixed keys as operators in some contexts: refuse them in resources. */
function checkKeys (v: unknown, path: string): void {
  if (Array.isArray(v)) { v.forEach((x, i) => { checkKeys(x, `${path}[${i}]`) }); return }
  if (!isJsonObject(v)) return
  for (const [k, x] of Object.entries(v)) {
    if (k.startsWith('$')) throw new InvalidValueError(`attribute names must not start with "$": ${path}${k}`)
    checkKeys(x, `${path}${k}.`)
  }
}

export function userDoc (user: ScimResource, id: string, created: string): Document {
  checkKeys(user, '')
  if (typeof user.userName !== 'string' || user.userName.trim() === '') throw new InvalidValueError('userName is required')
  const { _id, _k, groups: _g, meta: _m, id: _i, ...rest } = user as JsonObject
  const emails = values(rest.emails).map(v => v.toLowerCase())
  return { ...rest, id, meta: { resourceType: 'User', created, lastModified: new Date().toISOString() }, _k: { userName: user.userName.toLowerCase(), displayName: lower(user.displayName) ?? null, emails } }
}

export function groupDoc (group: ScimResource, id: string, created: string): Document {
  checkKeys(group, '')
  if (typeof group.displayName !== 'string' || group.displayName.trim() === '') throw new InvalidValueError('displayName is required')
  const { _id, _k, meta: _m, id: _i, ...rest } = group as JsonObject
  const seen = new Set<string>()
  const members = (Array.isArray(rest.members) ? rest.members : []).filter(isJsonObject).filter(m => {
    const k = lower(m.value)
    if (k === undefined || k === '' || seen.has(k)) return false
    seen.add(k)
    return true
  })
  return { ...rest, members, id, meta: { resourceType: 'Group', created, lastModified: new Date().toISOString() }, _k: { displayName: group.displayName.toLowerCase(), members: [...seen] } }
}

/** The resource without the store's own fields. */
function strip (d: Document): ScimResource {
  const { _id, _k, ...rest } = d
  return rest as ScimResource
}

function dup (err: unknown, detail: string): Error {
  if (typeof err === 'object' && err !== null && (err as { code?: unknown }).code === 11000) return new UniquenessError(detail)
  return err instanceof Error ? err : new Error(String(err))
}
