// PIM directory roles of plugin-entra-id (on with `endpoint.map.user.roles`): a user's `roles` are its
// direct, tenant-wide (directoryScopeId "/") role assignments through Privileged Identity Management —
// `{ value: <role displayName>, display: <role displayName>, type: "Permanent" | "Eligible" }`.
// Permanent = an active admin assignment (roleAssignmentScheduleInstances, assignmentType Assigned);
// Eligible = an eligibility (roleEligibilityScheduleInstances). Writes are schedule requests:
// adminAssign (scheduleInfo noExpiration) / adminRemove on roleAssignmentScheduleRequests or
// roleEligibilityScheduleRequests, sent 20 per $batch. `GET /Roles` = the enabled role definitions.
// Role names resolve through the tenant's role definitions (cached for 5 minutes, read again before
// an unknown name is refused).
import { ScimError } from '../../scim/errors.ts'
import type { JsonObject, ScimResource } from '../types.ts'
import { Graph, listOf, odataString, type BatchItem, type BatchResult } from './graph.ts'

type Obj = Record<string, unknown>
export type RoleKind = 'Permanent' | 'Eligible'
/** A role of a user: the definition's id and the kind of assignment. */
export interface RoleRef { id: string, kind: RoleKind }
interface Definition { id: string, displayName: string, templateId: string, description: string, isBuiltIn: boolean }

const DIR = '/roleManagement/directory'
const ENDPOINT: Record<RoleKind, { instances: string, requests: string }> = {
  Permanent: { instances: `${DIR}/roleAssignmentScheduleInstances`, requests: `${DIR}/roleAssignmentScheduleRequests` },
  Eligible: { instances: `${DIR}/roleEligibilityScheduleInstances`, requests: `${DIR}/roleEligibilityScheduleRequests` }
}
const KINDS: RoleKind[] = ['Permanent', 'Eligible']
const CACHE_MS = 5 * 60_000
const JUSTIFICATION = 'Provisioned by SCIM Gateway'

export class Roles {
  private cache: { at: number, defs: Definition[] } | undefined

  constructor (private readonly graph: Graph) {}

  /**
   * Proves the PIM read permissions (health check): role definitions (RoleManagement.Read.Directory)
   * and eligibility instances (RoleEligibilitySchedule.Read.Directory); a 403 names the missing one.
   */
  async check (): Promise<void> {
    const none = `principalId eq ${odataString('00000000-0000-0000-0000-000000000000')}`
    await Promise.all([
      this.graph.call('GET', `${DIR}/roleDefinitions`, { query: { $select: 'id' } }),
      this.graph.call('GET', ENDPOINT.Eligible.instances, { query: { $filter: none } })
    ])
  }

  /** `GET /Roles`: the enabled role definitions, each assignable as Permanent or Eligible. */
  async list (signal: AbortSignal): Promise<ScimResource[]> {
    const defs = await this.definitions(signal, true)
    return defs.map(d => ({ id: d.id, value: d.displayName, displayName: d.displayName, description: d.description, isBuiltIn: d.isBuiltIn, templateId: d.templateId, types: [...KINDS] }))
  }

  /** The two $batch reads of a user's roles (Permanent, Eligible); see {@link fromBatch}. */
  batchItems (userId: string): BatchItem[] {
    const filter = encodeURIComponent(`principalId eq ${odataString(userId)}`)
    return KINDS.map(k => ({ method: 'GET' as const, url: `${ENDPOINT[k].instances}?$filter=${filter}` }))
  }

  /** The SCIM roles of a user from the results of {@link batchItems} (further pages read by nextLink). */
  async fromBatch (userId: string, results: Array<BatchResult | undefined>, signal: AbortSignal): Promise<JsonObject[]> {
    return await this.toScim(await this.refsOf(userId, results, signal), signal)
  }

  /** SCIM role elements of role references (value and display = the definition's displayName). */
  async toScim (refs: RoleRef[], signal: AbortSignal): Promise<JsonObject[]> {
    if (refs.length === 0) return []
    const defs = await this.definitions(signal)
    return refs.map((r) => {
      const name = defs.find(d => d.id === r.id)?.displayName ?? r.id
      return { value: name, display: name, type: r.kind }
    })
  }

  /** A user's current roles (both kinds), read with one $batch. */
  async current (userId: string, signal: AbortSignal): Promise<RoleRef[]> {
    return await this.refsOf(userId, await this.graph.batch(this.batchItems(userId), signal), signal)
  }

  private async refsOf (userId: string, results: Array<BatchResult | undefined>, signal: AbortSignal): Promise<RoleRef[]> {
    const out: RoleRef[] = []
    for (const [i, kind] of KINDS.entries()) {
      const r = results[i]
      if (r === undefined) continue
      Graph.check(r, `GET ${ENDPOINT[kind].instances} of ${userId}`)
      let list = listOf(r.body)
      const next = (r.body as Obj | undefined)?.['@odata.nextLink']
      if (typeof next === 'string') list = list.concat(await this.graph.list(next, {}, signal))
      out.push(...instancesToRefs(list, kind))
    }
    return out
  }

  /**
   * The role references of a SCIM `roles` value: each element's `value` names a role definition by
   * displayName (case-insensitive), id or templateId; `type` is Permanent (default) or Eligible.
   * Unknown roles and types are a 400 naming them.
   */
  async resolve (roles: unknown, signal: AbortSignal): Promise<RoleRef[]> {
    const wanted = roleElements(roles)
    if (wanted.length === 0) return []
    let defs = await this.definitions(signal)
    const find = (v: string): Definition | undefined => defs.find(d => d.displayName.toLowerCase() === v.toLowerCase() || d.id.toLowerCase() === v.toLowerCase() || d.templateId.toLowerCase() === v.toLowerCase())
    // a role made since the cache was filled: read the definitions once more before refusing
    if (wanted.some(w => find(w.value) === undefined)) defs = await this.definitions(signal, true)
    const unknown = wanted.filter(w => find(w.value) === undefined).map(w => w.value)
    if (unknown.length > 0) throw new ScimError(400, 'invalidValue', `roles: ${unknown.map(v => JSON.stringify(v)).join(', ')} ${unknown.length === 1 ? 'is not a directory role' : 'are not directory roles'} of the tenant (GET /Roles lists them by value)`)
    const out: RoleRef[] = []
    for (const w of wanted) {
      const id = (find(w.value) as Definition).id
      if (!out.some(r => r.id === id && r.kind === w.kind)) out.push({ id, kind: w.kind })
    }
    return out
  }

  /**
   * Makes the user's roles `want`: adminAssign what is missing, adminRemove what is not wanted
   * (`have` = the current roles; [] for a new user). A role assigned or removed meanwhile by someone
   * else is not an error (the outcome is the one asked for).
   */
  async apply (userId: string, want: RoleRef[], have: RoleRef[], signal: AbortSignal): Promise<void> {
    const key = (r: RoleRef): string => `${r.id.toLowerCase()}|${r.kind}`
    const haveKeys = new Set(have.map(key))
    const wantKeys = new Set(want.map(key))
    const items: BatchItem[] = []
    const now = new Date().toISOString()
    for (const r of have.filter(h => !wantKeys.has(key(h)))) {
      items.push({ method: 'POST', url: ENDPOINT[r.kind].requests, body: { action: 'adminRemove', justification: JUSTIFICATION, roleDefinitionId: r.id, directoryScopeId: '/', principalId: userId } })
    }
    for (const r of want.filter(w => !haveKeys.has(key(w)))) {
      items.push({ method: 'POST', url: ENDPOINT[r.kind].requests, body: { action: 'adminAssign', justification: JUSTIFICATION, roleDefinitionId: r.id, directoryScopeId: '/', principalId: userId, scheduleInfo: { startDateTime: now, expiration: { type: 'noExpiration' } } } })
    }
    if (items.length === 0) return
    const res = await this.graph.batch(items, signal)
    res.forEach((r, i) => {
      const item = items[i]
      if (item === undefined || r.status < 300) return
      const code = (r.body as { error?: { code?: unknown } } | undefined)?.error?.code
      const action = (item.body as Obj).action
      if (action === 'adminAssign' && code === 'RoleAssignmentExists') return
      if (action === 'adminRemove' && code === 'RoleAssignmentDoesNotExist') return
      if (r.status === 404) throw new ScimError(404, undefined, `user ${JSON.stringify(userId)} not found (Graph ${item.url}: ${JSON.stringify(r.body)})`)
      Graph.check(r, `POST ${item.url} (${String(action)} ${String((item.body as Obj).roleDefinitionId)})`)
    })
  }

  private async definitions (signal: AbortSignal, fresh = false): Promise<Definition[]> {
    if (!fresh && this.cache !== undefined && Date.now() - this.cache.at < CACHE_MS) return this.cache.defs
    const path = `${DIR}/roleDefinitions`
    const first = await this.graph.call<Obj>('GET', path, { query: { $select: 'id,displayName,description,isBuiltIn,isEnabled,templateId' }, signal })
    let list = listOf(first)
    const next = first['@odata.nextLink']
    if (typeof next === 'string') list = list.concat(await this.graph.list(next, {}, signal))
    const defs = list.filter(d => d.isEnabled !== false && typeof d.id === 'string').map((d): Definition => ({
      id: String(d.id),
      displayName: String(d.displayName ?? d.id),
      templateId: String(d.templateId ?? d.id),
      description: typeof d.description === 'string' ? d.description : '',
      isBuiltIn: d.isBuiltIn === true
    }))
    this.cache = { at: Date.now(), defs }
    return defs
  }
}

/** Direct, tenant-wide instances of one kind (activations of eligible roles are not Permanent roles). */
function instancesToRefs (list: Obj[], kind: RoleKind): RoleRef[] {
  const out: RoleRef[] = []
  for (const i of list) {
    if (typeof i.roleDefinitionId !== 'string') continue
    if ((i.memberType ?? 'Direct') !== 'Direct' || (i.directoryScopeId ?? '/') !== '/') continue
    if (kind === 'Permanent' && (i.assignmentType ?? 'Assigned') !== 'Assigned') continue
    if (!out.some(r => r.id === i.roleDefinitionId)) out.push({ id: i.roleDefinitionId, kind })
  }
  return out
}

/** `{ value, kind }` of each element of a SCIM roles value; a bad type is a 400. */
function roleElements (roles: unknown): Array<{ value: string, kind: RoleKind }> {
  if (roles === undefined || roles === null) return []
  const list = Array.isArray(roles) ? roles : [roles]
  return list.map((el) => {
    const o: Obj = typeof el === 'object' && el !== null ? el as Obj : { value: el }
    const value = typeof o.value === 'string' ? o.value.trim() : ''
    if (value === '') throw new ScimError(400, 'invalidValue', `roles: every role needs a "value" (a role name from GET /Roles); got ${JSON.stringify(el)}`)
    const t = o.type
    if (t === undefined || t === null || t === '') return { value, kind: 'Permanent' as const }
    const kind = KINDS.find(k => typeof t === 'string' && k.toLowerCase() === t.toLowerCase())
    if (kind === undefined) throw new ScimError(400, 'invalidValue', `roles: type ${JSON.stringify(t)} of ${JSON.stringify(value)} is not "Permanent" or "Eligible"`)
    return { value, kind }
  })
}
