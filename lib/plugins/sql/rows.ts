// Conversion between SCIM resources and table rows: which attributes get their own columns, what
// goes into the JSON `data` column, and how rows read back become resources.
import { InvalidValueError } from '../../scim/errors.ts'
import { isJsonObject, type JsonObject, type JsonValue, type ScimResource } from '../../scim/types.ts'
import type { Row } from './db.ts'
import type { Tables } from './mapping.ts'

export const USER_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:User'
export const GROUP_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:Group'

/** The users-table values of a user (everything but the id and timestamps). */
export interface UserValues {
  userName: string
  userNameKey: string
  externalId: string | null
  displayName: string | null
  displayNameKey: string | null
  givenName: string | null
  familyName: string | null
  active: boolean | null
  data: string
}

export interface EmailValue { value: string | null, valueKey: string | null, type: string | null, primary: boolean | null, data: string | null }
export interface MemberValue { value: string, valueKey: string, display: string | null, data: string | null }

/** JSON of an element's sub-attributes other than `known`, or null when there are none. */
function extras (el: JsonObject, known: string[]): string | null {
  const rest: JsonObject = {}
  for (const [k, v] of Object.entries(el)) if (!known.includes(k) && v !== undefined) rest[k] = v
  return Object.keys(rest).length > 0 ? JSON.stringify(rest) : null
}

const optString = (v: JsonValue | undefined, name: string): string | null => {
  if (v === undefined || v === null) return null
  if (typeof v !== 'string') throw new InvalidValueError(`${name} must be a string`)
  return v
}

/** Splits a user into column values, the JSON rest and its emails. */
export function userValues (user: ScimResource): { values: UserValues, emails: EmailValue[] } {
  const userName = user.userName
  if (typeof userName !== 'string' || userName.trim() === '') throw new InvalidValueError('userName is required')
  const { id: _id, meta: _meta, groups: _groups, emails, userName: _u, externalId, displayName, active, name, ...rest } = user
  let givenName: string | null = null
  let familyName: string | null = null
  if (isJsonObject(name)) {
    const { givenName: gn, familyName: fn, ...otherName } = name
    givenName = optString(gn, 'name.givenName')
    familyName = optString(fn, 'name.familyName')
    if (Object.keys(otherName).length > 0) rest.name = otherName
  } else if (name !== undefined && name !== null) throw new InvalidValueError('name must be an object')
  const dn = optString(displayName, 'displayName')
  return {
    values: {
      userName,
      userNameKey: userName.toLowerCase(),
      externalId: optString(externalId, 'externalId'),
      displayName: dn,
      displayNameKey: dn?.toLowerCase() ?? null,
      givenName,
      familyName,
      active: typeof active === 'boolean' ? active : null,
      data: JSON.stringify(rest)
    },
    emails: emailValues(emails)
  }
}

function emailValues (emails: JsonValue | undefined): EmailValue[] {
  if (emails === undefined || emails === null) return []
  if (!Array.isArray(emails)) throw new InvalidValueError('emails must be an array')
  return emails.map(e => {
    if (!isJsonObject(e)) throw new InvalidValueError('emails elements must be objects')
    const value = optString(e.value, 'emails.value')
    return { value, valueKey: value?.toLowerCase() ?? null, type: optString(e.type, 'emails.type'), primary: typeof e.primary === 'boolean' ? e.primary : null, data: extras(e, ['value', 'type', 'primary']) }
  })
}

/** A group's members, de-duplicated case-insensitively (the first spelling wins). */
export function memberValues (members: JsonValue | undefined): MemberValue[] {
  if (members === undefined || members === null) return []
  if (!Array.isArray(members)) throw new InvalidValueError('members must be an array')
  const seen = new Map<string, MemberValue>()
  for (const m of members) {
    if (!isJsonObject(m) || typeof m.value !== 'string' || m.value === '') throw new InvalidValueError('every member needs a non-empty string value')
    const key = m.value.toLowerCase()
    if (!seen.has(key)) seen.set(key, { value: m.value, valueKey: key, display: optString(m.display, 'members.display'), data: extras(m, ['value', 'display']) })
  }
  return [...seen.values()]
}

/** Splits a group into column values and its JSON rest. */
export function groupValues (group: ScimResource): { displayName: string, displayNameKey: string, externalId: string | null, data: string } {
  const displayName = group.displayName
  if (typeof displayName !== 'string' || displayName.trim() === '') throw new InvalidValueError('displayName is required')
  const { id: _id, meta: _meta, members: _members, displayName: _d, externalId, ...rest } = group
  return { displayName, displayNameKey: displayName.toLowerCase(), externalId: optString(externalId, 'externalId'), data: JSON.stringify(rest) }
}

const str = (v: unknown): string | undefined => typeof v === 'string' ? v : undefined
const bool = (v: unknown): boolean | undefined => v === true || v === 1 ? true : v === false || v === 0 ? false : undefined

function parseData (v: unknown): JsonObject {
  if (typeof v !== 'string') return {}
  try {
    const parsed: unknown = JSON.parse(v)
    return isJsonObject(parsed) ? parsed : {}
  } catch { return {} }
}

/** A user read back: JSON rest + columns + emails + groups derived from membership. */
export function userFromRow (t: Tables, row: Row, emails: Row[], groups: Array<{ value: string, display: string | undefined }>): ScimResource {
  const c = t.users.c
  const data = parseData(row[c.data])
  const user: ScimResource = { schemas: [USER_SCHEMA], ...data, id: String(row[c.id]), userName: String(row[c.userName]) }
  const ext = str(row[c.externalId]); if (ext !== undefined) user.externalId = ext
  const dn = str(row[c.displayName]); if (dn !== undefined) user.displayName = dn
  const gn = str(row[c.givenName]); const fn = str(row[c.familyName])
  if (gn !== undefined || fn !== undefined) {
    const name: JsonObject = isJsonObject(data.name) ? { ...data.name } : {}
    if (gn !== undefined) name.givenName = gn
    if (fn !== undefined) name.familyName = fn
    user.name = name
  }
  const active = bool(row[c.active]); if (active !== undefined) user.active = active
  if (emails.length > 0) {
    const e = t.emails.c
    user.emails = emails.map(r => {
      const out: JsonObject = parseData(r[e.data])
      const v = str(r[e.value]); if (v !== undefined) out.value = v
      const ty = str(r[e.type]); if (ty !== undefined) out.type = ty
      const p = bool(r[e.primary]); if (p !== undefined) out.primary = p
      return out
    })
  }
  user.groups = groups.map(g => g.display !== undefined ? { value: g.value, display: g.display, type: 'direct' } : { value: g.value, type: 'direct' })
  user.meta = { resourceType: 'User', created: String(row[c.created]), lastModified: String(row[c.lastModified]) }
  return user
}

export function groupFromRow (t: Tables, row: Row, members: Row[]): ScimResource {
  const c = t.groups.c; const m = t.members.c
  const group: ScimResource = { schemas: [GROUP_SCHEMA], ...parseData(row[c.data]), id: String(row[c.id]), displayName: String(row[c.displayName]) }
  const ext = str(row[c.externalId]); if (ext !== undefined) group.externalId = ext
  group.members = members.map(r => {
    const out: JsonObject = { ...parseData(r[m.data]), value: String(r[m.value]) }
    const d = str(r[m.display]); if (d !== undefined) out.display = d
    return out
  })
  group.meta = { resourceType: 'Group', created: String(row[c.created]), lastModified: String(row[c.lastModified]) }
  return group
}
