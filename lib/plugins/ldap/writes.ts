// Creating, modifying and deleting users and groups in one baseEntity's directory.
// - The DN is `<namingAttribute>=<escaped value>,<userBase|groupBase>`; when the naming value
//   changes, the entry is renamed (modifyDN) if `allowModifyDN`, otherwise the change is refused.
// - userName/displayName uniqueness: checked under a per-name lock before writing (the directory
//   itself only guarantees unique DNs; AD also refuses a duplicate sAMAccountName).
// - AD: userAccountControl keeps every flag but ACCOUNTDISABLE; unicodePwd is quoted UTF-16LE;
//   mS-DS-ConsistencyGuid as id is generated on create (objectGUID is the server's).
// - Members change by deltas (add/delete values), never by rewriting a large member attribute.
import { randomUUID } from 'node:crypto'
import { Attribute, Change, type Client, type Entry } from 'ldapts'
import { InvalidValueError, MutabilityError, NotFoundError, ScimError, UniquenessError } from '../../scim/errors.ts'
import type { JsonObject, MemberDelta, ScimResource } from '../types.ts'
import { UpstreamError } from '../sdk/errors.ts'
import { childDn, normalizeDn, parentDn, parseDn } from './dn.ts'
import type { Directory, Kind } from './directory.ts'
import { LDAP, ldapCode } from './errors.ts'
import { readScim } from './mapping.ts'
import { pagedSearch, strings, values } from './search.ts'
import { activeValue, namingValue, passwordValue, plainValues, sameValues, type LdapValues } from './to-ldap.ts'
import { escapeFilterValue, guidToBytes, uacWithActive, UAC_ACCOUNTDISABLE, UAC_NORMAL_ACCOUNT } from './values.ts'

const locks = new WeakMap<Directory, Map<string, Promise<unknown>>>()

/** Runs `fn` while holding the lock of `key` in this directory (serialises same-name writes). */
async function withLock<T> (dir: Directory, key: string, fn: () => Promise<T>): Promise<T> {
  let m = locks.get(dir)
  if (m === undefined) { m = new Map(); locks.set(dir, m) }
  const prev = m.get(key) ?? Promise.resolve()
  const run = prev.catch(() => {}).then(fn)
  const tail = run.catch(() => {})
  m.set(key, tail)
  try { return await run } finally { if (m.get(key) === tail) m.delete(key) }
}

const label = (kind: Kind): string => kind === 'user' ? 'userName' : 'displayName'

/** 409 when another entry already has this userName/displayName. */
async function checkUnique (dir: Directory, kind: Kind, value: string, exceptDn: string | undefined, signal?: AbortSignal): Promise<void> {
  const m = dir.mapping(kind)
  const f = m.keyAttrs.map(a => `(${a}=${escapeFilterValue(value)})`).join('')
  const hits = await dir.pool.run(`check ${label(kind)}`, async c => await pagedSearch(c, { base: dir.base(kind), scope: 'sub', filter: dir.and(kind, m.keyAttrs.length > 1 ? `(|${f})` : f), attributes: ['1.1'], pageSize: 2, limit: 2 }), signal)
  if (hits.some(h => exceptDn === undefined || normalizeDn(h.dn) !== normalizeDn(exceptDn))) {
    throw new UniquenessError(`${label(kind)} ${JSON.stringify(value)} already exists`)
  }
}

function keyOf (dir: Directory, kind: Kind, r: JsonObject): string | undefined {
  const v = readScim(r, { attr: label(kind) })[0]
  return typeof v === 'string' && v !== '' ? v : undefined
}

/** Creates a user or group; returns its SCIM form read back from the same connection. */
export async function createEntry (dir: Directory, kind: Kind, r: ScimResource, signal?: AbortSignal): Promise<ScimResource> {
  const m = dir.mapping(kind)
  const l = dir.opts.ldap
  const key = keyOf(dir, kind, r)
  if (key === undefined) throw new InvalidValueError(`${label(kind)} is required`)
  const rdn = namingValue(kind === 'user' ? l.namingAttribute.user : l.namingAttribute.group, r, `create ${kind}`)
  const dn = childDn(rdn.attribute, rdn.value, dir.base(kind))
  const attrs = new Map<string, LdapValues>()
  attrs.set('objectClass', kind === 'user' ? l.userObjectClasses : l.groupObjectClasses)
  for (const [a, { values: v }] of plainValues(m, r, kind === 'user' ? l.userAttributeFallback : {})) if (v.length > 0) attrs.set(a, v)
  const rdnKey = [...attrs.keys()].find(a => a.toLowerCase() === rdn.attribute.toLowerCase()) ?? rdn.attribute
  const rdnVals = attrs.get(rdnKey) ?? []
  if (!rdnVals.some(v => v === rdn.value)) attrs.set(rdnKey, [rdn.value, ...rdnVals.filter(v => typeof v === 'string' && v.toLowerCase() !== rdn.value.toLowerCase())])
  if (m.id.kind === 'guid' && m.id.attr.toLowerCase() !== 'objectguid') attrs.set(m.id.attr, [guidToBytes(randomUUID()) ?? Buffer.alloc(16)])
  if (kind === 'user') {
    const pw = passwordValue(m, r)
    if (pw !== undefined) attrs.set(pw.attr, [pw.value])
    const uac = m.fields.find(f => f.kind === 'active')
    if (uac !== undefined) {
      // AD creates accounts disabled; enabled when asked to be, or when a password comes with it
      const active = activeValue(r) ?? pw !== undefined
      attrs.set(uac.ldap, [String(active ? UAC_NORMAL_ACCOUNT : UAC_NORMAL_ACCOUNT | UAC_ACCOUNTDISABLE)])
    }
  } else if (m.membership !== undefined) {
    const dns = await memberDnsOf(dir, r, signal)
    if (dns.length === 0 && l.emptyGroupMember !== undefined) dns.push(l.emptyGroupMember)
    if (dns.length > 0) attrs.set(m.membership, dns)
  }
  const what = `create ${kind} ${JSON.stringify(key)}`
  return await withLock(dir, `${kind}:${key.toLowerCase()}`, async () => {
    await checkUnique(dir, kind, key, undefined, signal)
    return await dir.pool.run(what, async c => {
      await c.add(dn, [...attrs].map(([type, v]) => new Attribute({ type, values: v as string[] })))
      dir.changed(kind)
      const [e] = await pagedSearch(c, { base: dn, scope: 'base', filter: '(objectClass=*)', attributes: m.attributes, binary: m.binary, pageSize: 1 })
      if (e === undefined) throw new UpstreamError(`LDAP ${what}: the new entry ${dn} cannot be read back`)
      return await dir.toScim(kind, e, true, signal)
    }, signal)
  })
}

/** DNs of a resource's members (each value a user or group id; an unknown one is 400). */
async function memberDnsOf (dir: Directory, r: JsonObject, signal?: AbortSignal): Promise<string[]> {
  const ms = Array.isArray(r.members) ? r.members : []
  const ids = ms.flatMap(x => typeof x === 'object' && x !== null && !Array.isArray(x) && typeof x.value === 'string' ? [x.value] : [])
  return await dnsOfMembers(dir, ids, signal)
}

async function dnsOfMembers (dir: Directory, ids: string[], signal?: AbortSignal): Promise<string[]> {
  const out: string[] = []
  for (let i = 0; i < ids.length; i += 16) {
    const got = await Promise.all(ids.slice(i, i + 16).map(async id => {
      const dn = await dir.memberDn(id, signal)
      if (dn === undefined) throw new InvalidValueError(`member ${JSON.stringify(id)} not found`)
      return dn
    }))
    out.push(...got)
  }
  return out
}

/** Applies a modification (the full target resource) to the entry with this id. */
export async function modifyEntry (dir: Directory, kind: Kind, id: string, target: ScimResource, signal?: AbortSignal): Promise<void> {
  const m = dir.mapping(kind)
  const l = dir.opts.ldap
  const extra = [...m.attributes, ...m.fields.filter(f => f.kind === 'active' || f.kind === 'membership').map(f => f.ldap)]
  const e = await dir.findById(kind, id, signal, [...new Set(extra)])
  if (e === undefined) throw new NotFoundError(`${kind === 'user' ? 'User' : 'Group'} ${JSON.stringify(id)} not found`)
  const what = `modify ${kind} ${JSON.stringify(id)}`
  const changes: Change[] = []
  const rdnNow = parseDn(e.dn)[0]?.[0]
  const rdn = namingValue(kind === 'user' ? l.namingAttribute.user : l.namingAttribute.group, target, what)
  const renamed = rdnNow === undefined || rdnNow.type.toLowerCase() !== rdn.attribute.toLowerCase() || rdnNow.value !== rdn.value
  for (const [attr, { values: want }] of plainValues(m, target, kind === 'user' ? l.userAttributeFallback : {})) {
    if (renamed && attr.toLowerCase() === rdn.attribute.toLowerCase()) continue // modifyDN sets it
    const have: LdapValues = m.binary.includes(attr) ? values(e, attr) : strings(e, attr)
    if (sameValues(have, want)) continue
    if (want.length === 0 && have.length === 0) continue
    changes.push(new Change({ operation: want.length === 0 ? 'delete' : 'replace', modification: new Attribute({ type: attr, values: want as string[] }) }))
  }
  if (kind === 'user') {
    const pw = passwordValue(m, target)
    if (pw !== undefined) changes.push(new Change({ operation: 'replace', modification: new Attribute({ type: pw.attr, values: [pw.value] as string[] }) }))
    const uacField = m.fields.find(f => f.kind === 'active')
    const active = activeValue(target)
    if (uacField !== undefined && active !== undefined) {
      const cur = Number(strings(e, uacField.ldap)[0] ?? UAC_NORMAL_ACCOUNT)
      const next = uacWithActive(Number.isFinite(cur) ? cur : UAC_NORMAL_ACCOUNT, active)
      if (next !== cur) changes.push(new Change({ operation: 'replace', modification: new Attribute({ type: uacField.ldap, values: [String(next)] }) }))
    }
  } else if (m.membership !== undefined && Array.isArray(target.members)) {
    const want = await memberDnsOf(dir, target, signal)
    const have = await dir.pool.run(what, async c => await dir.memberDns(c, e, m.membership ?? 'member'), signal)
    changes.push(...memberChanges(dir, m.membership, have, want))
  }
  const key = keyOf(dir, kind, target)
  const apply = async (): Promise<void> => {
    let dn = e.dn
    if (renamed) {
      if (!l.allowModifyDN) throw new MutabilityError(`${rdn.attribute} names the directory entry and ldap.allowModifyDN is false: it cannot change`)
      const newDn = childDn(rdn.attribute, rdn.value, parentDn(e.dn))
      await dir.pool.run(`${what} (rename)`, async c => { await c.modifyDN(e.dn, newDn) }, signal)
      dir.changed(kind)
      dir.forget(id, e.dn, kind)
      dn = newDn
    }
    if (changes.length > 0) await dir.pool.run(what, async c => { await c.modify(dn, changes) }, signal)
    dir.remember(id, dn, kind)
  }
  if (key === undefined) throw new InvalidValueError(`${label(kind)} is required`)
  const keyNow = m.keyAttrs.map(a => strings(e, a)[0]).find(v => v !== undefined)
  if (keyNow !== undefined && keyNow.toLowerCase() === key.toLowerCase()) { await apply(); return }
  await withLock(dir, `${kind}:${key.toLowerCase()}`, async () => {
    await checkUnique(dir, kind, key, e.dn, signal)
    await apply()
  })
}

/** add/delete changes turning the member DNs `have` into `want` (placeholder kept for empty groups). */
function memberChanges (dir: Directory, attr: string, have: string[], want: string[]): Change[] {
  const ph = dir.opts.ldap.emptyGroupMember
  const target = want.length === 0 && ph !== undefined ? [ph] : want
  const haveN = new Map(have.map(d => [normalizeDn(d), d]))
  const wantN = new Map(target.map(d => [normalizeDn(d), d]))
  const add = [...wantN].filter(([n]) => !haveN.has(n)).map(([, d]) => d)
  const del = [...haveN].filter(([n]) => !wantN.has(n)).map(([, d]) => d)
  const out: Change[] = []
  // add first: groupOfNames must never be left without a member in between
  if (add.length > 0) out.push(new Change({ operation: 'add', modification: new Attribute({ type: attr, values: add }) }))
  if (del.length > 0) out.push(new Change({ operation: 'delete', modification: new Attribute({ type: attr, values: del }) }))
  return out
}

/**
 * A member delta (remove before add) as one LDAP modify. Adding a present member or removing an
 * absent one is a no-op: presence is checked per value with compare operations, and a concurrent
 * change making the modify fail (typeOrValueExists/noSuchAttribute) is retried once.
 */
export async function applyMemberDelta (dir: Directory, id: string, delta: MemberDelta, signal?: AbortSignal): Promise<void> {
  const m = dir.mapping('group')
  const attr = m.membership
  if (attr === undefined) throw new ScimError(501, undefined, 'group members are not mapped (map.group.<attr>.mapTo "members.value")')
  const dn = await dir.dnOf('group', id, signal)
  if (dn === undefined) throw new NotFoundError(`Group ${JSON.stringify(id)} not found`)
  const addIds = delta.add.map(a => String(a.value))
  const addDns = await dnsOfMembers(dir, addIds, signal)
  const removeDns = (await Promise.all(delta.remove.map(async v => await dir.memberDn(v, signal)))).filter((d): d is string => d !== undefined)
  const involved = new Map<string, string>()
  for (const d of [...removeDns, ...addDns]) involved.set(normalizeDn(d), d)
  if (involved.size === 0) return
  const what = `modify group ${JSON.stringify(id)} members`
  for (let attempt = 0; ; attempt++) {
    try {
      await dir.pool.run(what, async c => {
        const present = await presence(c, dn, attr, [...involved.values()])
        const target = new Set([...present].filter(n => !removeDns.some(d => normalizeDn(d) === n)))
        for (const d of addDns) target.add(normalizeDn(d))
        const add = [...involved].filter(([n]) => target.has(n) && !present.has(n)).map(([, d]) => d)
        const del = [...involved].filter(([n]) => !target.has(n) && present.has(n)).map(([, d]) => d)
        const ph = dir.opts.ldap.emptyGroupMember
        const changes: Change[] = []
        if (add.length > 0) changes.push(new Change({ operation: 'add', modification: new Attribute({ type: attr, values: add }) }))
        if (del.length > 0) changes.push(new Change({ operation: 'delete', modification: new Attribute({ type: attr, values: del }) }))
        if (ph !== undefined && add.length > 0) {
          if (await compareMember(c, dn, attr, ph)) changes.push(new Change({ operation: 'delete', modification: new Attribute({ type: attr, values: [ph] }) }))
        }
        if (changes.length === 0) return
        try {
          await c.modify(dn, changes)
        } catch (err) {
          // removing the last member of a groupOfNames: keep the placeholder instead
          if (ph !== undefined && ldapCode(err) === LDAP.objectClassViolation && add.length === 0) {
            await c.modify(dn, [new Change({ operation: 'add', modification: new Attribute({ type: attr, values: [ph] }) }), ...changes])
            return
          }
          throw err
        }
      }, signal)
      return
    } catch (err) {
      const code = ldapCode((err as { cause?: unknown }).cause)
      if (attempt === 0 && (code === LDAP.typeOrValueExists || code === LDAP.noSuchAttribute)) continue
      throw err
    }
  }
}

/** Which of `dns` are values of `attr` on `groupDn` (normalised DNs). */
async function presence (c: Client, groupDn: string, attr: string, dns: string[]): Promise<Set<string>> {
  const out = new Set<string>()
  for (let i = 0; i < dns.length; i += 32) {
    const batch = dns.slice(i, i + 32)
    const r = await Promise.all(batch.map(async d => await compareMember(c, groupDn, attr, d)))
    batch.forEach((d, j) => { if (r[j] === true) out.add(normalizeDn(d)) })
  }
  return out
}

async function compareMember (c: Client, groupDn: string, attr: string, dn: string): Promise<boolean> {
  try { return await c.compare(groupDn, attr, dn) } catch (err) {
    if (ldapCode(err) === LDAP.noSuchAttribute || ldapCode(err) === 18 /* inappropriateMatching */) return false
    throw err
  }
}

/** Deletes the entry with this id (the directory removes it from groups: AD itself, OpenLDAP refint). */
export async function deleteEntry (dir: Directory, kind: Kind, id: string, signal?: AbortSignal): Promise<void> {
  const dn = await dir.dnOf(kind, id, signal)
  if (dn === undefined) throw new NotFoundError(`${kind === 'user' ? 'User' : 'Group'} ${JSON.stringify(id)} not found`)
  await dir.pool.run(`delete ${kind} ${JSON.stringify(id)}`, async c => { await c.del(dn) }, signal)
  dir.changed(kind)
  dir.forget(id, dn, kind)
}

export type { Entry }
