// Change detection: a channel's previous view of a user (last published) against the current one →
// the activityOperation and SCIM PatchOp `Operations` of the message, or nothing when unchanged.
//
// A channel view is held in two parts (ViewParts): `base`, the user without groups/roles as JSON
// text — identical for every channel of a user, so it is serialised once per user and shared in
// memory by all channels' state — and `gr`, the channel's groups/roles as a JSON fragment
// (`"groups":[…],"roles":[…]`, or ''). Unchanged = both strings equal; only a real change is parsed
// and diffed. Messages are assembled from these texts without serialising the user again.
//
// Decisions (docs/scim-stream.md):
// - first time on a channel → createUser, Operations = adds of every attribute (extension attributes
//   per sub-attribute, URN paths), exactly what diffResources({}, user) gives;
// - changed view → modifyUser with the minimal operations (lib/scim diffResources for attributes:
//   add/replace/remove; groups/roles per element, every removal naming the element it
//   removes — membership-ops.ts); a leaver is a modifyUser with `replace active false` — the
//   lifecycle sets active, the diff reports it;
// - the user stops qualifying for the channel → modifyUser removing, element by element, every
//   group/role the channel had given (so `deleteUserOnLastGroupRoleRemoval` works at the subscriber
//   and memberships from elsewhere stay), state forgotten;
// - when the last group/role goes, the message's user carries `groups: []` / `roles: []` (deployed
//   subscribers decide deleteUserOnLastGroupRoleRemoval from the body);
// - service-internal keys (`dynamicIds`, contract INTERNAL_USER_KEYS) never reach `user` or
//   `Operations`: deployed subscribers write every attribute they get onto the endpoint;
// - the person disappears from a complete collection → deleteUser.
import { diffResources } from '../scim/index.ts'
import { membershipChangeOps, removeAllMembershipOps } from './membership-ops.ts'
import { isJsonObject, type JsonObject, type JsonValue, type ScimResource } from '../scim/types.ts'
import { INTERNAL_USER_KEYS, type UserActivityOperation } from '../stream/contract/message.ts'

/** A channel view as text: the user without groups/roles, and the channel's groups/roles fragment. */
export interface ViewParts { readonly base: string, readonly gr: string }

/** A user prepared once for all its channels (plain data: no closures in the per-user path). */
export interface PreparedUser {
  /** JSON text of the user without groups/roles. */
  readonly base: string
  /** The user without groups/roles (for createUser operations). */
  readonly attrs: JsonObject
  /** createUser operations of the base attributes (comma-separated JSON), filled on first use. */
  ops: string | undefined
}

/** A change to publish. */
export interface UserChange {
  activityOperation: UserActivityOperation
  /** `Operations` as JSON text. */
  operationsJson: string
  /** The user the message carries, as JSON text. */
  userJson: string
  /** What to record as the channel's state after the ack (`undefined` = forget). */
  nextState: ViewParts | undefined
  /** Nothing changed for subscribers; only the record is updated (no message). */
  recordOnly?: boolean
}

const SKIPPED = new Set(['schemas', 'id', 'meta'])
const MEMBERSHIP = new Set(['groups', 'roles'])
const INTERNAL = new Set(INTERNAL_USER_KEYS.map(k => k.toLowerCase()))

/**
 * Serialises the user's base (everything but groups/roles) once.
 * @example const p = prepareUser(user); diffView(state.get('AD', key), p, channelUser)
 */
export function prepareUser (user: JsonObject): PreparedUser {
  // One native stringify of a shallow copy is several times cheaper than one per attribute.
  const attrs: JsonObject = {}
  for (const k in user) {
    const v = user[k]
    if (v === undefined || MEMBERSHIP.has(k.toLowerCase()) || INTERNAL.has(k.toLowerCase())) continue
    attrs[k] = v
  }
  return { base: JSON.stringify(attrs), attrs, ops: undefined }
}

function baseOps (user: PreparedUser): string {
  if (user.ops === undefined) {
    const list: string[] = []
    for (const k in user.attrs) addOps(list, k, user.attrs[k] as JsonValue)
    user.ops = list.join(',')
  }
  return user.ops
}

/** A channel's groups/roles: the JSON fragment (`"groups":[…],"roles":[…]` or '') and the channel's user. */
export interface Membership { readonly gr: string, readonly user: JsonObject }

/** The groups/roles fragment of a channel's user (its createUser operations are built only when needed). */
export function membershipOf (channelUser: JsonObject): Membership {
  let gr = ''
  for (const k in channelUser) {
    if (!MEMBERSHIP.has(k.toLowerCase())) continue
    const v = channelUser[k]
    if (v === undefined || v === null || (Array.isArray(v) && v.length === 0)) continue
    gr += `${gr === '' ? '' : ','}${JSON.stringify(k)}:${JSON.stringify(v)}`
  }
  return { gr, user: channelUser }
}

function membershipOps (m: Membership): string {
  if (m.gr === '') return ''
  const ops: string[] = []
  for (const k in m.user) {
    if (!MEMBERSHIP.has(k.toLowerCase())) continue
    const v = m.user[k]
    if (v === undefined || v === null || (Array.isArray(v) && v.length === 0)) continue
    ops.push(`{"op":"add","path":${JSON.stringify(k)},"value":${JSON.stringify(v)}}`)
  }
  return ops.join(',')
}

/** The full user JSON of a view. */
export function composeView (v: ViewParts): string {
  if (v.gr === '') return v.base
  return v.base === '{}' ? `{${v.gr}}` : `${v.base.slice(0, -1)},${v.gr}}`
}

/**
 * The change on one channel from `previous` to the user's current view there.
 * @returns undefined when the channel's view did not change
 */
export function diffView (previous: ViewParts | undefined, user: PreparedUser, membership: Membership): UserChange | undefined {
  const gr = membership.gr
  const next: ViewParts = { base: user.base, gr }
  if (previous !== undefined && previous.base === next.base && previous.gr === next.gr) return undefined
  const userJson = composeView(next)
  if (previous === undefined) return createChange(user, membership, next, userJson)
  // Attributes and membership are diffed apart: attributes generically (diffResources), groups and
  // roles element by element so every removal names what it removes (membership-ops.ts).
  let before: ScimResource
  let beforeMembership: JsonObject
  try {
    before = JSON.parse(previous.base) as ScimResource
    beforeMembership = parseFragment(previous.gr)
  } catch {
    return createChange(user, membership, next, userJson) // a damaged record (torn write): publish afresh
  }
  const ops: unknown[] = []
  // a record from before internal keys were kept out must not turn into a `remove dynamicIds`
  for (const k in before) if (INTERNAL.has(k.toLowerCase())) delete before[k]
  if (previous.base !== next.base) ops.push(...diffResources(before, JSON.parse(next.base) as ScimResource))
  const afterMembership = previous.gr !== gr ? parseFragment(gr) : beforeMembership
  if (previous.gr !== gr) ops.push(...membershipChangeOps(beforeMembership, afterMembership))
  // Same content, other serialisation (key order): nothing to tell subscribers, only the record.
  if (ops.length === 0) return { activityOperation: 'modifyUser', operationsJson: '[]', userJson, nextState: next, recordOnly: true }
  return { activityOperation: 'modifyUser', operationsJson: JSON.stringify(ops), userJson: withEmptied(userJson, beforeMembership, afterMembership), nextState: next }
}

/**
 * The user left the channel (no longer qualifies): remove, one by one, the groups/roles the channel
 * had given (only those: memberships from elsewhere stay).
 * @returns undefined when nothing had been published on the channel
 */
export function leaveChannel (previous: ViewParts | undefined): UserChange | undefined {
  if (previous === undefined) return undefined
  const before = parseFragment(previous.gr)
  const ops = removeAllMembershipOps(before)
  return { activityOperation: 'modifyUser', operationsJson: JSON.stringify(ops), userJson: withEmptied(previous.base, before, {}), nextState: undefined }
}

/** `userJson` plus `"groups":[]` / `"roles":[]` for each of them that `before` had and `after` has not. */
function withEmptied (userJson: string, before: JsonObject, after: JsonObject): string {
  let extra = ''
  for (const attr of ['groups', 'roles']) {
    if (hasElements(before, attr) && !hasElements(after, attr)) extra += `${extra === '' ? '' : ','}"${attr}":[]`
  }
  if (extra === '') return userJson
  return userJson === '{}' ? `{${extra}}` : `${userJson.slice(0, -1)},${extra}}`
}

function hasElements (o: JsonObject, attr: string): boolean {
  for (const k in o) {
    const v = o[k]
    if (k.toLowerCase() === attr && Array.isArray(v) && v.length > 0) return true
  }
  return false
}

/** The groups/roles fragment (`"groups":[…],"roles":[…]` or '') as an object. */
function parseFragment (gr: string): JsonObject {
  return gr === '' ? {} : JSON.parse(`{${gr}}`) as JsonObject
}

/** The person is gone from the source: deleteUser carrying the last published view. */
export function deleteUser (previous: ViewParts): UserChange {
  return { activityOperation: 'deleteUser', operationsJson: '[]', userJson: composeView(previous), nextState: undefined }
}

function createChange (user: PreparedUser, membership: Membership, next: ViewParts, userJson: string): UserChange {
  const base = baseOps(user)
  const mine = membershipOps(membership)
  const ops = base === '' ? mine : mine === '' ? base : `${base},${mine}`
  return { activityOperation: 'createUser', operationsJson: `[${ops}]`, userJson, nextState: next }
}

/** The add operations of one attribute (as diffResources({}, …) makes them). */
function addOps (ops: string[], k: string, v: JsonValue): void {
  if (SKIPPED.has(k.toLowerCase()) || unassigned(v)) return
  if (k.startsWith('urn:') && isJsonObject(v)) {
    for (const sk in v) {
      const sv = v[sk]
      if (sv === undefined || unassigned(sv)) continue
      ops.push(`{"op":"add","path":${JSON.stringify(`${k}:${sk}`)},"value":${JSON.stringify(sv)}}`)
    }
    return
  }
  ops.push(`{"op":"add","path":${JSON.stringify(k)},"value":${JSON.stringify(v)}}`)
}

function unassigned (v: JsonValue): boolean {
  if (v === null) return true
  if (Array.isArray(v)) return v.length === 0
  if (isJsonObject(v)) {
    for (const k in v) if (v[k] !== undefined) return false
    return true
  }
  return false
}
