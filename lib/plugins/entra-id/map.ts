// SCIM ⇄ Graph attribute mapping of plugin-entra-id. Users: userName ⇄ userPrincipalName (with the
// optional userNameDomain), externalId ⇄ employeeId, active ⇄ accountEnabled, name ⇄ givenName/
// surname, emails work ⇄ mail, phoneNumbers work/mobile ⇄ businessPhones/mobilePhone, title ⇄
// jobTitle, the enterprise extension's department/employeeNumber/costCenter… ⇄ Graph's properties;
// password → passwordProfile; mailNickname derived from the userName (Graph requires it).
// Groups: displayName, description; members are ids (read separately, written as $ref).
import { randomBytes } from 'node:crypto'
import type { JsonObject, ScimResource } from '../types.ts'

export const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User'
type Obj = Record<string, unknown>

/** Graph user properties read for a SCIM user ($select). */
export const USER_SELECT = ['id', 'userPrincipalName', 'displayName', 'givenName', 'surname', 'accountEnabled', 'mail', 'employeeId', 'jobTitle', 'department', 'companyName', 'officeLocation', 'mobilePhone', 'businessPhones', 'preferredLanguage', 'usageLocation', 'userType', 'createdDateTime'].join(',')
export const GROUP_SELECT = ['id', 'displayName', 'description', 'createdDateTime'].join(',')

export class UserMap {
  constructor (private readonly domain: string | undefined) {}

  /** userName → userPrincipalName (a bare name gets the configured domain). */
  upn (userName: string): string {
    return this.domain !== undefined && !userName.includes('@') ? `${userName}@${this.domain}` : userName
  }

  userName (upn: string): string {
    const suffix = this.domain !== undefined ? `@${this.domain}`.toLowerCase() : undefined
    return suffix !== undefined && upn.toLowerCase().endsWith(suffix) ? upn.slice(0, -suffix.length) : upn
  }

  toScim (g: Obj): ScimResource {
    const out: ScimResource = { schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], id: str(g.id) ?? '' }
    const upn = str(g.userPrincipalName)
    if (upn !== undefined) out.userName = this.userName(upn)
    set(out, 'externalId', g.employeeId)
    set(out, 'displayName', g.displayName)
    if (typeof g.accountEnabled === 'boolean') out.active = g.accountEnabled
    const name: JsonObject = {}
    set(name, 'givenName', g.givenName)
    set(name, 'familyName', g.surname)
    if (Object.keys(name).length > 0) out.name = name
    const mail = str(g.mail)
    if (mail !== undefined) out.emails = [{ value: mail, type: 'work', primary: true }]
    const phones: JsonObject[] = []
    const bp = Array.isArray(g.businessPhones) ? g.businessPhones.filter((p): p is string => typeof p === 'string') : []
    if (bp[0] !== undefined) phones.push({ value: bp[0], type: 'work' })
    const mob = str(g.mobilePhone)
    if (mob !== undefined) phones.push({ value: mob, type: 'mobile' })
    if (phones.length > 0) out.phoneNumbers = phones
    set(out, 'title', g.jobTitle)
    set(out, 'preferredLanguage', g.preferredLanguage)
    set(out, 'userType', g.userType)
    const ent: JsonObject = {}
    set(ent, 'department', g.department)
    set(ent, 'organization', g.companyName)
    if (Object.keys(ent).length > 0) {
      out[ENTERPRISE] = ent
      out.schemas = [...(out.schemas as string[]), ENTERPRISE]
    }
    const created = str(g.createdDateTime)
    out.meta = { resourceType: 'User', ...(created !== undefined ? { created } : {}) }
    return out
  }

  /**
   * The Graph body of a SCIM user. `create`: adds what Graph requires (accountEnabled, displayName,
   * mailNickname, passwordProfile with a generated password when none is given); otherwise every
   * SCIM attribute that is absent is cleared (null), as the gateway hands the whole new state.
   */
  toGraph (r: ScimResource, create: boolean, forceChange: boolean): Obj {
    const g: Obj = {}
    const userName = str(r.userName)
    if (userName !== undefined) g.userPrincipalName = this.upn(userName)
    const name = obj(r.name)
    const ent = obj(r[ENTERPRISE])
    const put = (k: string, v: unknown): void => { g[k] = v === undefined || v === '' ? (create ? undefined : null) : v }
    put('employeeId', str(r.externalId))
    put('givenName', str(name?.givenName))
    put('surname', str(name?.familyName))
    put('jobTitle', str(r.title))
    put('preferredLanguage', str(r.preferredLanguage))
    put('department', str(ent?.department))
    put('companyName', str(ent?.organization))
    put('mail', pickTyped(r.emails, 'work'))
    put('mobilePhone', pickTyped(r.phoneNumbers, 'mobile', false))
    const work = pickTyped(r.phoneNumbers, 'work', false)
    g.businessPhones = work !== undefined ? [work] : create ? undefined : []
    const display = str(r.displayName) ?? ([str(name?.givenName), str(name?.familyName)].filter(x => x !== undefined).join(' ') || userName)
    if (display !== undefined) g.displayName = display
    if (typeof r.active === 'boolean') g.accountEnabled = r.active
    const password = str(r.password)
    if (create) {
      g.accountEnabled ??= true
      g.mailNickname = mailNickname(userName ?? display ?? 'user')
      g.passwordProfile = { password: password ?? generatePassword(), forceChangePasswordNextSignIn: forceChange }
    } else if (password !== undefined) {
      g.passwordProfile = { password, forceChangePasswordNextSignIn: forceChange }
    }
    for (const k of Object.keys(g)) if (g[k] === undefined) delete g[k]
    return g
  }
}

export function groupToScim (g: Obj, members: JsonObject[] | undefined): ScimResource {
  const out: ScimResource = { schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], id: str(g.id) ?? '', displayName: str(g.displayName) ?? '' }
  const d = str(g.description)
  if (d !== undefined) out.description = d
  if (members !== undefined) out.members = members
  const created = str(g.createdDateTime)
  out.meta = { resourceType: 'Group', ...(created !== undefined ? { created } : {}) }
  return out
}

/** Graph body of a new group: a security group (not mail-enabled), as SCIM groups are. */
export function groupToGraph (r: ScimResource, create: boolean): Obj {
  const g: Obj = {}
  const name = str(r.displayName)
  if (name !== undefined) g.displayName = name
  const d = str(r.description)
  if (d !== undefined) g.description = d
  else if (!create) g.description = null
  if (create) Object.assign(g, { mailEnabled: false, securityEnabled: true, mailNickname: mailNickname(name ?? 'group') })
  return g
}

/** Graph's mailNickname: ASCII letters, digits and . - _ only, at most 64 characters. */
export function mailNickname (s: string): string {
  const local = s.split('@')[0] ?? s
  const n = local.normalize('NFKD').replace(/[^A-Za-z0-9._-]/g, '').slice(0, 64)
  return n !== '' ? n : `u${randomBytes(6).toString('hex')}`
}

/** A password meeting Graph's complexity rule (upper, lower, digit, symbol; 16 characters). */
export function generatePassword (): string {
  return `Aa1!${randomBytes(12).toString('base64url')}`
}

function str (v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined
}
function obj (v: unknown): Obj | undefined {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? v as Obj : undefined
}
function set (o: JsonObject, k: string, v: unknown): void {
  if (typeof v === 'string' && v !== '') o[k] = v
}
/** The value of the element of `type` (or the primary/first one when `anyFallback`). */
function pickTyped (v: unknown, type: string, anyFallback = true): string | undefined {
  if (!Array.isArray(v)) return undefined
  const els = v.map(obj).filter((x): x is Obj => x !== undefined)
  const hit = els.find(e => e.type === type) ?? (anyFallback ? els.find(e => e.primary === true) ?? els[0] : undefined)
  return str(hit?.value)
}

