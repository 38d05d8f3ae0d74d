// Group memberships and app roles of one Entra user, shaped for the mapper and the stream rules:
//   memberOf: [{ value: <group id>, display: <group displayName> }]          (groups only)
//   appRoles: [{ type: <resource displayName>, display: <role displayName>, value: <role value> }]
// Groups come from `/users/{id}/memberOf` (direct) or `/transitiveMemberOf` (nested too); directory
// roles and administrative units in those lists are left out. App role assignments name only the
// role's id; its display name and value come from the resource's service principal (`appRoles`),
// read once per run and shared by every user. A role without a `value` (the default access role,
// id 00000000-…) is given its id as value. The raw (resourceId, appRoleId) pairs are returned too:
// the collector keeps them to compare with `appRoleAssignedTo` of each application on later runs.
// `appRoles` here are the user's *own* assignments; roles through groups are added by group-roles.ts.
import type { GraphClient } from './graph.ts'
import { isGraphStatus } from './graph.ts'
import type { GroupMembership } from './config.ts'
import type { JsonObject } from '../../../scim/types.ts'

/** A group membership as the mapper sees it. */
export interface EntraGroupRef { value: string, display: string }
/** An app role as the mapper sees it (`user.roles.<type>.value` in stream rules). */
export interface EntraRoleRef { type: string, display: string, value: string }

/** An app role assignment as Graph names it (kept in the mirror, not given to the mapper). */
export interface RoleAssignmentRef { resourceId: string, appRoleId: string }

/** What one read found (absent = not read). */
export interface UserMemberships { memberOf?: EntraGroupRef[], appRoles?: EntraRoleRef[], assignments?: RoleAssignmentRef[] }

/** A resource service principal: its object id, name and app roles. */
export interface ServicePrincipal { id: string, displayName?: string, appRoles: AppRoleDef[] }

/** Reads memberships of users; one reader per run (its service principal cache lives as long). */
export interface MembershipReader {
  /** Groups and/or roles of one user (`parts` defaults to whatever the config enables). */
  (userId: string, signal: AbortSignal, parts?: { groups: boolean, roles: boolean }): Promise<UserMemberships>
  /**
   * A service principal by object id, or by appId when no object has that id
   * (`/servicePrincipals(appId='…')`); undefined when neither exists.
   */
  principal: (idOrAppId: string, signal: AbortSignal) => Promise<ServicePrincipal | undefined>
  /** Assignments named as roles (service principals read once per run); duplicates dropped. */
  resolve: (assignments: readonly RoleAssignmentRef[], signal: AbortSignal) => Promise<EntraRoleRef[]>
}

export const DEFAULT_ACCESS_ROLE_ID = '00000000-0000-0000-0000-000000000000'

/**
 * Key of the (resourceId, appRoleId) pairs in a stored user. It has an `@` so it cannot clash with a
 * Graph property; it is kept in the mirror and removed from what the mapper sees.
 */
export const ASSIGNMENTS_KEY = '@assignments'

/**
 * Key of the user's own roles (as resolved from its appRoleAssignments) in a stored user; `appRoles`
 * is these plus the roles of its groups. Kept in the mirror, removed from what the mapper sees.
 */
export const DIRECT_ROLES_KEY = '@directRoles'

interface AppRoleDef { id: string, displayName?: string, value?: string }

/**
 * A reader for one run.
 * @example const read = membershipReader(graph, { groupMembership: 'direct', appRoles: true }); const { memberOf } = await read(id, signal)
 */
export function membershipReader (graph: GraphClient, opts: { groupMembership: GroupMembership, appRoles: boolean }): MembershipReader {
  const principals = new Map<string, Promise<ServicePrincipal | undefined>>()

  const fetchPrincipal = async (path: string, fallbackId: string, signal: AbortSignal): Promise<ServicePrincipal | undefined> => {
    try {
      const sp = await graph.getJson(`${path}?$select=id,displayName,appRoles`, signal) as { id?: unknown, displayName?: unknown, appRoles?: unknown }
      const roles = Array.isArray(sp.appRoles) ? sp.appRoles.filter(isObject).map(r => ({ id: String(r.id), ...(typeof r.displayName === 'string' ? { displayName: r.displayName } : {}), ...(typeof r.value === 'string' && r.value !== '' ? { value: r.value } : {}) })) : []
      return { id: typeof sp.id === 'string' ? sp.id : fallbackId, ...(typeof sp.displayName === 'string' ? { displayName: sp.displayName } : {}), appRoles: roles }
    } catch (err) {
      if (isGraphStatus(err, 404)) return undefined // resource gone: ids only
      throw err
    }
  }

  const cached = (key: string, load: () => Promise<ServicePrincipal | undefined>): Promise<ServicePrincipal | undefined> => {
    let p = principals.get(key)
    if (p === undefined) {
      p = load()
      principals.set(key, p)
      p.catch(() => { principals.delete(key) }) // a failure is not cached: the next user tries again
    }
    return p
  }

  const servicePrincipal = async (id: string, signal: AbortSignal): Promise<ServicePrincipal | undefined> =>
    await cached(id, async () => await fetchPrincipal(`/v1.0/servicePrincipals/${encodeURIComponent(id)}`, id, signal))

  const principal = async (idOrAppId: string, signal: AbortSignal): Promise<ServicePrincipal | undefined> => {
    const byId = await servicePrincipal(idOrAppId, signal)
    if (byId !== undefined) return byId
    return await cached(`appId:${idOrAppId}`, async () => await fetchPrincipal(`/v1.0/servicePrincipals(appId='${encodeURIComponent(idOrAppId)}')`, idOrAppId, signal))
  }

  const groups = async (userId: string, signal: AbortSignal): Promise<EntraGroupRef[]> => {
    const rel = opts.groupMembership === 'transitive' ? 'transitiveMemberOf' : 'memberOf'
    const out: EntraGroupRef[] = []
    for await (const page of graph.pages(`/v1.0/users/${encodeURIComponent(userId)}/${rel}?$select=id,displayName`, signal)) {
      for (const o of page.value) {
        if (!isObject(o) || o['@odata.type'] !== '#microsoft.graph.group' || typeof o.id !== 'string') continue
        if (out.some(g => g.value === o.id)) continue
        out.push({ value: o.id, display: typeof o.displayName === 'string' ? o.displayName : o.id })
      }
    }
    return out
  }

  const roles = async (userId: string, signal: AbortSignal): Promise<{ appRoles: EntraRoleRef[], assignments: RoleAssignmentRef[] }> => {
    const assignments: JsonObject[] = []
    for await (const page of graph.pages(`/v1.0/users/${encodeURIComponent(userId)}/appRoleAssignments`, signal)) {
      for (const a of page.value) if (isObject(a) && typeof a.resourceId === 'string' && typeof a.appRoleId === 'string') assignments.push(a as JsonObject)
    }
    const refs: RoleAssignmentRef[] = []
    const names = new Map<string, string>()
    for (const a of assignments) {
      const resourceId = a.resourceId as string
      const appRoleId = a.appRoleId as string
      if (!refs.some(r => r.resourceId === resourceId && r.appRoleId === appRoleId)) refs.push({ resourceId, appRoleId })
      if (typeof a.resourceDisplayName === 'string' && a.resourceDisplayName !== '') names.set(resourceId, a.resourceDisplayName)
    }
    return { appRoles: await resolve(refs, signal, names), assignments: refs }
  }

  const resolve = async (refs: readonly RoleAssignmentRef[], signal: AbortSignal, names?: ReadonlyMap<string, string>): Promise<EntraRoleRef[]> => {
    const out: EntraRoleRef[] = []
    for (const { resourceId, appRoleId } of refs) {
      const sp = await servicePrincipal(resourceId, signal)
      const def = sp?.appRoles.find(r => r.id === appRoleId)
      const type = names?.get(resourceId) ?? sp?.displayName ?? resourceId
      const display = def?.displayName ?? (appRoleId === DEFAULT_ACCESS_ROLE_ID ? 'Default Access' : appRoleId)
      const role = { type, display, value: def?.value ?? appRoleId }
      if (!out.some(r => r.type === role.type && r.value === role.value)) out.push(role)
    }
    return out
  }

  const read = async (userId: string, signal: AbortSignal, parts = { groups: true, roles: true }): Promise<UserMemberships> => {
    const [memberOf, r] = await Promise.all([
      opts.groupMembership !== 'none' && parts.groups ? groups(userId, signal) : undefined,
      opts.appRoles && parts.roles ? roles(userId, signal) : undefined
    ])
    return { ...(memberOf !== undefined ? { memberOf } : {}), ...(r !== undefined ? r : {}) }
  }
  return Object.assign(read, { principal, resolve: async (refs: readonly RoleAssignmentRef[], signal: AbortSignal) => await resolve(refs, signal) })
}

/**
 * Maps `items` through `fn` with at most `limit` calls in flight, yielding results in input order.
 * A failure is thrown when its turn comes; the calls in flight then finish unobserved.
 */
export async function * mapOrdered<T, R> (items: Iterable<T>, limit: number, fn: (item: T) => Promise<R>): AsyncGenerator<R> {
  const queue: Array<Promise<R>> = []
  const it = items[Symbol.iterator]()
  let done = false
  const fill = (): void => {
    while (!done && queue.length < limit) {
      const n = it.next()
      if (n.done === true) { done = true; break }
      const p = fn(n.value)
      p.catch(() => {}) // observed when its turn comes
      queue.push(p)
    }
  }
  fill()
  while (queue.length > 0) {
    const head = queue.shift() as Promise<R>
    const r = await head
    fill()
    yield r
  }
}

function isObject (v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v)
}
