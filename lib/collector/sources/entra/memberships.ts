// Group memberships and app roles of one Entra user, shaped for the mapper and the stream rules:
//   memberOf: [{ value: <group id>, display: <group displayName> }]          (groups only)
//   appRoles: [{ type: <resource displayName>, display: <role displayName>, value: <role value> }]
// Groups come from `/users/{id}/memberOf` (direct) or `/transitiveMemberOf` (nested too); directory
// roles and administrative units in those lists are left out. App role assignments name only the
// role's id; its display name and value come from the resource's service principal (`appRoles`),
// read once per run and shared by every user. A role without a `value` (the default access role,
// id 00000000-…) is given its id as value.
import type { GraphClient } from './graph.ts'
import { GraphHttpError } from './graph.ts'
import type { GroupMembership } from './config.ts'
import type { JsonObject } from '../../../scim/types.ts'

/** A group membership as the mapper sees it. */
export interface EntraGroupRef { value: string, display: string }
/** An app role as the mapper sees it (`user.roles.<type>.value` in stream rules). */
export interface EntraRoleRef { type: string, display: string, value: string }

/** Reads memberships of users; one reader per run (its service principal cache lives as long). */
export type MembershipReader = (userId: string, signal: AbortSignal) => Promise<{ memberOf?: EntraGroupRef[], appRoles?: EntraRoleRef[] }>

export const DEFAULT_ACCESS_ROLE_ID = '00000000-0000-0000-0000-000000000000'

interface AppRoleDef { id: string, displayName?: string, value?: string }
interface ServicePrincipal { displayName?: string, appRoles: AppRoleDef[] }

/**
 * A reader for one run.
 * @example const read = membershipReader(graph, { groupMembership: 'direct', appRoles: true }); const { memberOf } = await read(id, signal)
 */
export function membershipReader (graph: GraphClient, opts: { groupMembership: GroupMembership, appRoles: boolean }): MembershipReader {
  const principals = new Map<string, Promise<ServicePrincipal | undefined>>()

  const servicePrincipal = async (id: string, signal: AbortSignal): Promise<ServicePrincipal | undefined> => {
    let p = principals.get(id)
    if (p === undefined) {
      p = (async () => {
        try {
          const sp = await graph.getJson(`/v1.0/servicePrincipals/${encodeURIComponent(id)}?$select=id,displayName,appRoles`, signal) as { displayName?: unknown, appRoles?: unknown }
          const roles = Array.isArray(sp.appRoles) ? sp.appRoles.filter(isObject).map(r => ({ id: String(r.id), ...(typeof r.displayName === 'string' ? { displayName: r.displayName } : {}), ...(typeof r.value === 'string' && r.value !== '' ? { value: r.value } : {}) })) : []
          return { ...(typeof sp.displayName === 'string' ? { displayName: sp.displayName } : {}), appRoles: roles }
        } catch (err) {
          if (err instanceof GraphHttpError && err.status === 404) return undefined // resource gone: ids only
          throw err
        }
      })()
      principals.set(id, p)
      p.catch(() => { principals.delete(id) }) // a failure is not cached: the next user tries again
    }
    return await p
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

  const roles = async (userId: string, signal: AbortSignal): Promise<EntraRoleRef[]> => {
    const assignments: JsonObject[] = []
    for await (const page of graph.pages(`/v1.0/users/${encodeURIComponent(userId)}/appRoleAssignments`, signal)) {
      for (const a of page.value) if (isObject(a) && typeof a.resourceId === 'string' && typeof a.appRoleId === 'string') assignments.push(a as JsonObject)
    }
    const out: EntraRoleRef[] = []
    for (const a of assignments) {
      const resourceId = a.resourceId as string
      const appRoleId = a.appRoleId as string
      const sp = await servicePrincipal(resourceId, signal)
      const def = sp?.appRoles.find(r => r.id === appRoleId)
      const type = typeof a.resourceDisplayName === 'string' && a.resourceDisplayName !== '' ? a.resourceDisplayName : sp?.displayName ?? resourceId
      const display = def?.displayName ?? (appRoleId === DEFAULT_ACCESS_ROLE_ID ? 'Default Access' : appRoleId)
      const role = { type, display, value: def?.value ?? appRoleId }
      if (!out.some(r => r.type === role.type && r.value === role.value)) out.push(role)
    }
    return out
  }

  return async (userId, signal) => {
    const [memberOf, appRoles] = await Promise.all([
      opts.groupMembership !== 'none' ? groups(userId, signal) : undefined,
      opts.appRoles ? roles(userId, signal) : undefined
    ])
    return { ...(memberOf !== undefined ? { memberOf } : {}), ...(appRoles !== undefined ? { appRoles } : {}) }
  }
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
