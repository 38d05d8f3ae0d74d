// applyStreamMessage: one ENTRA/HR message → endpoint changes through the gateway's ScimService (the
// same SCIM implementation as HTTP and bulk). The transport calls it once per delivery, serialised
// per user, and acks on success; classifyError() tells it what to do with a failure.
//
// Semantics (STREAM-CONTRACT "Subscriber behaviour"):
// - the user is looked up by `userName` (after replaceDomains; a pure template is evaluated first —
//   a userName needing GetUniqueValue/Increment cannot be looked up and is rejected);
// - deleteUser: found → delete; unknown → skipped (idempotent); modifyOnly → skipped;
// - createUser/modifyUser, not found: create (attributes + onCreate + message password, or a
//   generated one with generateUserPassword; then memberships) unless modifyOnly, `active: false`,
//   or the message removes the last group/role while deleteUserOnLastGroupRoleRemoval (→ skipped);
// - found: soft sync — absent attributes kept, removals only from `Operations`, a `replace` of a
//   whole attribute makes the message's value authoritative; password and the attributes named in
//   onCreate are left alone (they belong to the creation); then memberships: leave the groups the
//   removals name, join the listed ones (missing endpoint groups are created, see groups.ts);
// - deleteUserOnLastGroupRoleRemoval: an operation removes groups/roles and the message user has
//   none left → the user is deleted (with modifyOnly: memberships removed, user kept, reason given);
// - every subject (ENTRA.* and HR.*) is soft sync; the subject only shows up in logs;
// - createGroup/modifyGroup/deleteGroup: group by displayName; attributes soft-synced, `members`
//   ignored (memberships travel with user messages); modifyOnly forbids create and delete.
// - the body's optional `baseEntity` is not used: the transport's RequestContext decides the entity.
// Applying a message twice gives the state of applying it once. Concurrency: the transport
// serialises per user; races between users (same new group, GetUniqueValue/Increment) are closed
// in-process by `deps.serialize` and across gateways by the plugin's 409 on create (recovered here).
// Membership changes are member-delta PATCHes (add/remove one member), which commute and need no
// serialisation or If-Match (groups.ts).
import type { ScimService } from '../../core/service.ts'
import { schemaOf } from '../../core/service.ts'
import type { RequestContext } from '../../core/context.ts'
import type { ScimResource, JsonObject, JsonValue } from '../../scim/types.ts'
import { isJsonObject } from '../../scim/types.ts'
import { ConflictError, isNotFound, isScimError } from '../../scim/errors.ts'
import { parseFilter, type FilterNode } from '../../scim/filter/index.ts'
import { isUserOperation, PermanentMessageError, type StreamMessage, type StreamOperation } from '../message.ts'
import { looksLikeTemplate, needsEndpoint, parseTemplate } from '../templates/parse.ts'
import { evaluateTemplate } from '../templates/evaluate.ts'
import { resolveTemplates } from '../templates/resolve.ts'
import { serviceTemplateEndpoint } from '../templates/endpoint.ts'
import { compileDomainReplacer, type DomainReplacement } from './domains.ts'
import { desiredGroups, groupsOfUser, groupsToLeave, isMembershipRemoval, joinGroup, leaveGroup, membershipAttr, type GroupRef } from './groups.ts'
import { createPayload, nextUser, splitMessageUser, updatePayload, userChanges } from './user.ts'
import { generatePassword } from './password.ts'
import { createKeyedSerializer, type Serializer } from './serialize.ts'

/** The per-entity subscriber options (`scimgateway.stream.subscriber.entity.<baseEntity>`); absent = false/[]. */
export interface SubscriberEntityOptions {
  deleteUserOnLastGroupRoleRemoval?: boolean
  skipConvertRolesToGroups?: boolean
  generateUserPassword?: boolean
  modifyOnly?: boolean
  replaceDomains?: readonly DomainReplacement[]
}

/** What applyStreamMessage needs. */
export interface ApplyDeps {
  service: ScimService
  /** Context of this application (baseEntity, request id = message id, logger, abort signal). */
  rc: RequestContext
  options: SubscriberEntityOptions
  /** The NATS subject the message came from. */
  subject: string
  /**
   * Serialises endpoint races between different users inside this process (creating the same
   * missing group, GetUniqueValue/Increment). Omitted = one serializer per ScimService instance
   * (so concurrent callers sharing a service are safe).
   */
  serialize?: Serializer
}

/** What was done. */
export interface ApplyResult {
  action: 'created' | 'modified' | 'deleted' | 'skipped' | 'unchanged'
  /** Endpoint id of the user (groups messages: of the group). */
  userId?: string
  groupId?: string
  /** Why it was skipped, or a note on what was (not) done. */
  reason?: string
}

/**
 * Applies one validated message.
 * @throws PermanentMessageError for a message that can never be applied; ScimError or plugin errors
 *   otherwise — pass them to classifyError()
 * @example
 * const result = await applyStreamMessage(parseStreamMessage(data, { msgId, subject }), { service, rc, options, subject })
 */
export async function applyStreamMessage (msg: StreamMessage, deps: ApplyDeps): Promise<ApplyResult> {
  const result = isUserOperation(msg.activityOperation) ? await applyUser(msg, deps) : await applyGroup(msg, deps)
  deps.rc.log.debug(`stream ${deps.subject} ${msg.activityOperation} ${msg.msgId}: ${result.action}${result.reason !== undefined ? ` (${result.reason})` : ''}`)
  return result
}

async function applyUser (msg: StreamMessage, deps: ApplyDeps): Promise<ApplyResult> {
  const { service, rc, options } = deps
  if (msg.user === undefined) throw new PermanentMessageError('missing user')
  const keepRoles = options.skipConvertRolesToGroups === true
  const replace = compileDomainReplacer(options.replaceDomains)
  const raw = replace(msg.user)
  const ops: StreamOperation[] = msg.Operations.map(o => ({ ...o, path: replace(o.path), ...(o.value !== undefined ? { value: replace(o.value) } : {}) }))
  const userName = await lookupUserName(raw)
  const existing = await findUser(service, rc, userName)

  if (msg.activityOperation === 'deleteUser') {
    if (existing === undefined) return { action: 'skipped', reason: `user ${JSON.stringify(userName)} not found` }
    if (options.modifyOnly === true) return { action: 'skipped', userId: existing.id, reason: 'modifyOnly: delete not allowed' }
    await deleteQuietly(service, rc, existing.id)
    return { action: 'deleted', userId: existing.id }
  }

  const removesMembership = ops.some(o => (o.op === 'remove' || o.op === 'replace') && membershipAttr(o.path) !== undefined)
  const lastRemoved = options.deleteUserOnLastGroupRoleRemoval === true && removesMembership && count(raw.groups) + count(raw.roles) === 0

  if (existing === undefined) {
    if (lastRemoved) return { action: 'skipped', reason: `user ${JSON.stringify(userName)} not found and its last group/role was removed` }
    if (options.modifyOnly === true) return { action: 'skipped', reason: `modifyOnly: user ${JSON.stringify(userName)} not found, create not allowed` }
    if (raw.active === false) return { action: 'skipped', reason: `user ${JSON.stringify(userName)} not found and inactive: not created` }
    try {
      return await createUser(raw, userName, deps, keepRoles)
    } catch (e) {
      // created meanwhile by another gateway (the plugin says 409): apply the message as an update
      if (!(isScimError(e) && e.status === 409)) throw e
      const now = await findUser(service, rc, userName)
      if (now === undefined) throw e
      return await updateUser(now, raw, userName, ops, deps, keepRoles, false)
    }
  }

  if (lastRemoved && options.modifyOnly !== true) {
    await deleteQuietly(service, rc, existing.id)
    return { action: 'deleted', userId: existing.id, reason: 'last group/role removed' }
  }
  return await updateUser(existing, raw, userName, ops, deps, keepRoles, lastRemoved)
}

/** The attribute part of an update: templates resolved, one PATCH of what differs from `existing`. */
async function updateAttributes (
  existing: ScimResource & { id: string }, raw: JsonObject, userName: string, ops: readonly StreamOperation[],
  deps: ApplyDeps, keepRoles: boolean
): Promise<{ changed: boolean, resolved: JsonObject }> {
  const { service, rc } = deps
  const resolved = await resolveTemplates(raw, { endpoint: serviceTemplateEndpoint(service, rc, existing.id), current: existing })
  resolved.userName = userName
  const parts = splitMessageUser(resolved, keepRoles)
  const schema = schemaOf('Users')
  const changes = userChanges(existing, nextUser(existing, updatePayload(parts), ops, schema, keepRoles), schema)
  // `existing` was read (undecorated) by this message under the user's queue: no second read
  if (changes.length > 0) await service.patch('Users', existing.id, changes, rc, {}, { returnResource: false, current: existing })
  return { changed: changes.length > 0, resolved }
}

async function updateUser (
  existing: ScimResource & { id: string }, raw: JsonObject, userName: string, ops: readonly StreamOperation[],
  deps: ApplyDeps, keepRoles: boolean, lastRemoved: boolean
): Promise<ApplyResult> {
  const serialize = serializerOf(deps)
  // no closures defined here: in this per-message path, a named closure costs a defineProperty
  // (tsx/esbuild keep-names) on every call
  const updated = endpointTemplates(raw)
    ? await serialize(TEMPLATE_KEY, async () => await updateAttributes(existing, raw, userName, ops, deps, keepRoles))
    : await updateAttributes(existing, raw, userName, ops, deps, keepRoles)
  const changed = await syncMemberships(deps, existing, desiredGroups(updated.resolved, !keepRoles), ops, !keepRoles) || updated.changed
  const result: ApplyResult = { action: changed ? 'modified' : 'unchanged', userId: existing.id }
  if (lastRemoved) result.reason = 'modifyOnly: last group/role removed, user kept'
  return result
}

/**
 * The serializer of this application. Without one in deps, the service's own: two concurrent
 * unserialised creates of one missing group (or one GetUniqueValue) would collide. This WeakMap is
 * the one piece of module state here, on purpose: a safe default beats a silent lost update when a
 * caller forgets to pass a serializer; it is keyed by (and lives as long as) the service instance,
 * so nothing leaks between gateways or tests.
 */
function serializerOf (deps: ApplyDeps): Serializer {
  if (deps.serialize !== undefined) return deps.serialize
  let s = serializers.get(deps.service)
  if (s === undefined) { s = createKeyedSerializer(); serializers.set(deps.service, s) }
  return s
}
const serializers = new WeakMap<ScimService, Serializer>()

/** Serialisation key of template resolution that reads the endpoint (GetUniqueValue, Increment). */
const TEMPLATE_KEY = 'templates'

/** The user itself (templates resolved, password generated when configured), without memberships. */
async function createAttributes (raw: JsonObject, userName: string, deps: ApplyDeps, keepRoles: boolean): Promise<{ id: string, resolved: JsonObject }> {
  const { service, rc, options } = deps
  const resolved = await resolveTemplates(raw, { endpoint: serviceTemplateEndpoint(service, rc) })
  resolved.userName = userName
  const parts = splitMessageUser(resolved, keepRoles)
  const password = parts.password ?? (options.generateUserPassword === true ? generatePassword() : undefined)
  const created = await service.create('Users', createPayload(parts, password, keepRoles), rc)
  if (typeof created.id !== 'string') throw new Error('created user has no id')
  return { id: created.id, resolved }
}

async function createUser (raw: JsonObject, userName: string, deps: ApplyDeps, keepRoles: boolean): Promise<ApplyResult> {
  const { service, rc } = deps
  const serialize = serializerOf(deps)
  const { id, resolved } = endpointTemplates(raw)
    ? await serialize(TEMPLATE_KEY, async () => await createAttributes(raw, userName, deps, keepRoles))
    : await createAttributes(raw, userName, deps, keepRoles)
  for (const ref of desiredGroups(resolved, !keepRoles)) await joinGroup(service, rc, ref, id, serialize, true)
  return { action: 'created', userId: id }
}

/** True when some value of the message user calls GetUniqueValue or Increment. */
function endpointTemplates (v: JsonValue | undefined): boolean {
  if (typeof v === 'string') return v.includes('(') && looksLikeTemplate(v) && needsEndpoint(parseTemplate(v))
  if (Array.isArray(v)) {
    for (const x of v) if (endpointTemplates(x)) return true
    return false
  }
  if (isJsonObject(v)) {
    for (const k in v) if (endpointTemplates(v[k])) return true
  }
  return false
}

/** Deletes a user; one that is already gone counts as deleted (redelivery, concurrent delete). */
async function deleteQuietly (service: ScimService, rc: RequestContext, id: string): Promise<void> {
  try {
    await service.delete('Users', id, rc)
  } catch (e) {
    if (!isNotFound(e)) throw e
  }
}

/**
 * Leaves the groups the removals name, joins the listed ones. The user's `groups` as the plugin
 * returns them (plugin-loki and most plugins derive it) tell which memberships exist already, so an
 * unchanged message reads no group; without that attribute every listed group is looked up. The
 * user's endpoint groups are read only when an operation removes memberships.
 */
async function syncMemberships (deps: ApplyDeps, user: ScimResource & { id: string }, desired: GroupRef[], ops: readonly StreamOperation[], convertRoles: boolean): Promise<boolean> {
  const { service, rc } = deps
  const serialize = serializerOf(deps)
  let changed = false
  let member = memberOf(user)
  if (ops.some(o => isMembershipRemoval(o, convertRoles))) {
    const current = await groupsOfUser(service, rc, user)
    const leaving = groupsToLeave(ops, current, desired, convertRoles)
    for (const g of leaving) changed = await leaveGroup(service, rc, g, user.id) || changed
    member = new Set(current.filter(g => !leaving.includes(g)).map(g => String(g.displayName).toLowerCase()))
  }
  for (const ref of desired) {
    if (member?.has(ref.display.toLowerCase()) === true) continue
    changed = await joinGroup(service, rc, ref, user.id, serialize) || changed
  }
  return changed
}

/** Display names (lower-case) of the groups the user's `groups` attribute lists; undefined when absent. */
function memberOf (user: ScimResource): Set<string> | undefined {
  if (!Array.isArray(user.groups)) return undefined
  const out = new Set<string>()
  for (const g of user.groups) if (isJsonObject(g) && typeof g.display === 'string') out.add(g.display.toLowerCase())
  return out
}

/** The userName to look the user up by: literal, or a template that needs no endpoint. */
async function lookupUserName (user: JsonObject): Promise<string> {
  const v = user.userName
  if (typeof v !== 'string' || v.trim() === '') throw new PermanentMessageError('missing user.userName')
  if (!looksLikeTemplate(v)) return v
  const node = parseTemplate(v)
  if (needsEndpoint(node)) throw new PermanentMessageError('user.userName cannot use GetUniqueValue/Increment: users are looked up by userName (generate other attributes, e.g. in onCreate)')
  const out = await evaluateTemplate(node, { user, target: 'userName' }, v)
  if (typeof out !== 'string' || out === '') throw new PermanentMessageError(`user.userName template ${JSON.stringify(v)} gives no value`)
  return out
}

async function findUser (service: ScimService, rc: RequestContext, userName: string): Promise<(ScimResource & { id: string }) | undefined> {
  // the filter node built directly (no text to parse per message); read undecorated (no ETag)
  const filter: FilterNode = { type: 'compare', path: { attr: 'userName' }, op: 'eq', value: userName }
  let res
  try {
    res = await service.list('Users', { filter, rawFilter: `userName eq ${JSON.stringify(userName)}`, startIndex: 1, count: 2, attributes: [], excludedAttributes: [], raw: true }, rc)
  } catch (e) {
    // endpoints that answer a lookup of an unknown user with 404: not found (a deleteUser for it
    // is then done already — idempotent — and create/modify create it)
    if (isNotFound(e)) return undefined
    throw e
  }
  if (res.Resources.length > 1) throw new ConflictError(`userName ${JSON.stringify(userName)} is not unique at the endpoint`)
  const u = res.Resources[0]
  return u !== undefined && typeof u.id === 'string' ? u as ScimResource & { id: string } : undefined
}

function count (v: unknown): number {
  return Array.isArray(v) ? v.filter(isJsonObject).length : 0
}

async function applyGroup (msg: StreamMessage, deps: ApplyDeps): Promise<ApplyResult> {
  const { service, rc, options } = deps
  if (msg.group === undefined) throw new PermanentMessageError('missing group')
  const group = compileDomainReplacer(options.replaceDomains)(msg.group)
  const displayName = String(group.displayName)
  const filter = parseFilter(`displayName eq ${JSON.stringify(displayName)}`)
  const existing = (await service.list('Groups', { filter, startIndex: 1, count: 1, attributes: [], excludedAttributes: [] }, rc)).Resources[0]
  if (msg.activityOperation === 'deleteGroup') {
    if (existing?.id === undefined) return { action: 'skipped', reason: `group ${JSON.stringify(displayName)} not found` }
    if (options.modifyOnly === true) return { action: 'skipped', groupId: existing.id, reason: 'modifyOnly: delete not allowed' }
    await service.delete('Groups', existing.id, rc)
    return { action: 'deleted', groupId: existing.id }
  }
  const attributes: ScimResource = {}
  for (const [k, v] of Object.entries(group)) if (!['id', 'meta', 'schemas', 'members'].includes(k.toLowerCase())) attributes[k] = v
  if (existing?.id === undefined) {
    if (options.modifyOnly === true) return { action: 'skipped', reason: `modifyOnly: group ${JSON.stringify(displayName)} not found, create not allowed` }
    try {
      const created = await service.create('Groups', attributes, rc)
      return created.id === undefined ? { action: 'created' } : { action: 'created', groupId: created.id }
    } catch (e) {
      if (isScimError(e) && e.status === 409) return { action: 'unchanged', reason: 'group created concurrently' }
      throw e
    }
  }
  const schema = schemaOf('Groups')
  const changes = userChanges(existing, nextUser(existing, attributes, msg.Operations.filter(o => !/^\s*members/i.test(o.path)), schema, true), schema)
  if (changes.length === 0) return { action: 'unchanged', groupId: existing.id }
  await service.patch('Groups', existing.id, changes, rc)
  return { action: 'modified', groupId: existing.id }
}
