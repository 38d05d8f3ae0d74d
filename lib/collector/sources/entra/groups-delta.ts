// Group membership changes for incremental runs. users/delta reports changes of user *properties*
// only; who joined or left a group is reported by `groups/delta` with `$select=displayName,members`:
// each changed group comes with `members@delta` listing the members added since the last round and
// the removed ones (marked `@removed`); a deleted group comes as `{ id, @removed }`. This file reads
// that round (its own delta link, stored next to the users' one) and works out which stored users
// need their `memberOf`/`transitiveMemberOf` read again:
// - a user added to or removed from a group                       → that user
// - a group deleted                                                → its stored members
// - a group renamed                                                → its stored members' `display`
//   is patched in place (no request: the membership itself did not change)
// - transitive only: a group added to or removed from a group      → the users below that nested
//   group (`/groups/{id}/transitiveMembers/microsoft.graph.user`) and its stored members
// A first run takes `$deltatoken=latest` (a link "from now on", no data: the full read reads every
// user's memberships anyway). A link Graph rejects (410, syncStateNotFound…) or a missing one is
// replaced by a whole round read from scratch, which lists every group with all its members: the
// memberships it implies are compared with the stored ones, so only users whose groups really
// differ are read again (no spurious changes).
import type { Logger } from '../../../logging/types.ts'
import type { JsonObject } from '../../../scim/types.ts'
import { graphAnswerError, graphReason, isGraphStatus, needsResync, type GraphClient } from './graph.ts'
import { mapOrdered, type EntraGroupRef } from './memberships.ts'

/** The first groups/delta request of a round (the selected properties are tracked; `members` gives members@delta). */
export const GROUPS_DELTA_QUERY = '/v1.0/groups/delta?$select=displayName,members'

/** One group of a round: pages may split a group's members over several entries; they are merged. */
export interface GroupChange {
  displayName?: string
  removed: boolean
  /** Member id → kind and whether it was removed (an entry with `@removed`). */
  members: Map<string, { kind: 'user' | 'group', removed: boolean }>
}

/** What {@link trackGroups} found. */
export interface GroupTracking {
  /** The groups delta link to store. */
  deltaLink: string
  /** How the link was obtained: `latest` (first run), `delta` (stored link), `rebaseline` (a whole round compared). */
  mode: 'latest' | 'delta' | 'rebaseline'
  /** Users whose group memberships must be read again. */
  reread: Set<string>
  /** Group id → current displayName, for patching stored `memberOf[].display`. */
  renames: Map<string, string>
  /** Why the stored link was not used, when it was not. */
  reason?: string
  /** The groups of the round (changes in `delta` mode, every group with all its members in `rebaseline`; none in `latest`). */
  round?: Map<string, GroupChange>
}

/** Inputs of {@link trackGroups}. */
export interface TrackGroupsOptions {
  /** Stored groups delta link; undefined = none. */
  deltaLink: string | undefined
  /** True on a full read of the users: only a fresh link is needed. */
  fullUsers: boolean
  /** The stored users (with the users round applied). */
  users: ReadonlyMap<string, JsonObject>
  transitive: boolean
  concurrency: number
  log: Logger
}

/**
 * Reads the groups delta round and decides which users to read again.
 * @example const t = await trackGroups(graph, { deltaLink, fullUsers: false, users, transitive: false, concurrency: 8, log }, signal)
 */
export async function trackGroups (graph: GraphClient, opts: TrackGroupsOptions, signal: AbortSignal): Promise<GroupTracking> {
  if (opts.fullUsers) {
    const round = await readGroupsRound(graph, `${GROUPS_DELTA_QUERY}&$deltatoken=latest`, signal)
    return { deltaLink: round.deltaLink, mode: 'latest', reread: new Set(), renames: new Map() }
  }
  let reason: string | undefined
  if (opts.deltaLink === undefined) reason = 'no stored groups delta link'
  else {
    try {
      const round = await readGroupsRound(graph, opts.deltaLink, signal)
      const found = await affectedByChanges(graph, round.groups, opts, signal)
      return { deltaLink: round.deltaLink, mode: 'delta', ...found, round: round.groups }
    } catch (err) {
      if (!needsResync(err)) throw err
      reason = `Graph rejected the stored groups delta link (${(err as Error).message})`
      opts.log.warn(`Entra groups delta link no longer valid: whole groups round, compared with the stored memberships (${graphReason(err)})`)
    }
  }
  const round = await readGroupsRound(graph, GROUPS_DELTA_QUERY, signal)
  return { deltaLink: round.deltaLink, mode: 'rebaseline', ...affectedByBaseline(round.groups, opts), reason, round: round.groups }
}

/** `memberOf[].display` set to the current names; undefined when nothing differs. */
export function patchGroupNames (person: JsonObject, renames: ReadonlyMap<string, string>): JsonObject | undefined {
  if (renames.size === 0 || !Array.isArray(person.memberOf)) return undefined
  let changed = false
  const memberOf = (person.memberOf as unknown as EntraGroupRef[]).map((g) => {
    const name = renames.get(g.value)
    if (name === undefined || name === g.display) return g
    changed = true
    return { ...g, display: name }
  })
  return changed ? { ...person, memberOf: memberOf as unknown as JsonObject[] } : undefined
}

interface GroupsRound { groups: Map<string, GroupChange>, deltaLink: string }

async function readGroupsRound (graph: GraphClient, start: string, signal: AbortSignal): Promise<GroupsRound> {
  const groups = new Map<string, GroupChange>()
  let deltaLink: string | undefined
  for await (const page of graph.pages(start, signal)) {
    for (const v of page.value) {
      if (!isObject(v) || typeof v.id !== 'string') continue // nothing to attribute it to
      let g = groups.get(v.id)
      if (g === undefined) groups.set(v.id, g = { removed: false, members: new Map() })
      if (v['@removed'] !== undefined) { g.removed = true; continue }
      g.removed = false
      if (typeof v.displayName === 'string') g.displayName = v.displayName
      const members = v['members@delta']
      if (!Array.isArray(members)) continue
      for (const m of members) {
        if (!isObject(m) || typeof m.id !== 'string') continue
        const kind = m['@odata.type'] === '#microsoft.graph.user' ? 'user' : m['@odata.type'] === '#microsoft.graph.group' ? 'group' : undefined
        if (kind === undefined) continue // devices, service principals, contacts: not collected
        g.members.set(m.id, { kind, removed: m['@removed'] !== undefined })
      }
    }
    if (page.deltaLink !== undefined) deltaLink = page.deltaLink
  }
  if (deltaLink === undefined) throw graphAnswerError('the groups/delta round ended without @odata.deltaLink')
  return { groups, deltaLink }
}

async function affectedByChanges (graph: GraphClient, changes: Map<string, GroupChange>, opts: TrackGroupsOptions, signal: AbortSignal): Promise<{ reread: Set<string>, renames: Map<string, string> }> {
  const reread = new Set<string>()
  const renames = new Map<string, string>()
  const nested = new Set<string>()
  let index: Map<string, string[]> | undefined
  const storedMembers = (groupId: string): string[] => (index ??= usersByGroup(opts.users)).get(groupId) ?? []
  const add = (id: string): void => { if (opts.users.has(id)) reread.add(id) }
  for (const [groupId, g] of changes) {
    if (g.removed) { storedMembers(groupId).forEach(add); continue }
    if (g.displayName !== undefined) renames.set(groupId, g.displayName)
    for (const [memberId, m] of g.members) {
      if (m.kind === 'user') add(memberId)
      else if (opts.transitive) nested.add(memberId) // direct memberOf does not list the parents of a user's groups
    }
  }
  // A nested group joined or left a group: everyone below it gains or loses the parent (and its parents).
  const below = mapOrdered([...nested], opts.concurrency, async (groupId) => {
    storedMembers(groupId).forEach(add)
    return await transitiveUserMembers(graph, groupId, signal)
  })
  for await (const ids of below) ids.forEach(add)
  return { reread, renames }
}

/** A whole round lists every group with all its members: compare what it implies with the stored memberships. */
function affectedByBaseline (groups: Map<string, GroupChange>, opts: TrackGroupsOptions): { reread: Set<string>, renames: Map<string, string> } {
  const renames = new Map<string, string>()
  const directOf = new Map<string, string[]>() // member (user or group) → groups it is directly in
  for (const [groupId, g] of groups) {
    if (g.removed) continue
    if (g.displayName !== undefined) renames.set(groupId, g.displayName)
    for (const [memberId, m] of g.members) {
      if (m.removed) continue
      const list = directOf.get(memberId)
      if (list === undefined) directOf.set(memberId, [groupId])
      else list.push(groupId)
    }
  }
  const closure = new Map<string, Set<string>>() // group → itself and every group above it
  const above = (groupId: string, path: Set<string>): Set<string> => {
    const known = closure.get(groupId)
    if (known !== undefined) return known
    const out = new Set<string>([groupId])
    path.add(groupId)
    for (const parent of directOf.get(groupId) ?? []) {
      if (path.has(parent)) continue // a cycle: Entra forbids them, but stop anyway
      for (const p of above(parent, path)) out.add(p)
    }
    path.delete(groupId)
    closure.set(groupId, out)
    return out
  }
  const reread = new Set<string>()
  for (const [userId, p] of opts.users) {
    const expected = new Set<string>()
    for (const groupId of directOf.get(userId) ?? []) {
      if (opts.transitive) for (const x of above(groupId, new Set())) expected.add(x)
      else expected.add(groupId)
    }
    const stored = Array.isArray(p.memberOf) ? (p.memberOf as unknown as EntraGroupRef[]).map(g => g.value) : []
    if (stored.length !== expected.size || stored.some(id => !expected.has(id))) reread.add(userId)
  }
  return { reread, renames }
}

/** Ids of the users below a group (nested groups included); none when the group is gone. */
async function transitiveUserMembers (graph: GraphClient, groupId: string, signal: AbortSignal): Promise<string[]> {
  const out: string[] = []
  try {
    for await (const page of graph.pages(`/v1.0/groups/${encodeURIComponent(groupId)}/transitiveMembers/microsoft.graph.user?$select=id`, signal)) {
      for (const u of page.value) if (isObject(u) && typeof u.id === 'string') out.push(u.id)
    }
  } catch (err) {
    if (isGraphStatus(err, 404)) return out // deleted meanwhile: its stored members cover it
    throw err
  }
  return out
}

function usersByGroup (users: ReadonlyMap<string, JsonObject>): Map<string, string[]> {
  const out = new Map<string, string[]>()
  for (const [id, p] of users) {
    if (!Array.isArray(p.memberOf)) continue
    for (const g of p.memberOf as unknown as EntraGroupRef[]) {
      const list = out.get(g.value)
      if (list === undefined) out.set(g.value, [id])
      else list.push(id)
    }
  }
  return out
}

function isObject (v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v)
}
