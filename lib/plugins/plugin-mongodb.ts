// plugin-mongodb: like plugin-loki but backed by an external MongoDB (scimgateway's plugin-mongodb),
// multi-tenant by baseEntity: each `endpoint.entity.<baseEntity>` has its own database (or collection
// prefix) and client, opened on first use with its indexes (unique userName and group displayName;
// externalId, displayName, emails, members). Filters, sorting and paging are pushed down to MongoDB
// where they can be expressed exactly (mongodb/filter.ts), otherwise the gateway finishes them.
import { MongoClient } from 'mongodb'
import { InvalidValueError } from '../scim/errors.ts'
import { isJsonObject } from '../scim/types.ts'
import type { GetQuery, GetResult, Logger, Modification, PluginContext, ScimPlugin, ScimResource } from './types.ts'
import { definePlugin, EntityHandles, ServiceUnavailableError } from './sdk/index.ts'
import { mongoEndpointSchema, mongoEntities, type MongoEndpoint, type MongoEntity } from './mongodb/options.ts'
import { MongoStore } from './mongodb/store.ts'

export { mongoEndpointSchema } from './mongodb/options.ts'

interface Handle { client: MongoClient, store: MongoStore }

/** Driver errors that mean "the database is not reachable" (→ 503). */
function unavailable (err: unknown): boolean {
  const name = err instanceof Error ? err.name : ''
  return /MongoServerSelectionError|MongoNetworkError|MongoNetworkTimeoutError|MongoTopologyClosedError|MongoNotConnectedError/.test(name)
}

export function createMongoPlugin (endpoint: MongoEndpoint): ScimPlugin {
  const handles = new EntityHandles<MongoEntity, Handle>({
    entities: mongoEntities(endpoint),
    async open (cfg) {
      const client = new MongoClient(cfg.url, { serverSelectionTimeoutMS: endpoint.connectTimeoutMs, connectTimeoutMS: endpoint.connectTimeoutMs })
      try {
        await client.connect()
        const store = new MongoStore(client.db(cfg.database), cfg.collectionPrefix, { uniqueGroupDisplayName: endpoint.uniqueGroupDisplayName })
        await store.ensureIndexes()
        return { client, store }
      } catch (err) {
        await client.close().catch(() => {})
        throw err
      }
    },
    async close (h) { await h.client.close() },
    async check (h) { await h.client.db('admin').command({ ping: 1 }) }
  })

  /** Runs `fn` on the request's store; an unreachable server is a typed 503. */
  const run = async <T>(ctx: PluginContext, fn: (s: MongoStore) => Promise<T>): Promise<T> => {
    const h = (await handles.get(ctx)).handle
    try { return await fn(h.store) } catch (err) {
      if (unavailable(err)) throw new ServiceUnavailableError(`MongoDB unavailable: ${err instanceof Error ? err.message : String(err)}`, { cause: err })
      throw err
    }
  }
  const resourceOf = (mod: Modification): ScimResource => {
    if (!isJsonObject(mod) || !isJsonObject(mod.resource)) throw new InvalidValueError('modification without a resource')
    return mod.resource
  }

  return {
    name: 'mongodb',
    capabilities: { filter: 'full', groupMemberDelta: true },
    async start (log: Logger): Promise<void> { await handles.start(log) },
    async stop (): Promise<void> { await handles.stop() },
    async health () { return await handles.health() },
    async getUsers (q: GetQuery, ctx: PluginContext): Promise<GetResult> { return await run(ctx, async s => await s.list('Users', q)) },
    async createUser (u: ScimResource, ctx: PluginContext): Promise<ScimResource> { return await run(ctx, async s => await s.createUser(u)) },
    async modifyUser (id: string, mod: Modification, ctx: PluginContext): Promise<ScimResource> { return await run(ctx, async s => await s.replaceUser(id, resourceOf(mod))) },
    async deleteUser (id: string, ctx: PluginContext): Promise<void> { await run(ctx, async s => { await s.deleteUser(id) }) },
    async getGroups (q: GetQuery, ctx: PluginContext): Promise<GetResult> { return await run(ctx, async s => await s.list('Groups', q)) },
    async createGroup (g: ScimResource, ctx: PluginContext): Promise<ScimResource> { return await run(ctx, async s => await s.createGroup(g)) },
    async modifyGroup (id: string, mod: Modification, ctx: PluginContext): Promise<ScimResource> {
      if (isJsonObject(mod) && mod.members !== undefined) { const d = mod.members; return await run(ctx, async s => await s.memberDelta(id, d)) }
      return await run(ctx, async s => await s.replaceGroup(id, resourceOf(mod)))
    },
    async deleteGroup (id: string, ctx: PluginContext): Promise<void> { await run(ctx, async s => { await s.deleteGroup(id) }) }
  }
}

/** The plugin as `runGateway(mongodbPlugin)` starts it from config/plugin-mongodb.json. */
export const mongodbPlugin = definePlugin({ name: 'mongodb', endpoint: mongoEndpointSchema, create: endpoint => createMongoPlugin(endpoint) })
