// plugin-entra-id: provisions Microsoft Entra ID through Microsoft Graph v1.0 with the shared REST
// client (Entra auth: client secret, certificate or federated credentials; token cache; retries on
// 429/503 honouring Retry-After), one Graph connection per baseEntity (`endpoint.entity.<baseEntity>`).
// Users (entra-id/users.ts): create with passwordProfile, get, $filter push-down, paging, PATCH,
// disable, delete, manager. Groups and memberships (entra-id/groups.ts): member deltas and reads
// through $batch. `entitlements` = licences (subscribedSkus; a user's licenseDetails), read-only;
// `roles` = with `map.user.roles` the user's Permanent and Eligible PIM directory roles, read and
// written through schedule requests (entra-id/roles.ts; GET /Roles = role definitions), otherwise
// directory roles (directoryRoles; a user's memberOf), read-only. With `map.user.entitlements`
// `entitlements` also hold IGA access packages, read and written (entra-id/access-packages.ts). With federated
// credentials the issuer's discovery document and JWKS are served on /pub/api (entra-id/fedcred.ts).
import { join } from 'node:path'
import { ConfigError } from '../config/errors.ts'
import { GRAPH_URL } from '../helpers/rest/config.ts'
import { RestClient } from '../helpers/rest/client.ts'
import { isRestError } from '../helpers/rest/errors.ts'
import { definePlugin, EntityHandles, type PluginEnv } from './sdk/index.ts'
import type { GetQuery, GetResult, PluginContext, ScimPlugin, ScimResource } from './types.ts'
import { entraEndpointSchema, type EntraEndpoint, type EntraEntity } from './entra-id/config.ts'
import { Graph } from './entra-id/graph.ts'
import { UserMap } from './entra-id/map.ts'
import { Users } from './entra-id/users.ts'
import { Groups } from './entra-id/groups.ts'
import { Roles } from './entra-id/roles.ts'
import { AccessPackages } from './entra-id/access-packages.ts'
import { fedCredDocument, type FedCredIssuer } from './entra-id/fedcred.ts'

export { entraEndpointSchema, type EntraEndpoint } from './entra-id/config.ts'

/** One baseEntity's Graph connection and its user/group operations. */
interface Tenant { graph: Graph, users: Users, groups: Groups, roles: Roles | undefined, packages: AccessPackages | undefined }

/**
 * Makes plugin-entra-id from its validated endpoint config. REST clients are made here (so a missing
 * certificate file is a config error at start); tokens are fetched on first use.
 * @example
 * const plugin = createEntraIdPlugin({ entity: { undefined: { connection: { baseUrls: [], auth: { type: 'oauth', options: { azureTenantId, clientId, clientSecret } } }, pageSize: 999, forceChangePassword: true } } }, env)
 */
export function createEntraIdPlugin (endpoint: EntraEndpoint, env: PluginEnv, opts: { certsDir?: string } = {}): ScimPlugin {
  const certsDir = opts.certsDir ?? join(env.configDir, 'certs')
  const tenants = new Map<string, Tenant>()
  const pim = endpoint.map?.user?.roles !== undefined
  const iga = endpoint.map?.user?.entitlements !== undefined
  const make = (key: string, cfg: EntraEntity): Tenant => {
    const connection = cfg.connection.baseUrls.length > 0 ? cfg.connection : { ...cfg.connection, baseUrls: [GRAPH_URL] }
    const graph = new Graph(new RestClient(connection, { certsDir, log: env.log.child({ baseEntity: key }) }), cfg.pageSize)
    const roles = pim ? new Roles(graph) : undefined
    const packages = iga ? new AccessPackages(graph) : undefined
    return { graph, roles, packages, users: new Users(graph, new UserMap(cfg.userNameDomain), cfg.forceChangePassword, { roles, packages }), groups: new Groups(graph, cfg.pageSize) }
  }
  const problems: Array<{ path: string, message: string }> = []
  for (const [key, cfg] of Object.entries(endpoint.entity)) {
    try {
      tenants.set(key, make(key, cfg))
    } catch (e) {
      if (!isRestError(e) || e.kind !== 'config') throw e
      problems.push({ path: `endpoint.entity.${key}.connection`, message: e.message })
    }
  }
  if (problems.length > 0) {
    for (const t of tenants.values()) void t.graph.client.close()
    throw new ConfigError(undefined, problems)
  }
  const handles = new EntityHandles<EntraEntity, Tenant>({
    entities: endpoint.entity,
    open: async (cfg, key) => {
      let t = tenants.get(key)
      if (t === undefined) { t = make(key, cfg); tenants.set(key, t) }
      return t
    },
    close: async (t, key) => { tenants.delete(key); await t.graph.client.close() },
    // cheapest authenticated read: proves the token and the Directory.Read permission
    check: async (t) => {
      await t.graph.call('GET', '/users', { query: { $top: 1, $select: 'id' } })
      // with PIM role management: the role management read permissions too
      await t.roles?.check()
      if (t.packages !== undefined) await t.packages.list(AbortSignal.timeout(10_000))
    }
  })
  const tenant = async (ctx: PluginContext): Promise<Tenant> => (await handles.get(ctx)).handle

  const skus = async (q: GetQuery, ctx: PluginContext): Promise<GetResult> => {
    const t = await tenant(ctx)
    const list = await t.graph.call<{ value?: unknown }>('GET', '/subscribedSkus', { signal: ctx.signal })
    const value = Array.isArray(list.value) ? list.value as Array<Record<string, unknown>> : []
    const packages = t.packages !== undefined ? await t.packages.list(ctx.signal) : []
    return {
      Resources: [...value.map((s): ScimResource => ({
        id: String(s.skuId),
        displayName: String(s.skuPartNumber ?? s.skuId),
        value: String(s.skuPartNumber ?? s.skuId),
        type: 'license',
        consumedUnits: typeof s.consumedUnits === 'number' ? s.consumedUnits : 0,
        enabledUnits: typeof (s.prepaidUnits as Record<string, unknown> | undefined)?.enabled === 'number' ? (s.prepaidUnits as Record<string, number>).enabled ?? 0 : 0
      })), ...packages]
    }
  }
  const roles = async (q: GetQuery, ctx: PluginContext): Promise<GetResult> => {
    const t = await tenant(ctx)
    if (t.roles !== undefined) return { Resources: await t.roles.list(ctx.signal) }
    const list = await t.graph.list('/directoryRoles', {}, ctx.signal)
    return { Resources: list.map((r): ScimResource => ({ id: String(r.id), displayName: String(r.displayName ?? ''), value: String(r.displayName ?? r.id), type: 'directoryRole' })) }
  }

  // federated credentials: each issuer's discovery document and JWKS are served on /pub/api (fedcred.ts)
  const issuers: FedCredIssuer[] = Object.entries(endpoint.entity).flatMap(([key, cfg]) => {
    const fed = cfg.connection.auth?.options.fedCred
    return fed === undefined ? [] : [{ issuer: fed.issuer, jwks: async () => {
      const t = tenants.get(key) ?? (await handles.get({ baseEntity: key === 'undefined' ? undefined : key })).handle
      return await t.graph.client.jwks()
    } }]
  })

  return {
    name: 'entra-id',
    capabilities: { filter: 'simple', groupMemberDelta: true },
    async start (log) { await handles.start(log) },
    async stop () {
      await handles.stop()
      const left = [...tenants.values()]
      tenants.clear()
      await Promise.all(left.map(async t => { await t.graph.client.close() }))
    },
    async health () { return await handles.health() },

    getUsers: async (q, ctx) => await (await tenant(ctx)).users.get(q, ctx.signal),
    createUser: async (u, ctx) => await (await tenant(ctx)).users.create(u, ctx.signal),
    modifyUser: async (id, mod, ctx) => await (await tenant(ctx)).users.modify(id, mod, ctx.signal),
    deleteUser: async (id, ctx) => { await (await tenant(ctx)).users.delete(id, ctx.signal) },
    getGroups: async (q, ctx) => await (await tenant(ctx)).groups.get(q, ctx.signal),
    createGroup: async (g, ctx) => await (await tenant(ctx)).groups.create(g, ctx.signal),
    modifyGroup: async (id, mod, ctx) => await (await tenant(ctx)).groups.modify(id, mod, ctx.signal),
    deleteGroup: async (id, ctx) => { await (await tenant(ctx)).groups.delete(id, ctx.signal) },
    getEntitlements: skus,
    getRoles: roles,
    ...(issuers.length > 0 ? { publicApi: async (req: { path: string }) => await fedCredDocument(issuers, req.path) } : {})
  }
}

/** plugin-entra-id as `runGateway` starts it from config/plugin-entra-id.json. */
export const entraIdPlugin = definePlugin({
  name: 'entra-id',
  endpoint: entraEndpointSchema,
  create: (endpoint, env) => createEntraIdPlugin(endpoint, env)
})
