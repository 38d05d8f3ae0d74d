// SCIM resource → LDAP attribute values for writes: plain mapped attributes, the password
// (unicodePwd on AD: quoted UTF-16LE; anything else as given), and the naming attribute / RDN.
import { InvalidValueError } from '../../scim/errors.ts'
import type { JsonObject, JsonValue } from '../../scim/types.ts'
import { parseScimPath, readScim, type Field, type Mapping } from './mapping.ts'
import { encodeUnicodePwd } from './values.ts'

export type LdapValues = Array<string | Buffer>

/** Desired values of every writable plain field (empty array = the attribute should be absent). */
export function plainValues (m: Mapping, r: JsonObject, fallback: Record<string, string> = {}): Map<string, { field: Field, values: LdapValues }> {
  const out = new Map<string, { field: Field, values: LdapValues }>()
  for (const f of m.fields) {
    if (f.kind !== 'plain' || f.ldap.toLowerCase() === 'dn') continue
    let vals: JsonValue[] = []
    for (const t of f.targets) { vals = readScim(r, t); if (vals.length > 0) break }
    let enc = encode(f, vals)
    const fb = fallback[f.ldap]
    if (enc.length === 0 && fb !== undefined) enc = encode(f, readScim(r, parseScimPath(fb)))
    out.set(f.ldap, { field: f, values: enc })
  }
  return out
}

function encode (f: Field, vals: JsonValue[]): LdapValues {
  const out: LdapValues = []
  for (const v of f.type === 'array' ? vals : vals.slice(0, 1)) {
    if (v === null || typeof v === 'object') continue
    if (f.type === 'binary') { out.push(Buffer.from(String(v), 'base64')); continue }
    if (f.type === 'boolean') { out.push(v === true || String(v).toLowerCase() === 'true' ? 'TRUE' : 'FALSE'); continue }
    if (f.type === 'integer') {
      const n = Number(v)
      if (!Number.isInteger(n)) throw new InvalidValueError(`${f.targets.map(t => t.attr).join(',')}: expected an integer, got ${JSON.stringify(v)}`)
      out.push(String(n))
      continue
    }
    const s = String(v)
    if (s !== '') out.push(s)
  }
  return out
}

/** The password field's value to write, if the resource carries a password. */
export function passwordValue (m: Mapping, r: JsonObject): { attr: string, value: string | Buffer } | undefined {
  const f = m.fields.find(x => x.kind === 'password')
  if (f === undefined) return undefined
  const pw = r.password
  if (typeof pw !== 'string' || pw === '') return undefined
  return { attr: f.ldap, value: f.ldap.toLowerCase() === 'unicodepwd' ? encodeUnicodePwd(pw) : pw }
}

/** The SCIM `active` to write (undefined = not given). */
export function activeValue (r: JsonObject): boolean | undefined {
  const a = r.active
  if (typeof a === 'boolean') return a
  if (a === 'true' || a === 'false') return a === 'true'
  return undefined
}

/** The naming attribute's value for a resource (the first configured one that has a value). */
export function namingValue (naming: Array<{ attribute: string, mapTo: string }>, r: JsonObject, what: string): { attribute: string, value: string } {
  for (const n of naming) {
    const v = readScim(r, parseScimPath(n.mapTo))[0]
    if (v !== undefined && v !== null && typeof v !== 'object' && String(v).trim() !== '') return { attribute: n.attribute, value: String(v) }
  }
  throw new InvalidValueError(`${what}: ${naming.map(n => n.mapTo).join(' or ')} is required (it names the directory entry)`)
}

/** Same values, ignoring order (strings compared exactly, Buffers bytewise). */
export function sameValues (a: LdapValues, b: LdapValues): boolean {
  if (a.length !== b.length) return false
  const key = (v: string | Buffer): string => typeof v === 'string' ? 's' + v : 'b' + v.toString('hex')
  const sa = a.map(key).sort()
  const sb = b.map(key).sort()
  return sa.every((v, i) => v === sb[i])
}
