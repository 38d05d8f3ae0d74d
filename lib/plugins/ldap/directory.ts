// One baseEntity's directory: its connection pool and mappings, finding entries by SCIM id,
// translating ids ⇄ DNs (cached, since members and memberOf are DNs), and turning entries into SCIM
// resources (memberships as ids). Writes live in writes.ts; the plugin object in plugin-ldap.ts.
import type { Client, Entry } from 'ldapts'
import type { JsonObject, JsonValue, ScimResource } from '../../scim/types.ts'
import { normalizeDn, parseDn, isUnder } from './dn.ts'
import type { Mapping, Field } from './mapping.ts'
import { writeScim } from './mapping.ts'
import type { LdapEntityOptions } from './options.ts'
import { LdapPool } from './pool.ts'
import { first, pagedSearch, rangedValues, strings, values } from './search.ts'
import { bytesToGuid, escapeFilterBytes, escapeFilterValue, guidToBytes, isGuidString, uacIsActive } from './values.ts'
import { NOTHING } from './filter.ts'

export type Kind = 'user' | 'group'

/** Entries of the DN ⇄ id caches expire: another tool may rename or recreate entries. */
const CACHE_TTL_MS = 5 * 60_000
const CACHE_MAX = 200_000
const LISTING_TTL_MS = 10_000
const LISTING_MAX = 200_000

class TtlMap {
  private readonly m = new Map<string, { v: string, at: number }>()
  get (k: string): string | undefined {
    const e = this.m.get(k)
    if (e === undefined) return undefined
    if (Date.now() - e.at > CACHE_TTL_MS) { this.m.delete(k); return undefined }
    return e.v
  }

  set (k: string, v: string): void {
    if (this.m.size >= CACHE_MAX) this.m.clear()
    this.m.set(k, { v, at: Date.now() })
  }

  delete (k: string): void { this.m.delete(k) }
}

export class Directory {
  readonly pool: LdapPool
  private readonly dnById = new TtlMap()
  private readonly idByDn = new TtlMap()
  /** DNs exactly as the server spells them → id: skips parsing/normalising on the hot path. */
  private readonly idByRawDn = new TtlMap()

  constructor (readonly opts: LdapEntityOptions, readonly users: Mapping, readonly groups: Mapping | undefined) {
    this.pool = new LdapPool(opts)
  }

  /**
   * DNs of the last full listing per kind, so a client paging through 10,000 users does not make the
   * directory enumerate them all for every page. Kept 10 s, dropped by this plugin's own writes;
   * SCIM paging promises no snapshot, so other writers' changes show up within that time.
   */
  private readonly listings = new Map<Kind, { dns: string[], at: number }>()

  private readonly scanning = new Map<Kind, Promise<string[]>>()

  async listDns (kind: Kind, c: Client, spec: { base: string, filter: string }): Promise<string[]> {
    const cached = this.listings.get(kind)
    if (cached !== undefined && Date.now() - cached.at < LISTING_TTL_MS) return cached.dns
    // concurrent pages share one enumeration
    let p = this.scanning.get(kind)
    if (p === undefined) {
      p = this.scan(kind, c, spec).finally(() => { this.scanning.delete(kind) })
      this.scanning.set(kind, p)
    }
    return await p
  }

  private async scan (kind: Kind, c: Client, spec: { base: string, filter: string }): Promise<string[]> {
    const dns: string[] = []
    // DNs only, in the largest pages AD allows (MaxPageSize 1000); OpenLDAP takes them too
    await pagedSearch(c, { ...spec, scope: 'sub', attributes: [], pageSize: Math.max(this.opts.pageSize, 1000) }, page => {
      for (const e of page) dns.push(e.dn)
      return true
    })
    if (dns.length <= LISTING_MAX) this.listings.set(kind, { dns, at: Date.now() })
    return dns
  }

  /** Called by every write: the next listing reads the directory again. */
  changed (kind: Kind): void { this.listings.delete(kind); this.scanning.delete(kind) }

  get isAd (): boolean { return !this.opts.ldap.isOpenLdap }
  mapping (kind: Kind): Mapping {
    if (kind === 'user') return this.users
    if (this.groups === undefined) throw new Error('groups are not mapped')
    return this.groups
  }

  base (kind: Kind): string { return kind === 'user' ? this.opts.ldap.userBase : this.opts.ldap.groupBase }

  /** `(&(objectClass=<first class>)<configured filter>)` — what makes an entry a user / a group. */
  classFilter (kind: Kind): string {
    const l = this.opts.ldap
    const oc = kind === 'user' ? l.userObjectClasses[0] : l.groupObjectClasses[0]
    const extra = kind === 'user' ? l.userFilter : l.groupFilter
    const ocf = `(objectClass=${escapeFilterValue(oc ?? '*')})`
    if (extra === undefined || extra.trim() === '') return ocf
    return `(&${ocf}${extra.trim().startsWith('(') ? extra.trim() : `(${extra.trim()})`})`
  }

  and (kind: Kind, filter: string | undefined): string {
    return filter === undefined ? this.classFilter(kind) : `(&${this.classFilter(kind)}${filter})`
  }

  /** The id of an entry (undefined when the entry lacks the id attribute). */
  idOf (kind: Kind, e: Entry): string | undefined {
    const codec = this.mapping(kind).id
    if (codec.kind === 'dn') return e.dn
    const v = values(e, codec.attr)[0]
    if (v === undefined) return undefined
    if (codec.kind === 'guid') return bytesToGuid(typeof v === 'string' ? Buffer.from(v, 'binary') : v)
    return typeof v === 'string' ? v : v.toString('utf8')
  }

  /** Filter clause selecting an id; NOTHING when the value cannot be an id; undefined for DN ids. */
  idClause (kind: Kind, id: string): string | undefined {
    const codec = this.mapping(kind).id
    if (codec.kind === 'dn') return undefined
    if (codec.kind === 'guid') {
      const b = guidToBytes(id)
      return b === undefined ? NOTHING : `(${codec.attr}=${escapeFilterBytes(b)})`
    }
    if (codec.attr.toLowerCase() === 'entryuuid' && !isGuidString(id)) return NOTHING // slapd rejects a malformed UUID assertion
    if (id === '') return NOTHING
    return `(${codec.attr}=${escapeFilterValue(id)})`
  }

  /** The entry with this id, or undefined. `attrs` defaults to the mapped attributes. */
  async findById (kind: Kind, id: string, signal?: AbortSignal, attrs?: string[]): Promise<Entry | undefined> {
    const m = this.mapping(kind)
    const attributes = attrs ?? m.attributes
    if (m.id.kind === 'dn') {
      try { if (parseDn(id).length === 0 || !isUnder(id, this.base(kind))) return undefined } catch { return undefined }
      return await this.pool.run(`read ${kind}`, async c => {
        try {
          return (await pagedSearch(c, { base: id, scope: 'base', filter: this.classFilter(kind), attributes, binary: m.binary, pageSize: 1 }))[0]
        } catch (err) {
          if ((err as { code?: unknown }).code === 32 || (err as { code?: unknown }).code === 34) return undefined
          throw err
        }
      }, signal)
    }
    const clause = this.idClause(kind, id)
    if (clause === NOTHING || clause === undefined) return undefined
    const cachedDn = this.dnById.get(`${kind}:${id.toLowerCase()}`)
    const found = await this.pool.run(`read ${kind}`, async c => {
      if (cachedDn !== undefined) {
        try {
          const [e] = await pagedSearch(c, { base: cachedDn, scope: 'base', filter: this.and(kind, clause), attributes, binary: m.binary, pageSize: 1 })
          if (e !== undefined) return e
        } catch (err) { if ((err as { code?: unknown }).code !== 32) throw err }
        this.dnById.delete(`${kind}:${id.toLowerCase()}`)
      }
      return (await pagedSearch(c, { base: this.base(kind), scope: 'sub', filter: this.and(kind, clause), attributes, binary: m.binary, pageSize: 2, limit: 2 }))[0]
    }, signal)
    if (found !== undefined) this.remember(id, found.dn, kind)
    return found
  }

  remember (id: string, dn: string, kind: Kind): void {
    this.dnById.set(`${kind}:${id.toLowerCase()}`, dn)
    this.idByDn.set(normalizeDn(dn), id)
    this.idByRawDn.set(dn, id)
  }

  forget (id: string, dn: string, kind: Kind): void {
    this.dnById.delete(`${kind}:${id.toLowerCase()}`)
    this.idByDn.delete(normalizeDn(dn))
    this.idByRawDn.delete(dn)
  }

  /** The DN of the user/group with this id (cached), or undefined. */
  async dnOf (kind: Kind, id: string, signal?: AbortSignal): Promise<string | undefined> {
    if (this.mapping(kind).id.kind === 'dn') return (await this.findById(kind, id, signal, ['1.1']))?.dn
    const cached = this.dnById.get(`${kind}:${id.toLowerCase()}`)
    if (cached !== undefined) return cached
    return (await this.findById(kind, id, signal, ['1.1']))?.dn
  }

  /** The DN of a member value: a user id, else a group id. */
  async memberDn (id: string, signal?: AbortSignal): Promise<string | undefined> {
    return await this.dnOf('user', id, signal) ?? (this.groups !== undefined ? await this.dnOf('group', id, signal) : undefined)
  }

  /**
   * Ids of DNs (members, memberOf). Unknown DNs (outside the bases, deleted, the empty-group
   * placeholder) are left out. Misses are looked up with base searches, 16 at a time.
   */
  async idsOf (dns: string[], signal?: AbortSignal): Promise<Map<string, string>> {
    const out = new Map<string, string>()
    const misses: string[] = []
    const placeholder = this.opts.ldap.emptyGroupMember !== undefined ? normalizeDn(this.opts.ldap.emptyGroupMember) : undefined
    for (const dn of dns) {
      const raw = this.idByRawDn.get(dn)
      if (raw !== undefined) { out.set(dn, raw); continue }
      const n = normalizeDn(dn)
      if (n === placeholder) continue
      const id = this.idByDn.get(n)
      if (id !== undefined) out.set(dn, id)
      else misses.push(dn)
    }
    for (let i = 0; i < misses.length; i += 16) {
      const batch = misses.slice(i, i + 16)
      await Promise.all(batch.map(async dn => {
        // users and groups may share a base: try each kind whose base holds the DN
        const kinds: Kind[] = []
        if (isUnder(dn, this.opts.ldap.userBase)) kinds.push('user')
        if (this.groups !== undefined && isUnder(dn, this.opts.ldap.groupBase)) kinds.push('group')
        for (const kind of kinds) {
          const m = this.mapping(kind)
          const e = await this.pool.run('resolve member', async c => {
            try {
              return (await pagedSearch(c, { base: dn, scope: 'base', filter: this.classFilter(kind), attributes: [m.id.kind === 'dn' ? '1.1' : m.id.attr], binary: m.binary, pageSize: 1 }))[0]
            } catch (err) { if ((err as { code?: unknown }).code === 32) return undefined; throw err }
          }, signal)
          const id = e !== undefined ? this.idOf(kind, e) : undefined
          if (id !== undefined) { out.set(dn, id); this.remember(id, e?.dn ?? dn, kind); return }
        }
      }))
    }
    return out
  }

  /** All values of the group's member attribute, following range retrieval. */
  async memberDns (c: Client, e: Entry, attr: string): Promise<string[]> {
    return await rangedValues(c, e.dn, attr, e)
  }

  /**
   * The SCIM resource of an entry. `withMembership` false skips resolving members/groups
   * (excludedAttributes=members, large groups listed without their members).
   */
  async toScim (kind: Kind, e: Entry, withMembership: boolean, signal?: AbortSignal): Promise<ScimResource> {
    const m = this.mapping(kind)
    const id = this.idOf(kind, e)
    const r: ScimResource = {}
    if (id !== undefined) { r.id = id; this.remember(id, e.dn, kind) }
    const created = generalizedTime(first(e, 'createTimestamp'))
    const modified = generalizedTime(first(e, 'modifyTimestamp'))
    if (created !== undefined || modified !== undefined) {
      r.meta = {}
      if (created !== undefined) r.meta.created = created
      if (modified !== undefined) r.meta.lastModified = modified
    }
    for (const f of m.fields) {
      if (f.kind === 'id' || f.kind === 'password') continue
      if (f.kind === 'membership') {
        if (!withMembership) continue
        const dns = kind === 'group' ? await this.pool.run('read members', async c => await this.memberDns(c, e, f.ldap), signal) : strings(e, f.ldap)
        const ids = await this.idsOf(dns, signal)
        const list: JsonValue[] = [...new Set(ids.values())].map(v => ({ value: v }))
        if (list.length > 0) r[f.targets[0]?.attr ?? (kind === 'group' ? 'members' : 'groups')] = list
        continue
      }
      const vals = fieldValues(f, e)
      if (vals.length === 0) continue
      for (const t of f.targets) writeScim(r, t, vals, f.type === 'array')
    }
    return r
  }
}

/** LDAP GeneralizedTime (`20261203121500Z`, `20261203121500.0Z`) → ISO 8601. */
export function generalizedTime (v: string | undefined): string | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(?:[.,](\d+))?Z$/.exec(v ?? '')
  if (m === null) return undefined
  const [, y, mo, d, h, mi, se, frac] = m
  return `${y}-${mo}-${d}T${h}:${mi}:${se}${frac !== undefined ? '.' + frac.slice(0, 3).padEnd(3, '0') : ''}Z`
}

/** SCIM values of one mapped attribute of an entry. */
function fieldValues (f: Field, e: Entry): JsonValue[] {
  if (f.ldap.toLowerCase() === 'dn') return [e.dn]
  if (f.kind === 'active') {
    const v = first(e, f.ldap)
    return v === undefined ? [] : [uacIsActive(Number(v))]
  }
  if (f.type === 'binary') return values(e, f.ldap).map(v => (typeof v === 'string' ? Buffer.from(v, 'binary') : v).toString('base64'))
  const s = strings(e, f.ldap)
  if (f.type === 'integer') return s.map(Number).filter(n => Number.isFinite(n))
  if (f.type === 'boolean') return s.map(v => v.toUpperCase() === 'TRUE')
  return f.type === 'array' ? s : s.slice(0, 1)
}

export type { JsonObject }
