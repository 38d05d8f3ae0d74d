// Users of plugin-entra-id: get by id (with groups, roles, licences and manager read in ONE $batch),
// filter push-down ($filter on userPrincipalName / employeeId / displayName, eq and startswith), full
// lists through Graph paging, create (POST with passwordProfile), PATCH, disable (active →
// accountEnabled), delete, manager (PUT / DELETE users/{id}/manager/$ref). `roles`: with
// map.user.roles the user's PIM roles, read and written through roles.ts; without it the directory
// roles of memberOf, read-only. `entitlements`: licences (read-only), with map.user.entitlements also
// access packages, read and written through access-packages.ts.
import { ScimError } from '../../scim/errors.ts'
import type { GetQuery, GetResult, JsonObject, Modification, ScimResource } from '../types.ts'
import { Graph, listOf, odataFilter, type BatchItem } from './graph.ts'
import type { Roles } from './roles.ts'
import { AccessPackages, licenceValues, LICENSE_TYPE, type HeldPackage } from './access-packages.ts'
import { ENTERPRISE, USER_SELECT, UserMap } from './map.ts'

type Obj = Record<string, unknown>
/** SCIM user attribute → Graph property for $filter push-down. */
const FILTERABLE: Record<string, string> = { username: 'userPrincipalName', externalid: 'employeeId', displayname: 'displayName' }
/** Attributes that cost extra Graph reads per user (memberOf, licenseDetails, manager). */
const EXTRA = ['groups', 'roles', 'entitlements', `${ENTERPRISE}:manager`.toLowerCase(), 'manager']

export const enc = (id: string): string => encodeURIComponent(id)
/** An id that cannot name a Graph object (empty, blank): nothing to ask Graph about. */
export const blankId = (id: string): boolean => id.trim() === ''

export class Users {
  private readonly roles: Roles | undefined
  private readonly packages: AccessPackages | undefined

  /**
   * `extras.roles`: PIM role management (map.user.roles; without it directory roles of memberOf,
   * read-only); `extras.packages`: access packages in entitlements (map.user.entitlements).
   */
  constructor (private readonly graph: Graph, private readonly map: UserMap, private readonly forceChange: boolean, extras: { roles?: Roles | undefined, packages?: AccessPackages | undefined } = {}) {
    this.roles = extras.roles
    this.packages = extras.packages
  }

  async get (q: GetQuery, signal: AbortSignal): Promise<GetResult> {
    const s = q.simple
    const attr = s?.attribute.toLowerCase()
    if (s !== undefined && attr === 'id' && s.operator === 'eq') {
      if (blankId(s.value)) return { Resources: [] }
      const u = await this.graph.find(`/users/${enc(s.value)}`, USER_SELECT, signal)
      // Graph also finds a user by its userPrincipalName at /users/{upn}: only an id match counts
      if (u === undefined || String(u.id).toLowerCase() !== s.value.toLowerCase()) return { Resources: [] }
      return { Resources: await this.withExtras([u], signal) }
    }
    const prop = attr !== undefined ? FILTERABLE[attr] : undefined
    const value = prop === 'userPrincipalName' && s !== undefined ? this.map.upn(s.value) : s?.value
    const filter = prop !== undefined && s !== undefined && value !== undefined ? odataFilter(prop, s.operator, s.operator === 'sw' && prop === 'userPrincipalName' ? s.value : value) : undefined
    const users = await this.graph.list('/users', { $select: USER_SELECT, ...(filter !== undefined ? { $filter: filter } : {}) }, signal)
    const wantExtras = filter !== undefined && s?.operator === 'eq' ? users.length <= 20 : q.attributes.some(a => EXTRA.includes(a.toLowerCase()))
    return { Resources: wantExtras ? await this.withExtras(users, signal) : users.map(u => this.map.toScim(u)) }
  }

  /**
   * SCIM users with groups, roles, entitlements (licences) and manager: 3 reads per user (+2 with PIM
   * roles: active and eligible instances; +1 with access packages), 20 per $batch.
   */
  private async withExtras (users: Obj[], signal: AbortSignal): Promise<ScimResource[]> {
    const pim = this.roles
    const pkgs = this.packages
    const atPkgs = pim !== undefined ? 5 : 3
    const n = atPkgs + (pkgs !== undefined ? 1 : 0)
    const items: BatchItem[] = users.flatMap(u => [
      { method: 'GET' as const, url: `/users/${enc(String(u.id))}/memberOf?$select=id,displayName` },
      { method: 'GET' as const, url: `/users/${enc(String(u.id))}/licenseDetails` },
      { method: 'GET' as const, url: `/users/${enc(String(u.id))}/manager?$select=id,displayName` },
      ...(pim !== undefined ? pim.batchItems(String(u.id)) : []),
      ...(pkgs !== undefined ? [pkgs.batchItem(String(u.id))] : [])
    ])
    const res = await this.graph.batch(items, signal)
    return await Promise.all(users.map(async (u, i) => {
      const scim = this.map.toScim(u)
      const [memberOf, lic, mgr] = [res[i * n], res[i * n + 1], res[i * n + 2]]
      if (memberOf !== undefined) Graph.check(memberOf, `GET /users/${String(u.id)}/memberOf`)
      let entries = listOf(memberOf?.body)
      // a user in more groups than one page holds: the rest through paging
      const next = (memberOf?.body as Obj | undefined)?.['@odata.nextLink']
      if (typeof next === 'string') entries = entries.concat(await this.graph.list(next, {}, signal))
      scim.groups = entries.filter(e => e['@odata.type'] === '#microsoft.graph.group').map(e => ({ value: String(e.id), display: String(e.displayName ?? ''), type: 'direct' }))
      if (pim !== undefined) {
        const roles = await pim.fromBatch(String(u.id), [res[i * n + 3], res[i * n + 4]], signal)
        if (roles.length > 0) scim.roles = roles
      } else {
        const roles = entries.filter(e => e['@odata.type'] === '#microsoft.graph.directoryRole')
        if (roles.length > 0) scim.roles = roles.map(e => ({ value: String(e.displayName ?? e.id), display: String(e.displayName ?? ''), type: 'directoryRole' }))
      }
      const ents: JsonObject[] = lic !== undefined && lic.status < 300 ? licences(lic.body) : []
      if (pkgs !== undefined) ents.push(...AccessPackages.toScim(await pkgs.fromBatch(String(u.id), res[i * n + atPkgs], signal)))
      if (ents.length > 0) scim.entitlements = ents
      if (mgr !== undefined && mgr.status < 300 && typeof (mgr.body as Obj | undefined)?.id === 'string') {
        const m = mgr.body as Obj
        const ent = (scim[ENTERPRISE] ?? {}) as JsonObject
        ent.manager = { value: String(m.id), displayName: String(m.displayName ?? '') }
        scim[ENTERPRISE] = ent
        const schemas = scim.schemas as string[]
        if (!schemas.includes(ENTERPRISE)) scim.schemas = [...schemas, ENTERPRISE]
      }
      return scim
    }))
  }

  async create (r: ScimResource, signal: AbortSignal): Promise<ScimResource> {
    if (typeof r.userName !== 'string' || r.userName === '') throw new ScimError(400, 'invalidValue', 'userName is required (it becomes the userPrincipalName)')
    readOnly(r, this.roles !== undefined, this.packages !== undefined)
    // roles and access packages are resolved before the user is made: an unknown one leaves nothing behind
    const roles = this.roles !== undefined ? await this.roles.resolve(r.roles, signal) : []
    const packages = this.packages !== undefined ? await this.packages.resolve(r.entitlements, signal) : []
    const created = await this.graph.call('POST', '/users', { body: this.map.toGraph(r, true, this.forceChange), signal }).catch(uniqueness(r.userName))
    const id = String(created.id)
    const manager = managerOf(r)
    try {
      if (manager !== undefined) await this.setManager(id, manager, signal)
      if (this.roles !== undefined && roles.length > 0) await this.roles.apply(id, roles, [], signal)
      if (this.packages !== undefined && packages.length > 0) await this.packages.apply(id, packages, [], signal)
    } catch (e) {
      // all or nothing: a client retrying the POST must not meet a half-made user (409)
      await this.graph.call('DELETE', `/users/${enc(id)}`, { signal }).catch(() => undefined)
      throw e
    }
    const out = this.map.toScim(created)
    if (this.roles !== undefined && roles.length > 0) out.roles = await this.roles.toScim(roles, signal)
    if (packages.length > 0) out.entitlements = AccessPackages.toScim(packages.map(p => ({ name: p.displayName })))
    if (manager !== undefined) out[ENTERPRISE] = { ...(out[ENTERPRISE] as JsonObject | undefined), manager: { value: manager } }
    return out
  }

  async modify (id: string, mod: Modification, signal: AbortSignal): Promise<undefined> {
    if (blankId(id)) throw new ScimError(404, undefined, `user ${JSON.stringify(id)} not found`)
    let rolesTouched = false
    let entsTouched = false
    for (const op of mod.operations) {
      const path = (op.path ?? '').toLowerCase()
      if (path.startsWith('entitlements') || path === '') {
        if (this.packages === undefined && path !== '') throw new ScimError(400, 'mutability', `${op.path ?? ''}: ${READ_ONLY.entitlements}`)
        entsTouched = true
      }
      if (path.startsWith('roles') || path === '') {
        if (this.roles === undefined && path !== '') throw new ScimError(400, 'mutability', `${op.path ?? ''}: ${READ_ONLY.roles}`)
        rolesTouched = true
      }
    }
    // resolved and checked first: an unknown role or package, or a licence change, changes nothing
    const wantRoles = rolesTouched && this.roles !== undefined ? await this.roles.resolve(mod.resource.roles, signal) : undefined
    const packages = entsTouched ? this.packages : undefined
    const wantPackages = packages !== undefined ? await packages.resolve(mod.resource.entitlements, signal) : undefined
    const havePackages = packages !== undefined ? await this.currentEntitlements(id, mod.resource.entitlements, packages, signal) : undefined
    const body = onlyTouched(this.map.toGraph(mod.resource, false, this.forceChange), mod)
    // a change of only the manager (or of nothing Graph stores) needs no PATCH; the user must exist though
    if (Object.keys(body).length > 0) await this.graph.call('PATCH', `/users/${enc(id)}`, { body, signal }).catch(uniqueness(mod.resource.userName))
    else if (await this.graph.find(`/users/${enc(id)}`, 'id', signal) === undefined) throw new ScimError(404, undefined, `user ${JSON.stringify(id)} not found`)
    if (mod.operations.some(op => (op.path ?? '').toLowerCase().includes('manager'))) {
      const m = managerOf(mod.resource)
      if (m !== undefined) await this.setManager(id, m, signal)
      else await this.graph.call('DELETE', `/users/${enc(id)}/manager/$ref`, { signal }).catch((e: unknown) => { if (!(e instanceof ScimError && e.status === 404)) throw e })
    }
    if (wantRoles !== undefined && this.roles !== undefined) await this.roles.apply(id, wantRoles, await this.roles.current(id, signal), signal)
    if (packages !== undefined && wantPackages !== undefined && havePackages !== undefined) await packages.apply(id, wantPackages, havePackages, signal)
    return undefined
  }

  /**
   * The user's held access packages, read with its licences in one $batch; the licences the new
   * entitlements list must be the ones the user has (they are read-only): otherwise 400 mutability.
   */
  private async currentEntitlements (id: string, want: unknown, packages: AccessPackages, signal: AbortSignal): Promise<HeldPackage[]> {
    const [lic, held] = await this.graph.batch([{ method: 'GET', url: `/users/${enc(id)}/licenseDetails` }, packages.batchItem(id)], signal)
    if (lic !== undefined) Graph.check(lic, `GET /users/${id}/licenseDetails`)
    const have = licences(lic?.body).map(l => String(l.value).toLowerCase()).sort()
    const asked = licenceValues(want)
    if (have.join('\n') !== asked.join('\n')) throw new ScimError(400, 'mutability', `entitlements: ${READ_ONLY.licences}`)
    return await packages.fromBatch(id, held, signal)
  }

  async delete (id: string, signal: AbortSignal): Promise<void> {
    if (blankId(id)) throw new ScimError(404, undefined, `user ${JSON.stringify(id)} not found`)
    await this.graph.call('DELETE', `/users/${enc(id)}`, { signal })
  }

  private async setManager (id: string, manager: string, signal: AbortSignal): Promise<void> {
    try {
      await this.graph.call('PUT', `/users/${enc(id)}/manager/$ref`, { body: { '@odata.id': `https://graph.microsoft.com/v1.0/users/${enc(manager)}` }, signal })
    } catch (e) {
      // the user exists (we just wrote it): a 404 is the manager's
      if (e instanceof ScimError && e.status === 404) throw new ScimError(400, 'invalidValue', `manager ${JSON.stringify(manager)} is not a user in the directory`, { cause: e })
      throw e
    }
  }
}

/** Graph properties each SCIM attribute writes (lower-case SCIM names; enterprise ones by their own name). */
const GRAPH_KEYS: Record<string, string[]> = {
  username: ['userPrincipalName'], externalid: ['employeeId'], name: ['givenName', 'surname'], displayname: ['displayName'],
  active: ['accountEnabled'], password: ['passwordProfile'], emails: ['mail'], phonenumbers: ['mobilePhone', 'businessPhones'],
  title: ['jobTitle'], preferredlanguage: ['preferredLanguage'], department: ['department'], organization: ['companyName'],
  [ENTERPRISE.toLowerCase()]: ['department', 'companyName']
}

/**
 * The part of a whole-state Graph body the modification touches, so a PATCH never clears what the
 * client did not change (Graph refuses writes to some properties, e.g. mail of a mailbox user).
 * Without paths (a PUT, or a PATCH replacing the whole resource) the whole body goes out.
 */
function onlyTouched (body: Record<string, unknown>, mod: Modification): Record<string, unknown> {
  if (mod.operations.length === 0 || mod.operations.some(op => op.path === undefined || op.path === '')) return body
  const keys = new Set<string>()
  for (const op of mod.operations) {
    let p = (op.path ?? '').toLowerCase()
    const ent = ENTERPRISE.toLowerCase()
    if (p.startsWith(`${ent}:`)) p = p.slice(ent.length + 1)
    const top = p.split(/[.[]/)[0] ?? ''
    for (const k of GRAPH_KEYS[top] ?? []) keys.add(k)
  }
  return Object.fromEntries(Object.entries(body).filter(([k]) => keys.has(k)))
}

/** A 409 of Graph's "userPrincipalName already exists", naming the userName the client sent. */
function uniqueness (userName: unknown): (e: unknown) => never {
  return (e) => {
    if (e instanceof ScimError && e.status === 409) throw new ScimError(409, 'uniqueness', `userName ${JSON.stringify(userName)} is already in use (${e.detail ?? ''})`, { cause: e })
    throw e
  }
}

function managerOf (r: ScimResource): string | undefined {
  const ent = r[ENTERPRISE]
  const m = typeof ent === 'object' && ent !== null && !Array.isArray(ent) ? (ent as Obj).manager : undefined
  const v = typeof m === 'object' && m !== null ? (m as Obj).value : m
  return typeof v === 'string' && v !== '' ? v : undefined
}

const READ_ONLY = {
  roles: 'directory roles are read-only through this plugin (PIM role management needs endpoint.map.user.roles and the RoleManagement / RoleEligibilitySchedule permissions)',
  entitlements: 'licences are read-only through this plugin (access package management needs endpoint.map.user.entitlements and EntitlementManagement.ReadWrite.All)',
  licences: `licences (type "${LICENSE_TYPE}") are read-only through this plugin; only access packages can be added or removed`
}

/**
 * Refuses what a new user cannot get from this configuration: roles without PIM role management,
 * entitlements without access package management, and licences always.
 */
function readOnly (r: ScimResource, rolesWritable: boolean, packagesWritable: boolean): void {
  if (!rolesWritable && Array.isArray(r.roles) && r.roles.length > 0) throw new ScimError(400, 'mutability', `roles: ${READ_ONLY.roles}`)
  if (!Array.isArray(r.entitlements) || r.entitlements.length === 0) return
  if (!packagesWritable) throw new ScimError(400, 'mutability', `entitlements: ${READ_ONLY.entitlements}`)
  if (licenceValues(r.entitlements).length > 0) throw new ScimError(400, 'mutability', `entitlements: ${READ_ONLY.licences}`)
}

/** SCIM entitlements of a licenseDetails body. */
function licences (body: unknown): JsonObject[] {
  return listOf(body).map(e => ({ value: String(e.skuPartNumber ?? e.skuId), display: String(e.skuPartNumber ?? ''), type: LICENSE_TYPE }))
}

