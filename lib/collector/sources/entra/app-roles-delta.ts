// App role assignment changes for incremental runs. Graph has no delta query for appRoleAssignments,
// so every incremental run reads, for each tracked application (resource service principal),
// `GET /v1.0/servicePrincipals/{id}/appRoleAssignedTo` (paged) and compares its `principalType`
// `User` entries with the (resourceId, appRoleId) pairs stored with each user: users whose own
// assignments for that resource differ get their roles read again. Its `Group` entries are returned
// as they are (group-roles.ts compares them with the stored group assignments). Tracked: every
// resource some stored user or group has a role of, plus `general.app_role_resources` (object ids or
// appIds) — so a first role of an application nobody had a role of is noticed only when that
// application is configured. Cost: one paged read per tracked application per run (about one request
// per 100 assignments). The full read uses the same read (readApplications) for the group entries.
import type { Logger } from '../../../logging/types.ts'
import type { JsonObject } from '../../../scim/types.ts'
import { isGraphStatus, type GraphClient } from './graph.ts'
import { ASSIGNMENTS_KEY, mapOrdered, type MembershipReader, type RoleAssignmentRef } from './memberships.ts'

/** What {@link trackAppRoles} found. */
export interface RoleTracking {
  /** Users whose app roles must be read again. */
  reread: Set<string>
  /** Applications whose assignments were read. */
  applications: number
  /** What each application's appRoleAssignedTo holds now (undefined: the service principal is gone). */
  live: Map<string, LiveAssignments | undefined>
}

/** One application's assignments: principal id → appRoleIds, users and groups apart. */
export interface LiveAssignments { users: Map<string, Set<string>>, groups: Map<string, Set<string>> }

/** Inputs of {@link trackAppRoles}. */
export interface TrackAppRolesOptions {
  users: ReadonlyMap<string, JsonObject>
  /** `general.app_role_resources`: object ids or appIds. */
  configured: readonly string[]
  /** Resources some stored group has a role of (tracked as well). */
  groupResources?: Iterable<string>
  concurrency: number
  log: Logger
}

/**
 * Compares each tracked application's assignments with the stored ones.
 * @example const { reread } = await trackAppRoles(graph, read, { users, configured: [], concurrency: 8, log }, signal)
 */
export async function trackAppRoles (graph: GraphClient, read: MembershipReader, opts: TrackAppRolesOptions, signal: AbortSignal): Promise<RoleTracking> {
  // Stored assignments by resource: resourceId → userId → appRoleIds.
  const stored = new Map<string, Map<string, Set<string>>>()
  for (const [userId, p] of opts.users) {
    for (const a of storedAssignments(p)) {
      let byUser = stored.get(a.resourceId)
      if (byUser === undefined) stored.set(a.resourceId, byUser = new Map())
      let ids = byUser.get(userId)
      if (ids === undefined) byUser.set(userId, ids = new Set())
      ids.add(a.appRoleId)
    }
  }
  const resources = await trackedResources(read, [...stored.keys(), ...opts.groupResources ?? []], opts, signal)
  const reread = new Set<string>()
  const live = await readApplications(graph, resources, opts.concurrency, signal)
  for (const [resourceId, now] of live) {
    const before = stored.get(resourceId) ?? new Map<string, Set<string>>()
    // A resource that is gone (404) has no assignments left: its stored holders lose their roles.
    const users = now?.users ?? new Map<string, Set<string>>()
    for (const userId of new Set([...before.keys(), ...users.keys()])) {
      if (!opts.users.has(userId)) continue // not collected (or removed this run)
      if (!sameSet(before.get(userId), users.get(userId))) reread.add(userId)
    }
  }
  return { reread, applications: resources.size, live }
}

/** `known` resource ids plus the configured ones (ids or appIds, resolved; an unknown one is a warning). */
export async function trackedResources (read: MembershipReader, known: Iterable<string>, opts: { configured: readonly string[], log: Logger }, signal: AbortSignal): Promise<Set<string>> {
  const resources = new Set(known)
  for (const key of opts.configured) {
    const sp = await read.principal(key, signal)
    if (sp === undefined) opts.log.warn(`Entra general.app_role_resources: no service principal with id or appId ${key}`)
    else resources.add(sp.id)
  }
  return resources
}

/** appRoleAssignedTo of each resource, at most `concurrency` chains at once. */
export async function readApplications (graph: GraphClient, resources: Iterable<string>, concurrency: number, signal: AbortSignal): Promise<Map<string, LiveAssignments | undefined>> {
  const out = new Map<string, LiveAssignments | undefined>()
  const read = mapOrdered([...resources], concurrency, async (resourceId) => ({ resourceId, live: await assignedTo(graph, resourceId, signal) }))
  for await (const { resourceId, live } of read) out.set(resourceId, live)
  return out
}

/** The (resourceId, appRoleId) pairs kept with a stored user. */
export function storedAssignments (p: JsonObject): RoleAssignmentRef[] {
  const v = p[ASSIGNMENTS_KEY]
  return Array.isArray(v) ? (v as unknown as RoleAssignmentRef[]) : []
}

/** Principal id → appRoleIds for one resource, users and groups apart; undefined when the resource is gone. */
async function assignedTo (graph: GraphClient, resourceId: string, signal: AbortSignal): Promise<LiveAssignments | undefined> {
  const out: LiveAssignments = { users: new Map(), groups: new Map() }
  try {
    for await (const page of graph.pages(`/v1.0/servicePrincipals/${encodeURIComponent(resourceId)}/appRoleAssignedTo`, signal)) {
      for (const a of page.value) {
        if (a === null || typeof a !== 'object' || Array.isArray(a)) continue
        const { principalType, principalId, appRoleId } = a as Record<string, unknown>
        if (typeof principalId !== 'string' || typeof appRoleId !== 'string') continue
        const byPrincipal = principalType === 'User' ? out.users : principalType === 'Group' ? out.groups : undefined
        if (byPrincipal === undefined) continue // service principals (application permissions): not people
        let ids = byPrincipal.get(principalId)
        if (ids === undefined) byPrincipal.set(principalId, ids = new Set())
        ids.add(appRoleId)
      }
    }
  } catch (err) {
    if (isGraphStatus(err, 404)) return undefined
    throw err
  }
  return out
}

function sameSet (a: ReadonlySet<string> | undefined, b: ReadonlySet<string> | undefined): boolean {
  const x = a ?? new Set<string>()
  const y = b ?? new Set<string>()
  if (x.size !== y.size) return false
  for (const v of x) if (!y.has(v)) return false
  return true
}
