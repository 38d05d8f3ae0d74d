// Configuration of the Entra ID collector: the `auth` and `general` keys of an `entra.<tenant>`
// section, read from the loosely typed tenant section into a typed, defaulted, frozen form. Every
// problem is reported with its path, so a bad section lists all its mistakes at once.
//
//   auth:
//     oauth:
//       clients:                                 (one or more app registrations, used round-robin
//         - client_id: <application (client) id>  to spread Graph throttling over them)
//           client_secret: <secret>               (encrypted in place on the first start)
//     (or, one client: tenant_id, client_id, client_secret directly under auth)
//     login_url: https://login.microsoftonline.com   (optional override; tests: the emulator)
//     graph_url: https://graph.microsoft.com         (optional override)
//   general:
//     entra:
//       tenant_id: <directory (tenant) id or domain>
//       include_guest_users: false               (userType Guest / #EXT# users are not collected)
//       skip_upn_startswith: [svc, …]            (users whose UPN starts so are not collected)
//       use_original_group_id: false             (group value = displayName; true: the group id)
//     do_initial_load_filter: (user.… -match …)  (service key: one filtered initial load)
//     select: [id, userPrincipalName, …]        (users/delta $select; `id` is always added)
//     group_membership: direct | transitive | none   (memberOf / transitiveMemberOf; default direct)
//     app_roles: true                            (appRoleAssignments → roles)
//     app_role_resources: [<sp id or appId>, …]  (applications whose assignments are compared every run)
//     max_concurrency: 8                         (per-user membership/role requests at once)
//     request_timeout: 60                        (seconds, per request)
//     max_retries: 4                             (429/503/504, waiting Retry-After)
//     do_initial_load, collect_interval, …       (service keys, see lib/collector/config.ts)
import { isJsonObject, type JsonObject, type JsonValue } from '../../../scim/types.ts'

/** One app registration (`auth.oauth.clients[]`). */
export interface EntraClient {
  readonly client_id: string
  readonly client_secret: string
}

/** `entra.<tenant>.auth` (+ `general.entra.tenant_id`). */
export interface EntraAuthConfig {
  readonly tenant_id: string
  /** Used round-robin, one token cache each. */
  readonly clients: readonly EntraClient[]
  /** Base of the token endpoint, without trailing slash. */
  readonly login_url: string
  /** Base of Microsoft Graph, without trailing slash (the `/v1.0/…` paths are appended). */
  readonly graph_url: string
}

/** How group memberships are read. */
export type GroupMembership = 'direct' | 'transitive' | 'none'

/** `entra.<tenant>.general` (the keys the collector uses). */
export interface EntraGeneralConfig {
  readonly select: readonly string[]
  readonly group_membership: GroupMembership
  readonly app_roles: boolean
  /**
   * Service principals (object ids or appIds) whose `appRoleAssignedTo` is compared on every
   * incremental run, besides those that stored users already have roles of.
   */
  readonly app_role_resources: readonly string[]
  readonly max_concurrency: number
  readonly request_timeout: number
  readonly max_retries: number
  /** Ignore the stored delta link on the first run of this collector (a full read of Graph). */
  readonly do_initial_load: boolean
  /** Upper bound of pages per request chain (a server that links to itself forever is cut off). */
  readonly max_pages: number
  /** `general.entra.include_guest_users`: collect guests (userType Guest) too. */
  readonly include_guest_users: boolean
  /** `general.entra.skip_upn_startswith`: UPN prefixes (case-insensitive) of users not collected. */
  readonly skip_upn_startswith: readonly string[]
  /** `general.entra.use_original_group_id`: group value = Graph id (default: the displayName). */
  readonly use_original_group_id: boolean
}

/** Configuration of the Entra collector. */
export interface EntraCollectorConfig {
  readonly auth: EntraAuthConfig
  readonly general: EntraGeneralConfig
}

/** One configuration problem, with its path below the tenant section (`auth.client_id`). */
export interface EntraConfigProblem {
  path: string
  message: string
}

/** Thrown by {@link parseEntraConfig} with every problem found. */
export class EntraConfigError extends Error {
  readonly problems: readonly EntraConfigProblem[]
  constructor (problems: EntraConfigProblem[]) {
    super(`invalid Entra collector config: ${problems.map(p => `${p.path}: ${p.message}`).join('; ')}`)
    this.name = 'EntraConfigError'
    this.problems = problems
  }
}

/** The keys this reader knows (for the config's unknown-key report): `auth`, `auth.oauth`, `general`, `general.entra`. */
export const ENTRA_AUTH_KEYS: readonly string[] = ['oauth', 'tenant_id', 'client_id', 'client_secret', 'login_url', 'graph_url']
export const ENTRA_GENERAL_KEYS: readonly string[] = ['select', 'group_membership', 'app_roles', 'app_role_resources', 'max_concurrency', 'request_timeout', 'max_retries', 'do_initial_load', 'max_pages', 'entra']
export const ENTRA_OPTION_KEYS: readonly string[] = ['tenant_id', 'include_guest_users', 'skip_upn_startswith', 'use_original_group_id']

export const DEFAULT_LOGIN_URL = 'https://login.microsoftonline.com'
export const DEFAULT_GRAPH_URL = 'https://graph.microsoft.com'
/**
 * Default `$select` of users/delta: every Graph property the documented default mapper reads, except
 * `mailNickname`. That one maps to externalId, and a user's identity key (the service's state, the
 * message's target) is externalId before userName: selecting it by default would re-key every user
 * of a tenant that already published (each one deleted and created again at the subscribers). A
 * tenant that wants the documented mailNickname → externalId lists it in `general.select` — on a new
 * tenant, or knowing that it re-keys. `manager` is a relationship, not a property: users/delta
 * returns it only through `$expand=manager`, so it is not in the list.
 */
export const DEFAULT_SELECT: readonly string[] = Object.freeze([
  'id', 'userPrincipalName', 'givenName', 'surname', 'displayName', 'mail', 'jobTitle', 'department',
  'accountEnabled', 'employeeId', 'mobilePhone', 'businessPhones', 'officeLocation', 'companyName', 'userType',
  // the other properties the documented default Entra mapper reads
  'otherMails', 'preferredLanguage', 'streetAddress', 'state', 'city', 'postalCode', 'country', 'faxNumber',
  'employeeHireDate', 'employeeType', 'employeeOrgData'
])

const PROPERTY = /^[A-Za-z][A-Za-z0-9_]*$/
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

/**
 * Reads and checks `{ auth, general }` of an Entra tenant section (other keys are ignored).
 * @throws EntraConfigError listing every problem with its path
 * @example const cfg = parseEntraConfig(config.entra.contoso)
 */
export function parseEntraConfig (raw: unknown): EntraCollectorConfig {
  const problems: EntraConfigProblem[] = []
  const ok = isJsonObject((raw ?? null) as JsonValue)
  if (!ok) problems.push({ path: '', message: 'must be an object with auth and general' })
  const section = ok ? raw as JsonObject : {}
  const entra = isJsonObject((section.general ?? null) as JsonValue) ? obj((section.general as JsonObject).entra, 'general.entra', problems) : {}
  const auth = readAuth(section.auth, entra, problems)
  const general = readGeneral(section.general, entra, problems)
  if (problems.length > 0) throw new EntraConfigError(problems)
  return Object.freeze({ auth, general })
}

function readAuth (v: JsonValue | undefined, entra: JsonObject, problems: EntraConfigProblem[]): EntraAuthConfig {
  const a = obj(v, 'auth', problems)
  // Documented: general.entra.tenant_id + auth.oauth.clients[]; the one-client flat form is kept too.
  let tenantId: string
  if (entra.tenant_id !== undefined && entra.tenant_id !== null) {
    tenantId = str(entra.tenant_id, 'general.entra.tenant_id', problems)
    if (a.tenant_id !== undefined && a.tenant_id !== null && a.tenant_id !== entra.tenant_id) problems.push({ path: 'auth.tenant_id', message: 'differs from general.entra.tenant_id; keep one' })
  } else tenantId = str(a.tenant_id, a.oauth !== undefined ? 'general.entra.tenant_id' : 'auth.tenant_id', problems)
  const clients: EntraClient[] = []
  if (a.oauth !== undefined && a.oauth !== null) {
    if (a.client_id !== undefined || a.client_secret !== undefined) problems.push({ path: 'auth', message: 'give the clients either in auth.oauth.clients or as auth.client_id/client_secret, not both' })
    const o = obj(a.oauth, 'auth.oauth', problems)
    if (!Array.isArray(o.clients) || o.clients.length === 0) problems.push({ path: 'auth.oauth.clients', message: 'must be a non-empty list of { client_id, client_secret }' })
    else {
      o.clients.forEach((c, i) => {
        const co = obj(c, `auth.oauth.clients[${i}]`, problems)
        clients.push(Object.freeze({ client_id: str(co.client_id, `auth.oauth.clients[${i}].client_id`, problems), client_secret: str(co.client_secret, `auth.oauth.clients[${i}].client_secret`, problems) }))
      })
    }
  } else clients.push(Object.freeze({ client_id: str(a.client_id, 'auth.client_id', problems), client_secret: str(a.client_secret, 'auth.client_secret', problems) }))
  return Object.freeze({
    tenant_id: tenantId,
    clients: Object.freeze(clients),
    login_url: url(a.login_url, 'auth.login_url', DEFAULT_LOGIN_URL, problems),
    graph_url: url(a.graph_url, 'auth.graph_url', DEFAULT_GRAPH_URL, problems)
  })
}

function readGeneral (v: JsonValue | undefined, entra: JsonObject, problems: EntraConfigProblem[]): EntraGeneralConfig {
  const g = obj(v, 'general', problems)
  let select = [...DEFAULT_SELECT]
  if (g.select !== undefined && g.select !== null) {
    const list = typeof g.select === 'string' ? g.select.split(',').map(x => x.trim()).filter(x => x !== '') : g.select
    if (!Array.isArray(list) || list.length === 0) problems.push({ path: 'general.select', message: 'must be a non-empty list of user properties' })
    else {
      select = []
      list.forEach((p, i) => {
        if (typeof p !== 'string' || !PROPERTY.test(p)) problems.push({ path: `general.select[${i}]`, message: 'must be a user property name' })
        else if (p === 'manager') problems.push({ path: `general.select[${i}]`, message: 'manager is a relationship, not a property: it is always read (users/delta $expand=manager) and given to the mapper as manager.{id,userPrincipalName,displayName}' })
        else if (!select.includes(p)) select.push(p)
      })
      if (!select.includes('id')) select.unshift('id')
      if (!select.includes('userType')) select.push('userType') // include_guest_users needs it
    }
  }
  let membership: GroupMembership = 'direct'
  if (g.group_membership !== undefined && g.group_membership !== null) {
    if (g.group_membership === 'direct' || g.group_membership === 'transitive' || g.group_membership === 'none') membership = g.group_membership
    else problems.push({ path: 'general.group_membership', message: 'must be direct, transitive or none' })
  }
  let appRoles = true
  if (g.app_roles !== undefined && g.app_roles !== null) {
    if (typeof g.app_roles === 'boolean') appRoles = g.app_roles
    else problems.push({ path: 'general.app_roles', message: 'must be true or false' })
  }
  const resources: string[] = []
  if (g.app_role_resources !== undefined && g.app_role_resources !== null) {
    const list = typeof g.app_role_resources === 'string' ? g.app_role_resources.split(',').map(x => x.trim()).filter(x => x !== '') : g.app_role_resources
    if (!Array.isArray(list)) problems.push({ path: 'general.app_role_resources', message: 'must be a list of service principal object ids or appIds' })
    else {
      list.forEach((r, i) => {
        if (typeof r !== 'string' || !GUID.test(r.trim())) problems.push({ path: `general.app_role_resources[${i}]`, message: 'must be a service principal object id or appId (a GUID)' })
        else if (!resources.some(x => x.toLowerCase() === r.trim().toLowerCase())) resources.push(r.trim())
      })
    }
  }
  return Object.freeze({
    select: Object.freeze(select),
    group_membership: membership,
    app_roles: appRoles,
    app_role_resources: Object.freeze(resources),
    max_concurrency: num(g.max_concurrency, 'general.max_concurrency', 8, problems, 1, true, 256),
    request_timeout: num(g.request_timeout, 'general.request_timeout', 90, problems, 0.001), // documented default
    max_retries: num(g.max_retries, 'general.max_retries', 4, problems, 0, true, 20),
    do_initial_load: g.do_initial_load === true || g.do_initial_load === 'true',
    max_pages: num(g.max_pages, 'general.max_pages', 100_000, problems, 1, true),
    include_guest_users: bool(entra.include_guest_users, 'general.entra.include_guest_users', false, problems),
    skip_upn_startswith: Object.freeze(prefixes(entra.skip_upn_startswith, problems)),
    use_original_group_id: bool(entra.use_original_group_id, 'general.entra.use_original_group_id', false, problems)
  })
}

function bool (v: JsonValue | undefined, path: string, dflt: boolean, problems: EntraConfigProblem[]): boolean {
  if (v === undefined || v === null) return dflt
  if (typeof v === 'boolean') return v
  if (v === 'true' || v === 'false') return v === 'true'
  problems.push({ path, message: 'must be true or false' })
  return dflt
}

/** A list (or comma-separated string) of non-empty UPN prefixes. */
function prefixes (v: JsonValue | undefined, problems: EntraConfigProblem[]): string[] {
  if (v === undefined || v === null) return []
  const path = 'general.entra.skip_upn_startswith'
  const list = typeof v === 'string' ? v.split(',').map(x => x.trim()).filter(x => x !== '') : v
  if (!Array.isArray(list)) { problems.push({ path, message: 'must be a list of UPN prefixes' }); return [] }
  const out: string[] = []
  list.forEach((p, i) => {
    if (typeof p !== 'string' || p.trim() === '') problems.push({ path: `${path}[${i}]`, message: 'must be a non-empty string' })
    else out.push(p.trim().toLowerCase())
  })
  return out
}

function obj (v: JsonValue | undefined, path: string, problems: EntraConfigProblem[]): JsonObject {
  if (v === undefined || v === null) return {}
  if (isJsonObject(v)) return v
  problems.push({ path, message: 'must be an object' })
  return {}
}

function str (v: JsonValue | undefined, path: string, problems: EntraConfigProblem[]): string {
  if (typeof v === 'string' && v.trim() !== '') return v.trim()
  problems.push({ path, message: v === undefined || v === null ? 'is required' : 'must be a non-empty string' })
  return ''
}

function url (v: JsonValue | undefined, path: string, dflt: string, problems: EntraConfigProblem[]): string {
  if (v === undefined || v === null || v === '') return dflt
  if (typeof v === 'string') {
    try {
      const u = new URL(v)
      if (u.protocol === 'https:' || u.protocol === 'http:') return v.replace(/\/+$/, '')
    } catch {}
  }
  problems.push({ path, message: 'must be an http(s) URL' })
  return dflt
}

function num (v: JsonValue | undefined, path: string, dflt: number, problems: EntraConfigProblem[], min: number, integer = false, max = Number.MAX_SAFE_INTEGER): number {
  if (v === undefined || v === null || v === '') return dflt
  const n = typeof v === 'string' ? Number(v) : v
  if (typeof n !== 'number' || !Number.isFinite(n) || n < min || n > max || (integer && !Number.isInteger(n))) {
    problems.push({ path, message: `must be ${integer ? 'an integer' : 'a number'} from ${min}${max < Number.MAX_SAFE_INTEGER ? ` to ${max}` : ''}` })
    return dflt
  }
  return n
}
