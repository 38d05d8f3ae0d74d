// Group membership of the subscriber: the message's groups (and roles converted to groups) become
// memberships of endpoint groups, changed through the service's Groups operations so the plugin
// sees ordinary group PATCHes (and `groupMemberOfUser` plugins get user changes from the service).
//
// Decisions (docs in apply.ts):
// - an endpoint group is found by `displayName eq <display>`; a group the channel names that the
//   endpoint lacks is created (displayName = display, externalId = the message's value), because the
//   channel's rules decided the user belongs to it;
// - removals come from `Operations` (`remove groups[...]`, `remove roles[...]`, whole `groups`/`roles`,
//   or with a value list); they are matched against the user's endpoint groups described as the
//   message would describe them. A group the message still lists is never removed.
import type { ScimService } from '../../core/service.ts'
import type { RequestContext } from '../../core/context.ts'
import type { ScimResource, JsonObject } from '../../scim/types.ts'
import { isJsonObject } from '../../scim/types.ts'
import { compileValueFilter, parseFilter, parsePatchPath } from '../../scim/filter/index.ts'
import { PermanentMessageError, type StreamOperation } from '../message.ts'
import { isNotFound, isScimError } from '../../scim/errors.ts'
import { runAtOnce, type Serializer } from './serialize.ts'

/** A group the user should be (or stop being) a member of, as the message names it. */
export interface GroupRef {
  /** displayName of the endpoint group. */
  display: string
  /** The source's value (group id/name, role value); stored as the group's externalId on create. */
  value?: string
  /** For converted roles: the role's type (application). */
  roleType?: string
  /** For converted roles: the role's own display. */
  roleDisplay?: string
}

/** Separator of converted role groups: `<type> - <display>`. */
export const ROLE_SEPARATOR = ' - '

/** The groups the message says the user has: `groups` plus, unless skipped, `roles` as groups. */
export function desiredGroups (user: JsonObject, convertRoles: boolean): GroupRef[] {
  const out: GroupRef[] = []
  for (const g of elements(user.groups)) {
    const value = str(g.value)
    const display = str(g.display) ?? value
    if (display !== undefined) out.push(value === undefined ? { display } : { display, value })
  }
  if (convertRoles) for (const r of elements(user.roles)) out.push(roleToGroup(r))
  return dedupe(out)
}

/** A role `{type, display, value}` as the group `{value, display: "<type> - <display>"}`. */
export function roleToGroup (r: JsonObject): GroupRef {
  const value = str(r.value)
  const roleDisplay = str(r.display) ?? value ?? ''
  const roleType = str(r.type)
  const ref: GroupRef = { display: roleType === undefined ? roleDisplay : `${roleType}${ROLE_SEPARATOR}${roleDisplay}`, roleDisplay }
  if (value !== undefined) ref.value = value
  if (roleType !== undefined) ref.roleType = roleType
  return ref
}

/** True when the operation removes groups (or roles, when converted) of the user. */
export function isMembershipRemoval (op: StreamOperation, convertRoles: boolean): boolean {
  if (op.op !== 'remove' && !(op.op === 'replace' && membershipAttr(op.path) !== undefined)) return false
  const attr = membershipAttr(op.path)
  return attr === 'groups' || (attr === 'roles' && convertRoles)
}

/** `groups` / `roles` when the path addresses one of them (`groups[value eq "x"]`, `roles`). */
export function membershipAttr (path: string): 'groups' | 'roles' | undefined {
  const m = /^\s*(groups|roles)\s*(\[|$|\.)/i.exec(path)
  return m?.[1] === undefined ? undefined : m[1].toLowerCase() as 'groups' | 'roles'
}

/**
 * Endpoint groups the user is a member of. When the user carries `groups` (plugin-loki and most
 * plugins derive it; with groupMemberOfUser it is where membership lives) those groups are read by
 * id, undecorated — a members search through the service would decorate every group it finds
 * (an ETag over all members each).
 */
export async function groupsOfUser (service: ScimService, rc: RequestContext, user: ScimResource & { id: string }): Promise<ScimResource[]> {
  if (Array.isArray(user.groups)) {
    const ids = [...new Set(user.groups.flatMap(g => isJsonObject(g) && typeof g.value === 'string' ? [g.value] : []))]
    const found = await Promise.all(ids.map(async id => await service.fetchRaw('Groups', id, rc).catch((e: unknown) => { if (isNotFound(e)) return undefined; throw e })))
    return found.filter((g): g is ScimResource => g !== undefined)
  }
  const filter = parseFilter(`members.value eq ${JSON.stringify(user.id)}`)
  const res = await service.list('Groups', { filter, startIndex: 1, count: 1000, attributes: [], excludedAttributes: [] }, rc)
  return res.Resources.filter(g => hasMember(g, user.id))
}

/**
 * The endpoint groups that the removal operations take the user out of: the user's groups that an
 * operation matches and that the message no longer lists.
 */
export function groupsToLeave (ops: readonly StreamOperation[], current: readonly ScimResource[], desired: readonly GroupRef[], convertRoles: boolean): ScimResource[] {
  const keep = new Set(desired.map(d => d.display.toLowerCase()))
  const out: ScimResource[] = []
  for (const g of current) {
    const name = typeof g.displayName === 'string' ? g.displayName : ''
    if (keep.has(name.toLowerCase())) continue
    if (ops.some(op => isMembershipRemoval(op, convertRoles) && removes(op, g))) out.push(g)
  }
  return out
}

/** Does the removal operation describe this endpoint group? */
function removes (op: StreamOperation, g: ScimResource): boolean {
  const attr = membershipAttr(op.path)
  const element = describeAs(attr === 'roles' ? 'roles' : 'groups', g)
  if (element === undefined) return false
  if (op.op === 'replace') {
    // replace of the whole list: every group not in the new list (those are kept above) goes
    return true
  }
  let parsed
  try {
    parsed = parsePatchPath(op.path)
  } catch (e) {
    throw new PermanentMessageError(`Operations path ${JSON.stringify(op.path)} is invalid: ${(e as Error).message}`)
  }
  if (parsed.filter !== undefined) return compileValueFilter(parsed.filter, parsed.path)(element)
  if (Array.isArray(op.value)) {
    return op.value.some(v => isJsonObject(v) && ['value', 'display', 'type'].every(k => v[k] === undefined || eqi(v[k], element[k])))
  }
  return true // the whole attribute
}

/** An endpoint group as the message would have named it (`{value, display}` or a role `{type, display, value}`). */
function describeAs (attr: 'groups' | 'roles', g: ScimResource): JsonObject | undefined {
  const name = typeof g.displayName === 'string' ? g.displayName : undefined
  if (name === undefined) return undefined
  const value = typeof g.externalId === 'string' ? g.externalId : name
  if (attr === 'groups') return { value, display: name }
  const i = name.indexOf(ROLE_SEPARATOR)
  if (i < 0) return { value, display: name }
  return { value, type: name.slice(0, i), display: name.slice(i + ROLE_SEPARATOR.length) }
}

/** Finds the endpoint group for a ref (by displayName). */
export async function findGroup (service: ScimService, rc: RequestContext, ref: GroupRef): Promise<ScimResource | undefined> {
  const filter = parseFilter(`displayName eq ${JSON.stringify(ref.display)}`)
  const res = await service.list('Groups', { filter, startIndex: 1, count: 2, attributes: [], excludedAttributes: [] }, rc)
  return res.Resources[0]
}

/** Attempts of a join whose group vanished under it (deleted between lookup and PATCH) before giving up. */
const MAX_ATTEMPTS = 5

/**
 * Makes the user a member of the group (creating the group when missing).
 *
 * A join is one member-delta PATCH (`add members`): the service hands the plugin just the delta, so
 * the cost does not grow with the group. No If-Match: adding/removing one member are set operations
 * the plugin applies atomically; they commute with other users' membership changes and are
 * idempotent, so there is no read-modify-write whose update could be lost — not within this
 * process, nor against another gateway or an HTTP client. A user's own joins and leaves are
 * ordered by the per-user queue. Only finding-or-creating a missing group is serialised per group
 * (two users must not create it twice; across gateways the plugin's 409 decides).
 * @param newUser the user was just created (so it cannot be a member yet: no need to look)
 * @returns true when something changed (with groupMemberOfUser: when a change was asked for)
 */
export async function joinGroup (service: ScimService, rc: RequestContext, ref: GroupRef, userId: string, serialize: Serializer = runAtOnce, newUser = false): Promise<boolean> {
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const found = await resolveGroup(service, rc, ref, userId, serialize, newUser)
    if (found.created) return true
    if (found.member) return false
    try {
      await service.patch('Groups', found.id, [{ op: 'add', path: 'members', value: [{ value: userId }] }], rc, {}, { returnResource: false })
      return true
    } catch (e) {
      if (!isNotFound(e)) throw e
      forgetGroup(service, rc, ref.display) // deleted meanwhile: look it up (or create it) again
    }
  }
  throw concurrentChange(ref.display)
}

/**
 * Takes the user out of the group: one member-delta PATCH (`remove members[value eq …]`), like
 * joinGroup without If-Match. A group that is gone counts as left.
 * @returns true when something changed at the endpoint
 */
export async function leaveGroup (service: ScimService, rc: RequestContext, group: ScimResource, userId: string): Promise<boolean> {
  const id = group.id
  // a group read without members (groupMemberOfUser) came from the user's own `groups`: a member
  if (typeof id !== 'string' || (Array.isArray(group.members) && !hasMember(group, userId))) return false
  try {
    await service.patch('Groups', id, [{ op: 'remove', path: `members[value eq ${JSON.stringify(userId)}]` }], rc, {}, { returnResource: false })
    return true
  } catch (e) {
    if (isNotFound(e)) return false
    throw e
  }
}

function groupKey (displayName: string): string {
  return `group:${displayName.toLowerCase()}`
}

interface Resolved {
  id: string
  /** Created by this call, with the user as its member. */
  created: boolean
  /** The user is a member already (as far as the group read tells; with groupMemberOfUser it holds no members). */
  member: boolean
}

/**
 * The endpoint group of a ref. Ids are remembered per service, entity and displayName: looking a
 * group up by name through the service decorates the whole group (an ETag over every member, and
 * with groupMemberOfUser the members are collected from the users), while checking a remembered id
 * is one undecorated plugin read (fetchRaw) — a renamed or deleted group is noticed and looked up again.
 */
async function resolveGroup (service: ScimService, rc: RequestContext, ref: GroupRef, userId: string, serialize: Serializer, newUser: boolean): Promise<Resolved> {
  const known = groupIds(service).get(idKey(rc, ref.display))
  const raw = known === undefined ? undefined : await stillNamed(service, rc, known, ref.display)
  // a redelivered or repeated join changes nothing: one scan of the member references, no write
  if (known !== undefined && raw !== undefined) return { id: known, created: false, member: !newUser && hasMember(raw, userId) }
  return await serialize(groupKey(ref.display), async () => {
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const group = await findGroup(service, rc, ref)
      if (group !== undefined && typeof group.id === 'string') {
        rememberGroup(service, rc, ref.display, group.id)
        return { id: group.id, created: false, member: hasMember(group, userId) }
      }
      const input: JsonObject = { displayName: ref.display, members: [{ value: userId }] }
      if (ref.value !== undefined && ref.value !== ref.display) input.externalId = ref.value
      try {
        const created = await service.create('Groups', input, rc)
        if (typeof created.id === 'string') rememberGroup(service, rc, ref.display, created.id)
        return { id: String(created.id), created: true, member: true }
      } catch (e) {
        if (isScimError(e) && e.status === 409) continue // created meanwhile (another gateway): join it
        throw e
      }
    }
    throw concurrentChange(ref.display)
  })
}

/** The remembered group as the plugin has it (undecorated), when it still exists under this displayName. */
async function stillNamed (service: ScimService, rc: RequestContext, id: string, displayName: string): Promise<ScimResource | undefined> {
  try {
    const g = await service.fetchRaw('Groups', id, rc)
    if (typeof g.displayName === 'string' && g.displayName.toLowerCase() === displayName.toLowerCase()) return g
  } catch (e) {
    if (!isNotFound(e)) throw e
  }
  forgetGroup(service, rc, displayName)
  return undefined
}

/** Group ids by entity + lower-cased displayName, per service (bounded; an entry is only a hint, checked on use). */
const knownGroups = new WeakMap<ScimService, Map<string, string>>()
const MAX_KNOWN_GROUPS = 50_000

function groupIds (service: ScimService): Map<string, string> {
  let m = knownGroups.get(service)
  if (m === undefined) { m = new Map(); knownGroups.set(service, m) }
  return m
}

function idKey (rc: RequestContext, displayName: string): string {
  return `${rc.baseEntity ?? ''}\u0000${displayName.toLowerCase()}`
}

function rememberGroup (service: ScimService, rc: RequestContext, displayName: string, id: string): void {
  const m = groupIds(service)
  if (m.size >= MAX_KNOWN_GROUPS) m.clear()
  m.set(idKey(rc, displayName), id)
}

function forgetGroup (service: ScimService, rc: RequestContext, displayName: string): void {
  groupIds(service).delete(idKey(rc, displayName))
}

/** Kept changing under us: a transient condition (classifyError → retry later). */
function concurrentChange (displayName: string): Error {
  return Object.assign(new Error(`group ${JSON.stringify(displayName)} changed concurrently ${MAX_ATTEMPTS} times (deleted or created under us)`), { name: 'ConcurrentModificationError' })
}

function hasMember (g: ScimResource, userId: string): boolean {
  return Array.isArray(g.members) && g.members.some(m => isJsonObject(m) && m.value === userId)
}

function elements (v: unknown): JsonObject[] {
  return Array.isArray(v) ? v.filter(isJsonObject) : []
}

function str (v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined
}

function eqi (a: unknown, b: unknown): boolean {
  return typeof a === 'string' && typeof b === 'string' ? a.toLowerCase() === b.toLowerCase() : a === b
}

function dedupe (refs: GroupRef[]): GroupRef[] {
  const seen = new Set<string>()
  return refs.filter(r => { const k = r.display.toLowerCase(); if (seen.has(k)) return false; seen.add(k); return true })
}
