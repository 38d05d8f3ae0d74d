// SCIM user ↔ the example SOAP service's User (id, userName, displayName, givenName, familyName,
// email, active — in the WSDL's sequence order, which document/literal serialisation follows).
// Attributes outside this mapping are not stored by the service.
import { isJsonObject, type JsonObject, type ScimResource } from '../../scim/types.ts'

export const USER_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:User'

/** The SOAP User of a SCIM user (the primary, else first, email). */
export function toSoapUser (u: ScimResource, id?: string): JsonObject {
  const name = isJsonObject(u.name) ? u.name : {}
  const emails = Array.isArray(u.emails) ? u.emails.filter(isJsonObject) : []
  const email = (emails.find(e => e.primary === true) ?? emails[0])?.value
  const out: JsonObject = {}
  if (id !== undefined) out.id = id
  out.userName = typeof u.userName === 'string' ? u.userName : ''
  if (typeof u.displayName === 'string') out.displayName = u.displayName
  if (typeof name.givenName === 'string') out.givenName = name.givenName
  if (typeof name.familyName === 'string') out.familyName = name.familyName
  if (typeof email === 'string') out.email = email
  if (typeof u.active === 'boolean') out.active = u.active
  return out
}

/** The SCIM user of a SOAP User as the `soap` client parsed it. */
export function fromSoapUser (s: Record<string, unknown>): ScimResource {
  const str = (v: unknown): string | undefined => typeof v === 'string' ? v : typeof v === 'number' ? String(v) : undefined
  const user: ScimResource = { schemas: [USER_SCHEMA], id: str(s.id) ?? '', userName: str(s.userName) ?? '' }
  const dn = str(s.displayName); if (dn !== undefined) user.displayName = dn
  const gn = str(s.givenName); const fn = str(s.familyName)
  if (gn !== undefined || fn !== undefined) {
    const name: JsonObject = {}
    if (gn !== undefined) name.givenName = gn
    if (fn !== undefined) name.familyName = fn
    user.name = name
  }
  const email = str(s.email); if (email !== undefined) user.emails = [{ value: email, type: 'work', primary: true }]
  if (s.active !== undefined && s.active !== null) user.active = s.active === true || s.active === 'true'
  return user
}

/** `result.user` as a list: the client gives one object, an array or nothing. */
export function userList (result: unknown): Array<Record<string, unknown>> {
  const u = typeof result === 'object' && result !== null ? (result as { user?: unknown }).user : undefined
  const list = Array.isArray(u) ? u : u === undefined || u === null ? [] : [u]
  return list.filter((x): x is Record<string, unknown> => typeof x === 'object' && x !== null)
}
