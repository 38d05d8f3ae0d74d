// scimgateway's attribute map (`map.user` / `map.group`: `<ldapAttribute>: { mapTo, type }`) compiled
// into fields that convert LDAP entries to SCIM resources and back. mapTo paths use scimgateway's
// forms: `userName`, `name.givenName`, `emails.work.value` (typed element of a multi-valued
// attribute), `emails.value` (all elements), `groups.value` / `members.value` (memberships, DNs on the
// LDAP side), extension attributes as `<schema URN>:<attr>`; several targets comma-separated.
// The id, `active` (userAccountControl on AD) and the password (unicodePwd on AD) get special codecs.
import { isJsonObject, type JsonObject, type JsonValue } from '../../scim/types.ts'
import type { MapEntry } from './options.ts'

const MULTI = new Set(['emails', 'phonenumbers', 'ims', 'photos', 'addresses', 'entitlements', 'roles', 'x509certificates'])

/** A SCIM attribute path: optional schema URN, attribute, optional type (multi-valued) and sub-attribute. */
export interface ScimPath { uri?: string, attr: string, type?: string, sub?: string }

export type FieldKind = 'id' | 'membership' | 'active' | 'password' | 'plain'

export interface Field {
  ldap: string
  type: MapEntry['type']
  targets: ScimPath[]
  kind: FieldKind
}

/** How the id is stored: the entry's DN, a string attribute, or a binary GUID (AD byte order). */
export type IdCodec = { kind: 'dn' } | { kind: 'string', attr: string } | { kind: 'guid', attr: string }

export interface Mapping {
  fields: Field[]
  id: IdCodec
  /** LDAP attributes holding the userName (users) / displayName (groups), for uniqueness and lookups. */
  keyAttrs: string[]
  /** The membership attribute (memberOf on users, member on groups), if mapped. */
  membership?: string
  /** Attributes to request in searches. */
  attributes: string[]
  /** Binary attributes (returned as Buffers). */
  binary: string[]
}

export const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User'

export function parseScimPath (raw: string): ScimPath {
  let uri: string | undefined
  let rest = raw.trim()
  if (rest.toLowerCase().startsWith('urn:')) {
    const i = rest.lastIndexOf(':')
    uri = rest.slice(0, i)
    rest = rest.slice(i + 1)
  }
  const parts = rest.split('.')
  const attr = parts[0] ?? ''
  const p: ScimPath = uri !== undefined ? { uri, attr } : { attr }
  if (MULTI.has(attr.toLowerCase()) && parts.length === 3) { p.type = parts[1]; p.sub = parts[2] } else if (parts.length >= 2) p.sub = parts.slice(1).join('.')
  return p
}

const GUID_ATTRS = new Set(['objectguid', 'ms-ds-consistencyguid'])

/** Compiles one `map.user` / `map.group` section. `keyScim` is userName (users) or displayName (groups). */
export function compileMapping (map: Record<string, MapEntry>, kind: 'user' | 'group', isOpenLdap: boolean): { mapping: Mapping, problems: string[] } {
  const problems: string[] = []
  const fields: Field[] = []
  let id: IdCodec | undefined
  let membership: string | undefined
  const keyScim = kind === 'user' ? 'username' : 'displayname'
  const keyAttrs: string[] = []
  for (const [ldap, entry] of Object.entries(map)) {
    const targets = entry.mapTo.split(',').map(s => parseScimPath(s)).filter(t => t.attr !== '')
    const names = targets.map(t => `${t.attr}${t.sub !== undefined ? '.' + t.sub : ''}`.toLowerCase())
    let fk: FieldKind = 'plain'
    if (names.includes('id')) {
      if (targets.length > 1) problems.push(`${ldap}: the id mapping must have one target`)
      fk = 'id'
      const l = ldap.toLowerCase()
      id = l === 'dn' ? { kind: 'dn' } : GUID_ATTRS.has(l) || entry.type === 'binary' ? { kind: 'guid', attr: ldap } : { kind: 'string', attr: ldap }
    } else if (names.includes(kind === 'user' ? 'groups.value' : 'members.value')) {
      fk = 'membership'
      membership = ldap
    } else if (names.includes('active') && ldap.toLowerCase() === 'useraccountcontrol') fk = 'active'
    else if (names.includes('password')) fk = 'password'
    if (names.includes(keyScim)) keyAttrs.push(ldap)
    fields.push({ ldap, type: entry.type, targets, kind: fk })
  }
  if (id === undefined) {
    // OpenLDAP's entryUUID / AD's objectGUID: stable across renames, unlike the DN
    id = isOpenLdap ? { kind: 'string', attr: 'entryUUID' } : { kind: 'guid', attr: 'objectGUID' }
  }
  if (keyAttrs.length === 0) problems.push(`no attribute maps to ${kind === 'user' ? 'userName' : 'displayName'}`)
  const attributes = new Set<string>()
  const binary = new Set<string>()
  for (const f of fields) if (f.ldap.toLowerCase() !== 'dn' && f.kind !== 'password') attributes.add(f.ldap)
  // operational, on OpenLDAP and AD alike: become meta.created / meta.lastModified
  attributes.add('createTimestamp')
  attributes.add('modifyTimestamp')
  if (id.kind !== 'dn') attributes.add(id.attr)
  if (id.kind === 'guid') binary.add(id.attr)
  for (const f of fields) if (f.type === 'binary') binary.add(f.ldap)
  const mapping: Mapping = { fields, id, keyAttrs, attributes: [...attributes], binary: [...binary] }
  if (membership !== undefined) mapping.membership = membership
  return { mapping, problems }
}

/** The value at a SCIM path of a resource, as strings (several for multi-valued attributes). */
export function readScim (r: JsonObject, p: ScimPath): JsonValue[] {
  const container = p.uri !== undefined ? r[p.uri] ?? r[Object.keys(r).find(k => k.toLowerCase() === p.uri?.toLowerCase()) ?? ''] : r
  if (!isJsonObject(container)) return []
  const v = getCi(container, p.attr)
  if (v === undefined || v === null) return []
  if (Array.isArray(v)) {
    const els = p.type !== undefined ? v.filter(e => isJsonObject(e) && String(e.type ?? '').toLowerCase() === p.type?.toLowerCase()) : v
    return els.flatMap(e => {
      if (p.sub === undefined) return isJsonObject(e) ? [] : [e]
      const s = isJsonObject(e) ? getCi(e, p.sub) : undefined
      return s === undefined || s === null || isJsonObject(s) || Array.isArray(s) ? [] : [s]
    })
  }
  if (p.sub !== undefined) {
    if (!isJsonObject(v)) return []
    const s = getCi(v, p.sub)
    return s === undefined || s === null ? [] : Array.isArray(s) ? s : [s]
  }
  return isJsonObject(v) ? [] : [v]
}

/** Sets values at a SCIM path (creating objects / typed elements as needed). */
export function writeScim (r: JsonObject, p: ScimPath, values: JsonValue[], multi: boolean): void {
  if (values.length === 0) return
  let container: JsonObject = r
  if (p.uri !== undefined) {
    const ext = r[p.uri]
    container = isJsonObject(ext) ? ext : (r[p.uri] = {})
  }
  if (MULTI.has(p.attr.toLowerCase()) || (multi && p.sub !== undefined)) {
    const list = Array.isArray(container[p.attr]) ? container[p.attr] as JsonValue[] : (container[p.attr] = [])
    if (p.type !== undefined) {
      if (multi) { // every value its own element of that type (mail → several work emails)
        for (const v of values) list.push({ type: p.type, [p.sub ?? 'value']: v })
        return
      }
      let el = list.find(e => isJsonObject(e) && e.type === p.type)
      if (!isJsonObject(el)) { el = { type: p.type }; list.push(el) }
      ;(el)[p.sub ?? 'value'] = values[0] ?? null
      return
    }
    for (const v of values) list.push(p.sub !== undefined ? { [p.sub]: v } : v)
    return
  }
  if (p.sub !== undefined) {
    const obj = isJsonObject(container[p.attr]) ? container[p.attr] as JsonObject : (container[p.attr] = {})
    obj[p.sub] = multi ? values : values[0] ?? null
    return
  }
  container[p.attr] = multi ? values : values[0] ?? null
}

function getCi (o: JsonObject, key: string): JsonValue | undefined {
  if (key in o) return o[key]
  const k = Object.keys(o).find(x => x.toLowerCase() === key.toLowerCase())
  return k === undefined ? undefined : o[k]
}

/** The LDAP attributes a SCIM filter path (`emails.value`, `name.givenName`, `userName`) refers to. */
export function ldapAttrsFor (mapping: Mapping, attr: string, sub: string | undefined, uri?: string): Field[] {
  const a = attr.toLowerCase()
  const s = sub?.toLowerCase()
  return mapping.fields.filter(f => f.targets.some(t =>
    t.attr.toLowerCase() === a &&
    (uri === undefined || t.uri?.toLowerCase() === uri.toLowerCase()) &&
    (t.sub?.toLowerCase() === s || (s === 'value' && t.sub === undefined) || (s === undefined && t.sub?.toLowerCase() === 'value' && MULTI.has(a)))))
}
