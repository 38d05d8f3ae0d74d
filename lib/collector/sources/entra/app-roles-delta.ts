// App role assignment changes for incremental runs. Graph has no delta query for appRoleAssignments,
// so every incremental run reads, for each tracked application (resource service principal),
// `GET /v1.0/servicePrincipals/{id}/appRoleAssignedTo` (paged; assignments to users only — roles
// given through a group are not in a user's own appRoleAssignments either) and compares it with the
// (resourceId, appRoleId) pairs stored with each user. Users whose assignments for that resource
// differ get their roles read again. Tracked: every resource some stored user has a role of, plus
// `general.app_role_resources` (object ids or appIds) — so a first role of an application nobody had
// a role of is noticed only when that application is configured. Cost: one paged read per tracked
// application per run (about one request per 100 assignments).
import type { Logger } from '../../../logging/types.ts'
import type { JsonObject } from '../../../scim/types.ts'
import { GraphHttpError, type GraphClient } from './graph.ts'
import { ASSIGNMENTS_KEY, mapOrdered, type MembershipReader, type RoleAssignmentRef } from './memberships.ts'

/** What {@link trackAppRoles} found. */
export interface RoleTracking {
  /** Users whose app roles must be read again. */
  reread: Set<string>
  /** Applications whose assignments were read. */
  applications: number
}

/** Inputs of {@link trackAppRoles}. */
export interface TrackAppRolesOptions {
  users: ReadonlyMap<string, JsonObject>
  /** `general.app_role_resources`: object ids or appIds. */
  configured: readonly string[]
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
  const resources = new Set(stored.keys())
  for (const key of opts.configured) {
    const sp = await read.principal(key, signal)
    if (sp === undefined) opts.log.warn(`Entra general.app_role_resources: no service principal with id or appId ${key}`)
    else resources.add(sp.id)
  }
  const reread = new Set<string>()
  const compared = mapOrdered([...resources], opts.concurrency, async (resourceId) => ({ resourceId, live: await assignedTo(graph, resourceId, signal) }))
  for await (const { resourceId, live } of compared) {
    const before = stored.get(resourceId) ?? new Map<string, Set<string>>()
    // A resource that is gone (404) has no assignments left: its stored holders lose their roles.
    const now = live ?? new Map<string, Set<string>>()
    for (const userId of new Set([...before.keys(), ...now.keys()])) {
      if (!opts.users.has(userId)) continue // not collected (or removed this run)
      if (!sameSet(before.get(userId), now.get(userId))) reread.add(userId)
    }
  }
  return { reread, applications: resources.size }
}

/** The (resourceId, appRoleId) pairs kept with a stored user. */
export function storedAssignments (p: JsonObject): RoleAssignmentRef[] {
  const v = p[ASSIGNMENTS_KEY]
  return Array.isArray(v) ? (v as unknown as RoleAssignmentRef[]) : []
}

/** userId → appRoleIds assigned directly to users for one resource; undefined when the resource is gone. */
async function assignedTo (graph: GraphClient, resourceId: string, signal: AbortSignal): Promise<Map<string, Set<string>> | undefined> {
  const out = new Map<string, Set<string>>()
  try {
    for await (const page of graph.pages(`/v1.0/servicePrincipals/${encodeURIComponent(resourceId)}/appRoleAssignedTo`, signal)) {
      for (const a of page.value) {
        if (a === null || typeof a !== 'object' || Array.isArray(a)) continue
        const { principalType, principalId, appRoleId } = a as Record<string, unknown>
        if (principalType !== 'User' || typeof principalId !== 'string' || typeof appRoleId !== 'string') continue
        let ids = out.get(principalId)
        if (ids === undefined) out.set(principalId, ids = new Set())
        ids.add(appRoleId)
      }
    }
  } catch (err) {
    if (err instanceof GraphHttpError && err.status === 404) return undefined
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
