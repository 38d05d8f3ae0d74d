// plugin-ldap: provisions users and groups into an LDAP directory — OpenLDAP or Active Directory —
// through ldapts, configured like scimgateway's plugin-ldap (endpoint.entity.<baseEntity> with the
// connection and directory layout, endpoint.map.user / map.group mapping LDAP attributes to SCIM).
// Filters are pushed down as LDAP filters, plain listings page with the paged-results control,
// group members change as deltas. The parts live in lib/plugins/ldap/.
import type { Entry } from 'ldapts'
import { ScimError } from '../scim/errors.ts'
import type { FilterNode } from '../scim/filter/ast.ts'
import { ConfigError, type ConfigProblem } from '../config/errors.ts'
import type { GetQuery, GetResult, Logger, Modification, PluginContext, ScimPlugin, ScimResource } from './types.ts'
import { Directory, type Kind } from './ldap/directory.ts'
import { NOTHING, toLdapFilter } from './ldap/filter.ts'
import { compileMapping } from './ldap/mapping.ts'
import { ldapEndpointSchema, resolveLdapOptions, type LdapEntityOptions, type LdapOptions } from './ldap/options.ts'
import { definePlugin } from './sdk/config.ts'
import { EntityHandles } from './sdk/entities.ts'
import type { PluginHealth } from './types.ts'
import { pagedSearch } from './ldap/search.ts'
import { applyMemberDelta, createEntry, deleteEntry, modifyEntry } from './ldap/writes.ts'

export { ldapOptionsFromEndpoint, ldapEndpointSchema, type LdapOptions } from './ldap/options.ts'

/** plugin-ldap: health() is always there (readiness per baseEntity). */
export interface LdapPlugin extends ScimPlugin {
  health (): Promise<PluginHealth>
}

/**
 * For `runGateway(ldapPlugin)`: config/plugin-ldap.json's `endpoint` is validated with
 * {@link ldapEndpointSchema} (problems join the one config report), CA files resolved against the
 * config dir.
 */
export const ldapPlugin = definePlugin({
  name: 'ldap',
  endpoint: ldapEndpointSchema,
  create: (endpoint, env) => createLdapPlugin(resolveLdapOptions(endpoint, env.configDir))
})

/**
 * Creates the LDAP plugin. Nothing connects until the first request (a directory that is down at
 * start makes requests answer 503 until it is back, it does not stop the gateway).
 * @throws ConfigError when the mapping is unusable (e.g. nothing maps to userName).
 * @example
 * const plugin = createLdapPlugin(ldapOptionsFromEndpoint(config.endpoint, configDir))
 */
export function createLdapPlugin (options: LdapOptions): LdapPlugin {
  const problems: ConfigProblem[] = []
  type EntityCfg = LdapEntityOptions & { mappings: ConstructorParameters<typeof Directory> }
  const entities: Record<string, EntityCfg> = {}
  for (const [name, e] of options.entities) {
    const u = compileMapping(options.map.user, 'user', e.ldap.isOpenLdap)
    const g = options.map.group !== undefined ? compileMapping(options.map.group, 'group', e.ldap.isOpenLdap) : undefined
    for (const p of u.problems) problems.push({ path: 'endpoint.map.user', message: p })
    for (const p of g?.problems ?? []) problems.push({ path: 'endpoint.map.group', message: p })
    entities[name] = { ...e, mappings: [e, u.mapping, g?.mapping] }
  }
  if (problems.length > 0) throw new ConfigError(undefined, [...new Map(problems.map(p => [p.path + p.message, p])).values()])
  // one Directory (pool + caches) per baseEntity, opened (bound) by its first request
  const handles = new EntityHandles<EntityCfg, Directory>({
    entities,
    open: async cfg => {
      const d = new Directory(...cfg.mappings)
      try { await d.pool.run('connect', async () => {}) } catch (err) { await d.pool.close(); throw err }
      return d
    },
    close: async d => { await d.pool.close() },
    check: async d => { await d.pool.run('health check', async c => { await c.search('', { scope: 'base', filter: '(objectClass=*)', attributes: ['1.1'] }) }) }
  })

  const dirOf = async (ctx: PluginContext): Promise<Directory> => (await handles.get(ctx)).handle
  const groupsOf = async (ctx: PluginContext): Promise<Directory> => {
    const d = await dirOf(ctx)
    if (d.groups === undefined) throw new ScimError(501, undefined, 'groups are not mapped (endpoint.map.group)')
    return d
  }

  async function get (kind: Kind, d: Directory, q: GetQuery, ctx: PluginContext): Promise<GetResult> {
    const m = d.mapping(kind)
    const membership = wantsMembership(kind, q)
    const filter = q.filter ?? simpleToNode(q)
    const id = filter !== undefined ? idEq(filter) : undefined
    if (id !== undefined) {
      const e = await d.findById(kind, id, ctx.signal)
      return { Resources: e === undefined ? [] : [await d.toScim(kind, e, membership, ctx.signal)] }
    }
    const ldapFilter = filter === undefined
      ? undefined
      : await toLdapFilter(filter, {
        mapping: m,
        idClause: v => d.idClause(kind, v),
        membershipDn: async v => kind === 'user' ? (d.groups !== undefined ? await d.dnOf('group', v, ctx.signal) : undefined) : await d.memberDn(v, ctx.signal)
      })
    if (ldapFilter === NOTHING) return { Resources: [] }
    const spec = { base: d.base(kind), scope: 'sub' as const, filter: d.and(kind, ldapFilter), attributes: m.attributes, binary: m.binary, pageSize: d.opts.pageSize }
    const plainList = filter === undefined && q.sortBy === undefined && q.count !== undefined
    if (plainList) {
      // the directory pages (DNs only, cached for a few seconds); then only the window is read
      const skip = Math.max(1, Math.floor(q.startIndex)) - 1
      const count = Math.max(0, Math.floor(q.count ?? 0))
      let total = 0
      const entries = await d.pool.run(`list ${kind}s`, async c => {
        const dns = await d.listDns(kind, c, spec)
        total = dns.length
        const got = await Promise.all(dns.slice(skip, skip + count).map(async dn => {
          try { return (await pagedSearch(c, { ...spec, base: dn, scope: 'base' }))[0] } catch (err) { if ((err as { code?: unknown }).code === 32) return undefined; throw err }
        }))
        return got.filter((e): e is Entry => e !== undefined)
      }, ctx.signal)
      return { Resources: await Promise.all(entries.map(async e => await d.toScim(kind, e, membership, ctx.signal))), exact: { totalResults: total } }
    }
    const entries = await d.pool.run(`search ${kind}s`, async c => await pagedSearch(c, spec), ctx.signal)
    return { Resources: await Promise.all(entries.map(async e => await d.toScim(kind, e, membership, ctx.signal))) }
  }

  return {
    name: 'ldap',
    capabilities: { filter: 'full', groupMemberDelta: true },

    async start (l: Logger): Promise<void> {
      const log = l.child({ plugin: 'ldap' })
      for (const [name, e] of options.entities) log.info(`baseEntity ${name}: ${e.baseUrls.join(', ')} (${e.ldap.isOpenLdap ? 'OpenLDAP' : 'Active Directory'}), ${e.poolSize} connections`)
      await handles.start(log)
    },

    async stop (): Promise<void> { await handles.stop() },

    async health (): Promise<PluginHealth> { return await handles.health() },

    async getUsers (q: GetQuery, ctx: PluginContext): Promise<GetResult> { return await get('user', await dirOf(ctx), q, ctx) },
    async createUser (u: ScimResource, ctx: PluginContext): Promise<ScimResource> { return await createEntry(await dirOf(ctx), 'user', u, ctx.signal) },
    async modifyUser (id: string, mod: Modification, ctx: PluginContext): Promise<undefined> {
      await modifyEntry(await dirOf(ctx), 'user', id, { ...mod.resource, id }, ctx.signal)
      return undefined
    },
    async deleteUser (id: string, ctx: PluginContext): Promise<void> { await deleteEntry(await dirOf(ctx), 'user', id, ctx.signal) },

    async getGroups (q: GetQuery, ctx: PluginContext): Promise<GetResult> { return await get('group', await groupsOf(ctx), q, ctx) },
    async createGroup (g: ScimResource, ctx: PluginContext): Promise<ScimResource> { return await createEntry(await groupsOf(ctx), 'group', g, ctx.signal) },
    async modifyGroup (id: string, mod: Modification, ctx: PluginContext): Promise<undefined> {
      if (mod.members !== undefined) await applyMemberDelta(await groupsOf(ctx), id, mod.members, ctx.signal)
      else await modifyEntry(await groupsOf(ctx), 'group', id, { ...mod.resource, id }, ctx.signal)
      return undefined
    },
    async deleteGroup (id: string, ctx: PluginContext): Promise<void> { await deleteEntry(await groupsOf(ctx), 'group', id, ctx.signal) }
  }
}

/** Members/groups are resolved (DN → id lookups) only when the response will carry them. */
function wantsMembership (kind: Kind, q: GetQuery): boolean {
  const attr = kind === 'group' ? 'members' : 'groups'
  const has = (list: string[]): boolean => list.some(a => a.toLowerCase() === attr || a.toLowerCase().startsWith(attr + '.'))
  // the gateway re-applies the filter to what we return: a filter on members needs them
  if (new RegExp(`\\b${attr}\\b`, 'i').test(q.rawFilter ?? '') || (q.simple !== undefined && q.simple.attribute.toLowerCase().startsWith(attr))) return true
  if (has(q.excludedAttributes)) return false
  return q.attributes.length === 0 || has(q.attributes)
}

function simpleToNode (q: GetQuery): FilterNode | undefined {
  const s = q.simple
  if (s === undefined) return undefined
  const [attr = '', sub] = s.attribute.split('.')
  const path = sub === undefined ? { attr } : { attr, sub }
  return s.operator === 'pr' ? { type: 'present', path } : { type: 'compare', path, op: s.operator, value: s.value }
}

/** The id of a top-level `id eq "x"` filter. */
function idEq (f: FilterNode): string | undefined {
  if (f.type === 'compare' && f.op === 'eq' && f.path.attr.toLowerCase() === 'id' && f.path.sub === undefined && f.path.uri === undefined) return String(f.value)
  return undefined
}
