// plugin-generic: forwards SCIM to any SCIM 1.1 or 2.0 server through the REST client
// (lib/helpers/rest), one connection per baseEntity (`endpoint.entity.<baseEntity>`). The default
// config targets a second gateway running plugin-loki. Because the gateway core speaks the client's
// version at the edge and the target's version is per entity (`scimVersion`), it is also a SCIM
// version gateway: 1.1 clients → 2.0 target and 2.0 clients → 1.1 target.
// Filtering, sorting and paging are done by the target (the whole filter is forwarded; answers are
// `exact`); group member changes go out as one member-delta PATCH. With `endpoint.map` the target's
// own names and values are translated by the endpointMapper (generic/mapped.ts).
import { join } from 'node:path'
import { filterToString } from '../scim/filter/serialize.ts'
import type { FilterNode } from '../scim/filter/ast.ts'
import { ConfigError } from '../config/errors.ts'
import { RestClient } from '../helpers/rest/client.ts'
import { isRestError } from '../helpers/rest/errors.ts'
import type { SamlAssertionProvider } from '../helpers/rest/auth/types.ts'
import { definePlugin, EntityHandles, type PluginEnv } from './sdk/index.ts'
import type { GetQuery, GetResult, Modification, PluginContext, ScimPlugin, ScimResource } from './types.ts'
import { genericEndpointSchema, type GenericEndpoint, type GenericEntity } from './generic/config.ts'
import { ScimTarget, type Kind, type TargetQuery } from './generic/target.ts'
import { MappedKind } from './generic/mapped.ts'
import { EndpointMapper, mapperSchemas } from '../helpers/endpoint-mapper/index.ts'

export { genericEndpointSchema, type GenericEndpoint } from './generic/config.ts'

export interface GenericPluginOptions {
  /** Relative TLS/key file names resolve here (default `<configDir>/certs`). */
  certsDir?: string
  /** SAML assertion maker for connections with auth.type oauthSamlBearer. */
  samlAssertion?: SamlAssertionProvider
}

/**
 * Makes plugin-generic from its validated endpoint config. REST clients are made here (files such as
 * TLS keys are read now, so a missing one is a config error at start); connections open lazily.
 * @example
 * const plugin = createGenericPlugin({ entity: { undefined: { scimVersion: '2.0', connection: { baseUrls: ['http://localhost:8880'], … } } } }, { configDir, log })
 */
export function createGenericPlugin (endpoint: GenericEndpoint, env: PluginEnv, opts: GenericPluginOptions = {}): ScimPlugin {
  const certsDir = opts.certsDir ?? join(env.configDir, 'certs')
  // clients are made here so a missing TLS/key file is a config error at start; stop() closes them
  // and a later start() (open) makes new ones
  const targets = new Map<string, ScimTarget>()
  const make = (key: string, cfg: GenericEntity): ScimTarget => new ScimTarget(new RestClient(cfg.connection, { certsDir, log: env.log.child({ baseEntity: key }), ...(opts.samlAssertion !== undefined ? { samlAssertion: opts.samlAssertion } : {}) }), cfg.scimVersion)
  const problems: Array<{ path: string, message: string }> = []
  for (const [key, cfg] of Object.entries(endpoint.entity)) {
    try {
      targets.set(key, make(key, cfg))
    } catch (e) {
      if (!isRestError(e) || e.kind !== 'config') throw e
      problems.push({ path: `endpoint.entity.${key}.connection`, message: e.message })
    }
  }
  if (problems.length > 0) {
    for (const t of targets.values()) void t.client.close()
    throw new ConfigError(undefined, problems)
  }
  const handles = new EntityHandles<GenericEntity, ScimTarget>({
    entities: endpoint.entity,
    open: async (cfg, key) => {
      let t = targets.get(key)
      if (t === undefined) { t = make(key, cfg); targets.set(key, t) }
      return t
    },
    close: async (t, key) => { targets.delete(key); await t.client.close() },
    check: async (t) => { await t.check() }
  })
  const target = async (ctx: PluginContext): Promise<ScimTarget> => (await handles.get(ctx)).handle
  const mapper = endpoint.map !== undefined ? new EndpointMapper(endpoint.map) : undefined
  const mapped: Record<Kind, MappedKind | undefined> = {
    Users: mapper?.has('user') === true ? new MappedKind(mapper, 'Users') : undefined,
    Groups: mapper?.has('group') === true ? new MappedKind(mapper, 'Groups') : undefined
  }
  const auth = (ctx: PluginContext): string | undefined => ctx.passThrough?.authorization

  const get = async (kind: Kind, query: GetQuery, ctx: PluginContext): Promise<GetResult> => {
    const t = await target(ctx)
    const m = mapped[kind]
    if (m !== undefined) return await m.get(t, query, ctx.signal, auth(ctx))
    const s = query.simple
    const onlyId = s !== undefined && s.attribute.toLowerCase() === 'id' && s.operator === 'eq' && (query.filter === undefined || isIdEq(query.filter))
    if (onlyId) {
      const r = await t.get(kind, s.value, ctx.signal, auth(ctx))
      return { Resources: r !== undefined ? [r] : [], exact: { totalResults: r !== undefined ? 1 : 0 } }
    }
    const q: TargetQuery = { startIndex: query.startIndex }
    const filter = query.filter !== undefined ? filterToString(query.filter) : query.rawFilter ?? (s !== undefined ? simpleToString(s) : undefined)
    if (filter !== undefined) q.filter = filter
    if (query.count !== undefined) q.count = query.count
    if (query.sortBy !== undefined) { q.sortBy = query.sortBy; q.sortOrder = query.sortOrder ?? 'ascending' }
    const { resources, total } = await t.list(kind, q, ctx.signal, auth(ctx))
    return { Resources: resources, exact: { totalResults: total } }
  }

  const create = async (kind: Kind, r: ScimResource, ctx: PluginContext): Promise<ScimResource> => {
    const t = await target(ctx)
    const m = mapped[kind]
    return m !== undefined ? await m.create(t, r, ctx.signal, auth(ctx)) : await t.create(kind, r, ctx.signal, auth(ctx))
  }
  const modify = async (kind: Kind, id: string, mod: Modification, ctx: PluginContext): Promise<ScimResource | undefined> => {
    const t = await target(ctx)
    const m = mapped[kind]
    return m !== undefined ? await m.modify(t, id, mod, ctx.signal, auth(ctx)) : await t.modify(kind, id, mod, ctx.signal, auth(ctx))
  }

  return {
    name: 'generic',
    capabilities: { filter: 'full', groupMemberDelta: true, passThrough: true },
    async start (log) { await handles.start(log) },
    async stop () {
      await handles.stop()
      // clients of entities never opened
      const left = [...targets.values()]
      targets.clear()
      await Promise.all(left.map(async t => { await t.client.close() }))
    },
    async health () { return await handles.health() },
    ...(mapper !== undefined ? { schemas: () => mapperSchemas(mapper) } : {}),

    getUsers: async (q, ctx) => await get('Users', q, ctx),
    getGroups: async (q, ctx) => await get('Groups', q, ctx),
    createUser: async (u, ctx) => await create('Users', u, ctx),
    createGroup: async (g, ctx) => await create('Groups', g, ctx),
    modifyUser: async (id, mod, ctx) => await modify('Users', id, mod, ctx),
    async modifyGroup (id: string, mod: Modification, ctx: PluginContext): Promise<ScimResource | undefined> {
      // member values are ids, which a map does not rename: the delta goes out as it is
      if (mod.members !== undefined) return await (await target(ctx)).patchMembers(id, mod.members, ctx.signal, auth(ctx))
      return await modify('Groups', id, mod, ctx)
    },
    deleteUser: async (id, ctx) => { await (await target(ctx)).delete('Users', id, ctx.signal, auth(ctx)) },
    deleteGroup: async (id, ctx) => { await (await target(ctx)).delete('Groups', id, ctx.signal, auth(ctx)) }
  }
}

/** plugin-generic as `runGateway` starts it from config/plugin-generic.json. */
export const genericPlugin = definePlugin({
  name: 'generic',
  endpoint: genericEndpointSchema,
  create: (endpoint, env) => createGenericPlugin(endpoint, env)
})

function isIdEq (f: FilterNode): boolean {
  return f.type === 'compare' && f.op === 'eq' && f.path.attr.toLowerCase() === 'id' && f.path.sub === undefined
}

function simpleToString (s: { attribute: string, operator: string, value: string }): string {
  return s.operator === 'pr' ? `${s.attribute} pr` : `${s.attribute} ${s.operator} ${JSON.stringify(s.value)}`
}
