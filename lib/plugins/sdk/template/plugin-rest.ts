// The REST plugin template (docs/plugins.md walks through it): a complete plugin for a JSON REST
// backend whose users/groups have their own shape, built only from the SDK — the endpoint config
// schema, one REST client per baseEntity (lib/helpers/rest, kept by EntityHandles), the
// endpointMapper, typed upstream errors. It passes the plugin contract suite
// (test/plugins/rest-template.test.ts). Copy it, rename it, and change the paths for your backend;
// auth, token cache, retries, failover, proxy and TLS come from the entity's `connection`.
import { join } from 'node:path'
import { NotFoundError, UniquenessError } from '../../../scim/errors.ts'
import { EndpointMapper, mapSchema, mapperSchemas } from '../../../helpers/endpoint-mapper/index.ts'
import { connectionSchema, RestClient, type RestRequest } from '../../../helpers/rest/index.ts'
import type { GetQuery, GetResult, JsonObject, JsonValue, Modification, PluginContext, ScimPlugin, ScimResource } from '../../types.ts'
import { definePlugin, endpointSchema, s, type PluginEnv } from '../config.ts'
import { EntityHandles } from '../entities.ts'
import { toUpstreamError } from '../errors.ts'

/** `endpoint` of config/plugin-rest.json: the map, and per baseEntity where its backend is. */
export const restEndpointSchema = endpointSchema({
  top: { map: mapSchema.describe('endpoint attribute → SCIM attribute (scimgateway shape)') },
  entity: {
    connection: connectionSchema.describe('the backend: baseUrls (failover), auth, options {headers, tls, abortTimeout}, proxy, retry (lib/helpers/rest)'),
    apiKey: s.string({ minLength: 1 }).optional().describe('sent as X-Api-Key (encrypted at rest)')
  },
  requireEntity: true
})

export type RestEndpoint = s.Infer<typeof restEndpointSchema>
type Entity = RestEndpoint['entity'][string]

/** One backend client per baseEntity: its REST client (connection pool, auth) and extra headers. */
interface Client { rest: RestClient, headers: Record<string, string> }

/** Backend collections and their key, per SCIM kind. */
const COLL = { user: { path: 'users', key: 'uid' }, group: { path: 'groups', key: 'gid' } } as const
type Kind = keyof typeof COLL

export function createRestPlugin (endpoint: RestEndpoint, env?: PluginEnv): ScimPlugin {
  const mapper = new EndpointMapper(endpoint.map)
  const certsDir = env !== undefined ? join(env.configDir, 'certs') : undefined
  const clients = new EntityHandles<Entity, Client>({
    entities: endpoint.entity,
    // lazy: a tenant whose backend is down does not stop the others
    open: async (cfg, key, log): Promise<Client> => ({
      rest: new RestClient(cfg.connection, { log: log.child({ baseEntity: key }), ...(certsDir !== undefined ? { certsDir } : {}) }),
      headers: cfg.apiKey !== undefined ? { 'x-api-key': cfg.apiKey } : {}
    }),
    close: async (c) => { await c.rest.close() },
    check: async (c) => { await call(c, 'GET', '/health', undefined, AbortSignal.timeout(5000)) }
  })

  /**
   * One backend request through the entity's REST client (auth, retries of 429/503, failover);
   * failures become typed errors (backend 404 → 404, 5xx/network → 502/503/504).
   */
  async function call (c: Client, method: RestRequest['method'], path: string, body: JsonValue | undefined, signal: AbortSignal): Promise<JsonValue | undefined> {
    try {
      const res = await c.rest.request<JsonValue | undefined>({ method, path, headers: c.headers, signal, ...(body !== undefined ? { body } : {}) })
      return res.body
    } catch (err) {
      throw toUpstreamError(err, `${method} ${path}`) ?? err
    }
  }

  async function items (ctx: PluginContext, kind: Kind, query: Record<string, string> = {}): Promise<JsonObject[]> {
    const { handle } = await clients.get(ctx)
    const qs = new URLSearchParams(query).toString()
    const r = await call(handle, 'GET', `/${COLL[kind].path}${qs === '' ? '' : `?${qs}`}`, undefined, ctx.signal)
    const list = isObject(r) ? r.items : undefined
    return Array.isArray(list) ? list.filter(isObject) : []
  }

  /** The backend rows a query selects: `query.simple` pushed down exactly when the map allows it. */
  async function find (ctx: PluginContext, kind: Kind, query: GetQuery): Promise<JsonObject[]> {
    const f = query.simple
    if (f === undefined) return await items(ctx, kind)
    const ef = mapper.endpointFilter(kind, f)
    if (ef.kind === 'none') return []
    if (ef.kind === 'filter' && ef.operator === 'eq') {
      if (ef.attribute === COLL[kind].key) {
        if (ef.value.trim() === '') return []
        const { handle } = await clients.get(ctx)
        try {
          const one = await call(handle, 'GET', `/${COLL[kind].path}/${encodeURIComponent(ef.value)}`, undefined, ctx.signal)
          return isObject(one) ? [one] : []
        } catch (err) {
          if (err instanceof NotFoundError || (err instanceof Error && 'status' in err && err.status === 404)) return []
          throw err
        }
      }
      return await items(ctx, kind, { [ef.attribute]: ef.value })
    }
    // other operators: a superset; the gateway applies the filter to what we return
    return await items(ctx, kind)
  }

  /** SCIM users, each with `groups` derived from the groups' members (one extra request per call). */
  async function usersOf (ctx: PluginContext, rows: JsonObject[]): Promise<ScimResource[]> {
    if (rows.length === 0) return []
    const groups = (await items(ctx, 'group')).flatMap(g => { const r = mapper.toScim('group', g); return r === undefined ? [] : [r] })
    return rows.flatMap(row => {
      const u = mapper.toScim('user', row)
      if (u === undefined) return []
      const mine = groups.filter(g => Array.isArray(g.members) && g.members.some(m => isObject(m) && m.value === u.id))
      if (mine.length > 0) u.groups = mine.map(g => ({ value: g.id ?? '', display: g.displayName ?? '', type: 'direct' }))
      return [u]
    })
  }

  function conflict (kind: Kind, r: ScimResource) {
    return (err: unknown): never => {
      if (err instanceof Error && 'status' in err && err.status === 409) {
        throw kind === 'user' ? new UniquenessError(`userName ${JSON.stringify(r.userName)} already exists`) : new UniquenessError(`group ${JSON.stringify(r.displayName)} already exists`)
      }
      throw err
    }
  }

  async function write (ctx: PluginContext, kind: Kind, method: 'POST' | 'PUT', id: string | undefined, r: ScimResource): Promise<ScimResource> {
    if (id !== undefined && id.trim() === '') throw new NotFoundError(`${kind} with an empty id not found`)
    const { handle } = await clients.get(ctx)
    const body = mapper.toEndpoint(kind, r) // 400 for a value its valueMap does not allow
    delete body[COLL[kind].key]
    const path = `/${COLL[kind].path}${id !== undefined ? `/${encodeURIComponent(id)}` : ''}`
    const saved = await call(handle, method, path, body, ctx.signal).catch((err: unknown) => {
      if (err instanceof Error && 'status' in err && err.status === 404) throw new NotFoundError(`${kind} ${JSON.stringify(id)} not found`)
      return conflict(kind, r)(err)
    })
    const out = isObject(saved) ? mapper.toScim(kind, saved) : undefined
    return out ?? { id: id ?? '' }
  }

  async function remove (ctx: PluginContext, kind: Kind, id: string): Promise<void> {
    if (id.trim() === '') throw new NotFoundError(`${kind} with an empty id not found`)
    const { handle } = await clients.get(ctx)
    await call(handle, 'DELETE', `/${COLL[kind].path}/${encodeURIComponent(id)}`, undefined, ctx.signal).catch((err: unknown) => {
      if (err instanceof Error && 'status' in err && err.status === 404) throw new NotFoundError(`${kind} ${JSON.stringify(id)} not found`)
      throw err
    })
  }

  return {
    name: 'rest',
    capabilities: { filter: 'simple' },
    start: async (log) => { await clients.start(log) },
    stop: async () => { await clients.stop() },
    health: async () => await clients.health(),
    schemas: () => mapperSchemas(mapper),

    async getUsers (query, ctx): Promise<GetResult> { return { Resources: await usersOf(ctx, await find(ctx, 'user', query)) } },
    async createUser (user, ctx) { return await write(ctx, 'user', 'POST', undefined, user) },
    async modifyUser (id: string, mod: Modification, ctx) { return await write(ctx, 'user', 'PUT', id, mod.resource) },
    async deleteUser (id, ctx) { await remove(ctx, 'user', id) },

    async getGroups (query, ctx): Promise<GetResult> {
      const rows = await find(ctx, 'group', query)
      return { Resources: rows.flatMap(g => { const r = mapper.toScim('group', g); return r === undefined ? [] : [r] }) }
    },
    async createGroup (group, ctx) { return await write(ctx, 'group', 'POST', undefined, group) },
    async modifyGroup (id: string, mod: Modification, ctx) { return await write(ctx, 'group', 'PUT', id, mod.resource) },
    async deleteGroup (id, ctx) { await remove(ctx, 'group', id) }
  }
}

function isObject (v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

/** For index.ts: `await runGateway(restPlugin)` reads config/plugin-rest.json. */
export const restPlugin = definePlugin({ name: 'rest', endpoint: restEndpointSchema, create: createRestPlugin })
