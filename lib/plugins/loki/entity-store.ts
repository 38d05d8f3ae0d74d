// The users and groups of one baseEntity, with SCIM semantics: ids and meta assigned here,
// case-insensitive uniqueness of userName (and of group displayName unless disabled), group
// membership kept in groups' `members` and derived onto users as `groups` when read.
// Every write is applied synchronously and returns the journal records that reproduce it, so
// concurrent requests are decided in a single order and the journal replays that order exactly.
import { randomUUID } from 'node:crypto'
import { InvalidValueError, NotFoundError, UniquenessError } from '../../scim/errors.ts'
import type { SimpleFilter } from '../../scim/filter/ast.ts'
import { isJsonObject, type JsonObject, type JsonValue, type ScimResource } from '../../scim/types.ts'
import { Collection, lowerKeys, subValueKeys } from './collection.ts'
import { deepFreeze, frozenCopy, frozenObjectCopy, view, type StoredResource } from './json.ts'
import type { JournalRecord, ResourceKind } from './records.ts'
import type { MemberDelta } from '../types.ts'

export interface EntityStoreOptions {
  /** Refuse a second group with the same displayName (case-insensitive). */
  uniqueGroupDisplayName: boolean
}

/** The result of a write: what to return to the caller and what to journal. */
export interface WriteResult<T = ScimResource> { result: T, records: JournalRecord[] }

// `groups` is derived; `password` is never kept (the journal is not encrypted; scimgateway did the same)
const USER_SKIP = new Set(['id', 'meta', 'groups', 'password'])
const GROUP_SKIP = new Set(['id', 'meta', 'members'])

export class EntityStore {
  readonly users = new Collection({
    userName: r => lowerKeys(r.userName),
    externalId: r => lowerKeys(r.externalId),
    displayName: r => lowerKeys(r.displayName),
    emails: r => subValueKeys(r.emails, 'value')
  })

  readonly groups = new Collection({
    displayName: r => lowerKeys(r.displayName),
    externalId: r => lowerKeys(r.externalId),
    members: r => subValueKeys(r.members, 'value')
  })

  /** @param name the baseEntity ('' = default store) */
  /** Groups changed in place by a journal replay, frozen by endReplay(). */
  private readonly thawed = new Map<string, JsonObject>()

  constructor (readonly name: string, private readonly opts: EntityStoreOptions) {}

  // ---- reads ----------------------------------------------------------------------------------

  /** A user as callers see it: a fresh top level with `groups` derived from group memberships. */
  userView (u: StoredResource): ScimResource {
    const gids = this.groups.idsBy('members', u.id.toLowerCase())
    if (gids.length === 0) return view(u)
    const groups: JsonObject[] = []
    for (const gid of gids) {
      const g = this.groups.get(gid)
      if (g === undefined) continue
      const ref: JsonObject = { value: g.id }
      if (typeof g.displayName === 'string') ref.display = g.displayName
      ref.type = 'direct'
      groups.push(ref)
    }
    return view(u, { groups })
  }

  groupView (g: StoredResource): ScimResource { return view(g) }

  /**
   * Users matching a simple `eq` filter through an index, or `undefined` when the filter cannot be
   * pushed down (the caller then returns all users and the gateway filters). May return a superset.
   */
  findUsers (simple: SimpleFilter | undefined): StoredResource[] | undefined {
    if (simple === undefined || simple.operator !== 'eq') return undefined
    const v = simple.value
    switch (attributeKey(simple.attribute)) {
      case 'id': return oneOrNone(this.users.get(v))
      case 'username': return this.users.findBy('userName', v.toLowerCase())
      case 'externalid': return this.users.findBy('externalId', v.toLowerCase())
      case 'displayname': return this.users.findBy('displayName', v.toLowerCase())
      case 'emails': case 'emails.value': return this.users.findBy('emails', v.toLowerCase())
      case 'groups': case 'groups.value': {
        const g = this.groups.get(v)
        if (g === undefined) return []
        const out: StoredResource[] = []
        for (const m of subValueKeys(g.members, 'value', true)) { const u = this.users.get(m); if (u !== undefined) out.push(u) }
        return out
      }
      default: return undefined
    }
  }

  /** Groups matching a simple `eq` filter through an index; `undefined` = not pushed down. */
  findGroups (simple: SimpleFilter | undefined): StoredResource[] | undefined {
    if (simple === undefined || simple.operator !== 'eq') return undefined
    const v = simple.value
    switch (attributeKey(simple.attribute)) {
      case 'id': return oneOrNone(this.groups.get(v))
      case 'displayname': return this.groups.findBy('displayName', v.toLowerCase())
      case 'externalid': return this.groups.findBy('externalId', v.toLowerCase())
      case 'members': case 'members.value': return this.groups.findBy('members', v.toLowerCase())
      default: return undefined
    }
  }

  // ---- writes ---------------------------------------------------------------------------------

  createUser (input: ScimResource): WriteResult {
    const userName = requireString(input, 'userName', 'User')
    this.assertUniqueUserName(userName, undefined)
    const u = build(input, USER_SKIP, randomUUID(), newMeta('User'))
    this.users.put(u)
    return { result: this.userView(u), records: [this.putRecord('User', u)] }
  }

  replaceUser (id: string, input: ScimResource): WriteResult {
    const cur = this.users.get(id)
    if (cur === undefined) throw notFound('User', id)
    const userName = requireString(input, 'userName', 'User')
    this.assertUniqueUserName(userName, id)
    const u = build(input, USER_SKIP, id, nextMeta('User', cur))
    this.users.put(u)
    return { result: this.userView(u), records: [this.putRecord('User', u)] }
  }

  /** Deletes a user and removes it from every group's members (member deltas; each such group gets a new version). */
  deleteUser (id: string): WriteResult<void> {
    const cur = this.users.get(id)
    if (cur === undefined) throw notFound('User', id)
    const records: JournalRecord[] = []
    // as member deltas: leaving a large group does not rewrite it
    for (const gid of this.groups.idsBy('members', id.toLowerCase())) records.push(...this.patchGroupMembers(gid, { add: [], remove: [id] }).records)
    this.users.delete(id)
    records.push(this.delRecord('User', id))
    return { result: undefined, records }
  }

  createGroup (input: ScimResource): WriteResult {
    const displayName = requireString(input, 'displayName', 'Group')
    this.assertUniqueGroupName(displayName, undefined)
    const g = build(input, GROUP_SKIP, randomUUID(), newMeta('Group'), normalizeMembers(input.members))
    this.groups.put(g)
    return { result: view(g), records: [this.putRecord('Group', g)] }
  }

  replaceGroup (id: string, input: ScimResource): WriteResult {
    const cur = this.groups.get(id)
    if (cur === undefined) throw notFound('Group', id)
    const displayName = requireString(input, 'displayName', 'Group')
    this.assertUniqueGroupName(displayName, id)
    const g = build(input, GROUP_SKIP, id, nextMeta('Group', cur), normalizeMembers(input.members))
    this.groups.put(g)
    return { result: view(g), records: [this.putRecord('Group', g)] }
  }

  /**
   * Applies a member delta (remove first, then add; values case-insensitive). Membership tests and
   * index updates go through the members index and the journal line holds only the delta, so the
   * cost is O(delta) plus one copy of the member references (no deep copy, no re-index). Adding a
   * member that is there only fills in sub-attributes it lacks (they are immutable); a delta that
   * changes nothing writes nothing and keeps the version.
   */
  patchGroupMembers (id: string, delta: MemberDelta): WriteResult {
    const cur = this.groups.get(id)
    if (cur === undefined) throw notFound('Group', id)
    const change = memberChange(Array.isArray(cur.members) ? cur.members : [], delta, k => this.groups.indexHas('members', k, id))
    if (change === undefined) return { result: view(cur), records: [] }
    const meta = Object.freeze(nextMeta('Group', cur))
    const g: JsonObject = {}
    for (const key of Object.keys(cur)) if (key !== 'members' && key !== 'meta') g[key] = cur[key] as JsonValue
    g.members = Object.freeze(change.members) as JsonValue[]
    g.meta = meta
    const stored = Object.freeze(g) as StoredResource
    this.groups.replaceDelta(stored, 'members', change.added, change.removed)
    const rec: JournalRecord = { op: 'members', ...(this.name === '' ? {} : { e: this.name }), id, add: change.journalAdd, remove: change.removed, meta }
    return { result: view(stored), records: [rec] }
  }

  deleteGroup (id: string): WriteResult<void> {
    if (this.groups.delete(id) === undefined) throw notFound('Group', id)
    return { result: undefined, records: [this.delRecord('Group', id)] }
  }

  // ---- replay ---------------------------------------------------------------------------------

  /**
   * Applies a journal record without checks (the journal holds only writes that passed them).
   * Takes ownership of `rec.r`, which must be a fresh parse.
   */
  apply (rec: JournalRecord): void {
    if (rec.op === 'entity') return
    if (rec.op === 'members') { this.replayMembers(rec); return }
    const coll = rec.t === 'User' ? this.users : this.groups
    if (rec.t === 'Group') this.thawed.delete(rec.op === 'del' ? rec.id : rec.r.id)
    if (rec.op === 'del') { coll.delete(rec.id); return }
    coll.put(deepFreeze(rec.r) as StoredResource)
  }

  /** Ends a journal replay: freezes the groups that member records changed in place. */
  endReplay (): void {
    for (const g of this.thawed.values()) deepFreeze(g)
    this.thawed.clear()
  }

  /**
   * A member record during replay. Copying the member list per record would make replaying many
   * joins of a large group quadratic, so the group is thawed (a private mutable copy, changed in
   * place) until endReplay().
   */
  private replayMembers (rec: Extract<JournalRecord, { op: 'members' }>): void {
    const cur = this.groups.get(rec.id)
    if (cur === undefined) return
    let g = this.thawed.get(rec.id)
    if (g === undefined || (g as unknown) !== cur) {
      g = { ...cur, members: Array.isArray(cur.members) ? [...cur.members] : [] }
      this.thawed.set(rec.id, g)
    }
    const members = g.members as JsonValue[]
    const removed: string[] = []
    for (const v of rec.remove) {
      const k = v.toLowerCase()
      const i = members.findIndex(m => memberKey(m) === k)
      if (i >= 0) { members.splice(i, 1); removed.push(k) }
    }
    const added: string[] = []
    for (const el of rec.add) {
      const k = memberKey(el)
      if (k === undefined) continue
      const i = this.groups.indexHas('members', k, rec.id) && !removed.includes(k) ? members.findIndex(m => memberKey(m) === k) : -1
      if (i >= 0) members[i] = el
      else { members.push(el); added.push(k) }
    }
    g.meta = rec.meta
    this.groups.replaceDelta(g as StoredResource, 'members', added, removed)
  }

  // ---- internals ------------------------------------------------------------------------------

  private assertUniqueUserName (userName: string, self: string | undefined): void {
    if (this.users.idsBy('userName', userName.toLowerCase()).some(other => other !== self)) {
      throw new UniquenessError(`userName "${userName}" already exists`)
    }
  }

  private assertUniqueGroupName (displayName: string, self: string | undefined): void {
    if (!this.opts.uniqueGroupDisplayName) return
    if (this.groups.idsBy('displayName', displayName.toLowerCase()).some(other => other !== self)) {
      throw new UniquenessError(`group displayName "${displayName}" already exists`)
    }
  }

  private putRecord (t: ResourceKind, r: StoredResource): JournalRecord {
    return this.name === '' ? { op: 'put', t, r } : { op: 'put', e: this.name, t, r }
  }

  private delRecord (t: ResourceKind, id: string): JournalRecord {
    return this.name === '' ? { op: 'del', t, id } : { op: 'del', e: this.name, t, id }
  }
}

const CORE_URN = /^urn:(?:ietf:params:scim:schemas:core:2\.0:(?:user|group)|scim:schemas:core:1\.0):/

/** `urn:…:core:2.0:User:userName` / `UserName` → `username`. */
function attributeKey (attribute: string): string {
  return attribute.toLowerCase().replace(CORE_URN, '')
}

function oneOrNone (r: StoredResource | undefined): StoredResource[] { return r === undefined ? [] : [r] }

function notFound (kind: ResourceKind, id: string): NotFoundError {
  return new NotFoundError(`${kind} ${JSON.stringify(id)} not found`)
}

function requireString (input: ScimResource, attr: string, kind: ResourceKind): string {
  if (!isJsonObject(input)) throw new InvalidValueError(`${kind} must be a JSON object`)
  const v = input[attr]
  if (typeof v !== 'string' || v.trim() === '') throw new InvalidValueError(`${kind} ${attr} is required and must be a non-empty string`)
  return v
}

/** Frozen stored resource: `id` first, the input's attributes (minus `skip`), members, `meta` last. */
function build (input: JsonObject, skip: ReadonlySet<string>, id: string, meta: JsonObject, members?: JsonValue[]): StoredResource {
  const out: JsonObject = { id }
  frozenObjectCopy(input, skip, out)
  if (members !== undefined) out.members = frozenCopy(members)
  out.meta = Object.freeze(meta)
  return Object.freeze(out) as StoredResource
}

function newMeta (resourceType: ResourceKind): JsonObject {
  const now = new Date().toISOString()
  return { resourceType, created: now, lastModified: now, version: 'W/"1"' }
}

function nextMeta (resourceType: ResourceKind, cur: StoredResource): JsonObject {
  const m = cur.meta
  const created = typeof m?.created === 'string' ? m.created : new Date().toISOString()
  const n = typeof m?.version === 'string' ? Number(/^W\/"(\d+)"$/.exec(m.version)?.[1] ?? '0') : 0
  return { resourceType, created, lastModified: new Date().toISOString(), version: `W/"${n + 1}"` }
}

/**
 * Group members as stored: a bare string becomes `{ value }` (Entra sends those), an object needs a
 * string `value`; duplicates (case-insensitive value) are dropped, first one wins.
 */
function normalizeMembers (v: JsonValue | undefined): JsonValue[] | undefined {
  if (v === undefined || v === null) return undefined
  if (!Array.isArray(v)) throw new InvalidValueError('Group members must be an array')
  const seen = new Set<string>()
  const out: JsonValue[] = []
  for (const m of v) {
    const el: JsonObject | undefined = typeof m === 'string' ? { value: m } : isJsonObject(m) ? m : undefined
    if (el === undefined || typeof el.value !== 'string' || el.value === '') throw new InvalidValueError('each Group member needs a string "value"')
    const key = el.value.toLowerCase()
    if (seen.has(key)) continue
    seen.add(key)
    out.push(el)
  }
  return out
}

/** The lower-cased `value` of a member element (the members index key). */
function memberKey (m: JsonValue | undefined): string | undefined {
  return isJsonObject(m) && typeof m.value === 'string' ? m.value.toLowerCase() : undefined
}

interface MemberChange {
  /** The new member list (fresh array; elements frozen). */
  members: JsonValue[]
  /** Index keys added / removed. */
  added: string[]
  removed: string[]
  /** Elements to journal as `add` (new members and members whose sub-attributes were filled in). */
  journalAdd: JsonObject[]
}

/** The effect of a delta on `members`; `undefined` when it changes nothing. */
function memberChange (members: readonly JsonValue[], delta: MemberDelta, isMember: (key: string) => boolean): MemberChange | undefined {
  const removeKeys = new Set<string>()
  for (const v of delta.remove) {
    if (typeof v !== 'string') throw new InvalidValueError('member values to remove must be strings')
    const k = v.toLowerCase()
    if (isMember(k)) removeKeys.add(k)
  }
  const adds = new Map<string, JsonObject>()
  for (const el of delta.add) {
    if (!isJsonObject(el) || typeof el.value !== 'string' || el.value === '') throw new InvalidValueError('each Group member needs a string "value"')
    const k = el.value.toLowerCase()
    const prev = adds.get(k)
    adds.set(k, prev === undefined ? el : (fillUnassigned(prev, el) ?? prev))
  }
  // One new array per change, built by spreading: V8 (Node 20) takes slow generic paths for
  // slice/filter/some on frozen arrays (~10-30x slower at 4,000 members), and pushing onto an exact
  // copy would grow (copy) it once more.
  const added: string[] = []
  const journalAdd: JsonObject[] = []
  const appended: JsonObject[] = []
  let filled: Map<string, JsonObject> | undefined
  for (const [k, el] of adds) {
    if (!removeKeys.has(k) && isMember(k)) {
      if (Object.keys(el).length <= 1) continue
      ;(filled ??= new Map()).set(k, el)
      continue
    }
    const frozen = frozenCopy(el) as JsonObject
    appended.push(frozen)
    added.push(k)
    journalAdd.push(frozen)
  }
  let next: JsonValue[] | undefined
  if (removeKeys.size > 0 || filled !== undefined) {
    next = []
    for (const m of [...members]) {
      const k = memberKey(m)
      if (k !== undefined && removeKeys.has(k)) continue
      const extra = k === undefined ? undefined : filled?.get(k)
      const more = extra === undefined || !isJsonObject(m) ? undefined : fillUnassigned(m, extra)
      if (more === undefined) { next.push(m); continue }
      const frozen = frozenCopy(more) as JsonObject
      next.push(frozen)
      journalAdd.push(frozen)
    }
    for (const a of appended) next.push(a)
  } else if (appended.length > 0) {
    next = [...members, ...appended]
  }
  if (next === undefined || (removeKeys.size === 0 && journalAdd.length === 0)) return undefined
  return { members: next, added, removed: [...removeKeys], journalAdd }
}

/** `base` with the sub-attributes of `extra` that `base` lacks; `undefined` when there are none. */
function fillUnassigned (base: JsonObject, extra: JsonObject): JsonObject | undefined {
  let out: JsonObject | undefined
  for (const [k, v] of Object.entries(extra)) {
    if (v === undefined || v === null || (base[k] !== undefined && base[k] !== null)) continue
    out ??= { ...base }
    out[k] = v
  }
  return out
}
