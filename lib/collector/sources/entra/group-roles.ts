// App roles through groups. An app role assigned to a group is held by the group's *direct* members:
// Microsoft documents that "all direct members of the group will be considered assigned" and that
// the assignment "doesn't cascade to nested groups" (Graph "Grant an appRoleAssignment to a group",
// Entra "Manage users and groups assignment to an application"). A user's `appRoles` is therefore
// its own roles (`@directRoles`, from /users/{id}/appRoleAssignments) plus the roles of every group
// it is a direct member of, deduplicated by (type, value) — a role held both ways is there once and
// stays while either source remains.
//
// Kept per role-carrying group (in the mirror): its (resourceId, appRoleId) pairs, the roles they
// name, and its direct user members. Where it comes from, every run:
// - assignments: the `principalType: Group` entries of each tracked application's appRoleAssignedTo
//   (app-roles-delta.ts reads them anyway); the roles are resolved again only when they differ;
// - members: on incremental runs the stored ones with the groups/delta round applied (members@delta
//   adds/removes, a deleted group; a rebaseline round lists every member); a group that newly carries
//   roles, a full read, or `group_membership: none` (no groups/delta) read them:
//   `GET /groups/{id}/members/microsoft.graph.user?$select=id` (paged), one chain per such group.
import type { JsonObject } from '../../../scim/types.ts'
import { isGraphStatus, type GraphClient } from './graph.ts'
import type { LiveAssignments } from './app-roles-delta.ts'
import type { GroupTracking } from './groups-delta.ts'
import { DIRECT_ROLES_KEY, mapOrdered, type EntraRoleRef, type MembershipReader, type RoleAssignmentRef } from './memberships.ts'

/** A group that carries app roles, as stored. */
export interface GroupRoleState {
  assignments: RoleAssignmentRef[]
  roles: EntraRoleRef[]
  /** Direct user members (nested groups do not pass roles on). */
  members: string[]
}

/** Role-carrying groups by group id. */
export type GroupRoles = Map<string, GroupRoleState>

/**
 * Direct members of the stored role-carrying groups after the groups/delta round, for the groups
 * whose members the round tells; the others are read by {@link updateGroupRoles}.
 * @example const known = membersAfterRound(mirror.groupRoles, groupsTracking)
 */
export function membersAfterRound (stored: ReadonlyMap<string, GroupRoleState>, tracking: GroupTracking | undefined): Map<string, Set<string>> {
  const known = new Map<string, Set<string>>()
  if (tracking?.round === undefined) return known // no groups/delta (none) or a fresh link (full read)
  for (const [groupId, state] of stored) {
    const change = tracking.round.get(groupId)
    if (change?.removed === true) { known.set(groupId, new Set()); continue }
    if (tracking.mode === 'delta') {
      const members = new Set(state.members)
      for (const [id, m] of change?.members ?? []) {
        if (m.kind !== 'user') continue
        if (m.removed) members.delete(id)
        else members.add(id)
      }
      known.set(groupId, members)
    } else if (change !== undefined) {
      // rebaseline: the round lists every group with all its members
      known.set(groupId, new Set([...change.members].filter(([, m]) => m.kind === 'user' && !m.removed).map(([id]) => id)))
    }
  }
  return known
}

/** Inputs of {@link updateGroupRoles}. */
export interface UpdateGroupRolesOptions {
  stored: ReadonlyMap<string, GroupRoleState>
  /** Members known without a request ({@link membersAfterRound}). */
  known: ReadonlyMap<string, ReadonlySet<string>>
  /** appRoleAssignedTo of the tracked applications, read this run. */
  live: ReadonlyMap<string, LiveAssignments | undefined>
  concurrency: number
}

/**
 * The role-carrying groups now: every group with an assignment of a tracked application.
 * @example const { groups } = await updateGroupRoles(graph, read, { stored, known, live, concurrency: 8 }, signal)
 */
export async function updateGroupRoles (graph: GraphClient, read: MembershipReader, opts: UpdateGroupRolesOptions, signal: AbortSignal): Promise<{ groups: GroupRoles, membersRead: number }> {
  const assigned = new Map<string, RoleAssignmentRef[]>()
  for (const resourceId of [...opts.live.keys()].sort()) {
    for (const [groupId, roleIds] of opts.live.get(resourceId)?.groups ?? []) {
      let list = assigned.get(groupId)
      if (list === undefined) assigned.set(groupId, list = [])
      for (const appRoleId of [...roleIds].sort()) list.push({ resourceId, appRoleId })
    }
  }
  let membersRead = 0
  const groups: GroupRoles = new Map()
  const states = mapOrdered([...assigned.keys()].sort(), opts.concurrency, async (groupId) => {
    const assignments = assigned.get(groupId) ?? []
    const prev = opts.stored.get(groupId)
    const roles = prev !== undefined && sameRefs(prev.assignments, assignments) ? prev.roles : await read.resolve(assignments, signal)
    let members = opts.known.get(groupId)
    if (members === undefined) {
      membersRead++
      members = new Set(await directUserMembers(graph, groupId, signal))
    }
    return { groupId, state: { assignments, roles, members: [...members].sort() } }
  })
  for await (const { groupId, state } of states) groups.set(groupId, state)
  return { groups, membersRead }
}

/**
 * Sets every user's `appRoles` to its own roles plus those of its role-carrying groups (in place).
 * @example deriveRoles(users, groups)
 */
export function deriveRoles (users: Map<string, JsonObject>, groups: ReadonlyMap<string, GroupRoleState>): void {
  const viaGroups = new Map<string, EntraRoleRef[]>()
  for (const groupId of [...groups.keys()].sort()) {
    const g = groups.get(groupId) as GroupRoleState
    for (const userId of g.members) {
      let list = viaGroups.get(userId)
      if (list === undefined) viaGroups.set(userId, list = [])
      list.push(...g.roles)
    }
  }
  for (const [id, p] of users) {
    const own = Array.isArray(p[DIRECT_ROLES_KEY]) ? (p[DIRECT_ROLES_KEY] as unknown as EntraRoleRef[]) : []
    const roles: EntraRoleRef[] = []
    for (const r of [...own, ...viaGroups.get(id) ?? []]) {
      if (!roles.some(x => x.type === r.type && x.value === r.value)) roles.push(r)
    }
    users.set(id, { ...p, appRoles: roles as unknown as JsonObject[] })
  }
}

/** Ids of a group's direct user members; none when the group is gone. */
async function directUserMembers (graph: GraphClient, groupId: string, signal: AbortSignal): Promise<string[]> {
  const out: string[] = []
  try {
    for await (const page of graph.pages(`/v1.0/groups/${encodeURIComponent(groupId)}/members/microsoft.graph.user?$select=id`, signal)) {
      for (const u of page.value) if (u !== null && typeof u === 'object' && typeof (u as { id?: unknown }).id === 'string') out.push((u as { id: string }).id)
    }
  } catch (err) {
    if (isGraphStatus(err, 404)) return out
    throw err
  }
  return out
}

function sameRefs (a: readonly RoleAssignmentRef[], b: readonly RoleAssignmentRef[]): boolean {
  return a.length === b.length && a.every((x, i) => x.resourceId === b[i]?.resourceId && x.appRoleId === b[i]?.appRoleId)
}
