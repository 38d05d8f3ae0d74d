// plugin-mssql: users and groups in a SQL database — SQL Server (`mssql`, the default dialect),
// PostgreSQL (`pg`) or MariaDB/MySQL (`mysql2`); the SQL it sends differs only through the dialect
// adapters in sql/dialects. Filters, sorting and paging are pushed down, multi-table writes are
// transactions, each baseEntity has its own connection pool (SDK EntityHandles: opened on first use,
// probed by health(), closed on stop).
import { ScimError } from '../scim/errors.ts'
import { isJsonObject } from '../scim/types.ts'
import type { GetQuery, GetResult, Logger, Modification, PluginContext, PluginHealth, ScimPlugin, ScimResource } from './types.ts'
import { definePlugin, EntityHandles } from './sdk/index.ts'
import type { ConnectionSettings } from './sql/db.ts'
import { DIALECTS } from './sql/dialects/index.ts'
import { withRetry } from './sql/errors.ts'
import { resolveTables } from './sql/mapping.ts'
import { sqlEndpointSchema, toSqlOptions, type SqlEntity, type SqlOptions } from './sql/options.ts'
import { SqlStore } from './sql/store.ts'
import { SqlWriter } from './sql/writes.ts'

export { sqlOptionsFromEndpoint, toSqlOptions, sqlEndpointSchema, type SqlOptions } from './sql/options.ts'

interface Handle { store: SqlStore, writer: SqlWriter }

/**
 * Creates the SQL plugin. Nothing connects until the first request of a baseEntity, so the gateway
 * starts while a database is down; its requests answer 503 until it is back.
 * @example
 * const plugin = createSqlPlugin(sqlOptionsFromEndpoint({ dialect: 'postgres', connection: { url: 'postgres://postgres@127.0.0.1/scim' }, createSchema: true }))
 */
export function createSqlPlugin (opts: SqlOptions): ScimPlugin {
  const dialect = DIALECTS[opts.dialect]
  const handles = new EntityHandles<SqlEntity, Handle>({
    entities: opts.entities,
    async open (cfg, key, log) {
      const t = resolveTables(cfg.tables, opts.columns)
      const db = dialect.open(cfg.connection as ConnectionSettings, opts.pool)
      try {
        // a first query proves the database is reachable (and creates the tables when asked)
        if (cfg.createSchema) await withRetry(dialect, async () => { for (const stmt of dialect.ddl(t, { uniqueGroupDisplayName: opts.uniqueGroupDisplayName })) await db.exec(stmt, []) })
        else await withRetry(dialect, async () => await db.query('SELECT 1 AS ok', []))
      } catch (err) {
        await db.close().catch(() => {})
        throw err
      }
      log.info(`plugin-mssql: ${dialect.name} pool for baseEntity ${key} opened`)
      const store = new SqlStore(db, dialect, t, { uniqueGroupDisplayName: opts.uniqueGroupDisplayName })
      return { store, writer: new SqlWriter(store) }
    },
    async close (h) { await h.store.db.close() },
    async check (h) { await h.store.db.query('SELECT 1 AS ok', []) }
  })
  const use = async (ctx: PluginContext): Promise<Handle> => (await handles.get(ctx)).handle

  const resourceOf = (mod: Modification): ScimResource => {
    if (!isJsonObject(mod) || !isJsonObject(mod.resource)) throw new ScimError(400, 'invalidValue', 'modification without a resource')
    return mod.resource
  }

  return {
    name: 'mssql',
    capabilities: { filter: 'full', groupMemberDelta: true },
    async start (log: Logger): Promise<void> { await handles.start(log) },
    async stop (): Promise<void> { await handles.stop() },
    async health (): Promise<PluginHealth> { return await handles.health() },

    async getUsers (query: GetQuery, ctx: PluginContext): Promise<GetResult> { return await (await use(ctx)).store.list('Users', query) },
    async createUser (user: ScimResource, ctx: PluginContext): Promise<ScimResource> { return await (await use(ctx)).writer.createUser(user) },
    async modifyUser (id: string, mod: Modification, ctx: PluginContext): Promise<ScimResource> { return await (await use(ctx)).writer.modifyUser(id, resourceOf(mod)) },
    async deleteUser (id: string, ctx: PluginContext): Promise<void> { await (await use(ctx)).writer.deleteUser(id) },

    async getGroups (query: GetQuery, ctx: PluginContext): Promise<GetResult> { return await (await use(ctx)).store.list('Groups', query) },
    async createGroup (group: ScimResource, ctx: PluginContext): Promise<ScimResource> { return await (await use(ctx)).writer.createGroup(group) },
    async modifyGroup (id: string, mod: Modification, ctx: PluginContext): Promise<ScimResource> {
      const h = await use(ctx)
      if (isJsonObject(mod) && mod.members !== undefined) return await h.writer.memberDelta(id, mod.members)
      return await h.writer.modifyGroup(id, resourceOf(mod))
    },
    async deleteGroup (id: string, ctx: PluginContext): Promise<void> { await (await use(ctx)).writer.deleteGroup(id) }
  }
}

/** The plugin as `runGateway(mssqlPlugin)` starts it from config/plugin-mssql.json. */
export const mssqlPlugin = definePlugin({
  name: 'mssql',
  endpoint: sqlEndpointSchema,
  create: endpoint => createSqlPlugin(toSqlOptions(endpoint))
})
