// plugin-mssql: users and groups in a SQL database — SQL Server (`mssql`, the default dialect),
// PostgreSQL (`pg`) or MariaDB/MySQL (`mysql2`); the SQL it sends differs only through the dialect
// adapters in sql/dialects. Filters, sorting and paging are pushed down, multi-table writes are
// transactions, each baseEntity has its own connection pool (opened on first use, closed on stop).
import { NotFoundError, ScimError } from '../scim/errors.ts'
import { isJsonObject } from '../scim/types.ts'
import type { GetQuery, GetResult, Logger, Modification, PluginContext, ScimPlugin, ScimResource } from './types.ts'
import type { ConnectionSettings } from './sql/db.ts'
import { DIALECTS } from './sql/dialects/index.ts'
import { withRetry } from './sql/errors.ts'
import { resolveTables } from './sql/mapping.ts'
import type { SqlOptions } from './sql/options.ts'
import { SqlStore } from './sql/store.ts'
import { SqlWriter } from './sql/writes.ts'

export { sqlOptionsFromEndpoint, type SqlOptions } from './sql/options.ts'

interface Handle { store: SqlStore, writer: SqlWriter }

/** One backend's state as the health hook reports it. */
export interface EntityHealth { baseEntity: string | undefined, ok: boolean, detail?: string }

const DEFAULT_KEY = 'undefined'

/**
 * Creates the SQL plugin. Nothing connects until the first request of a baseEntity (so the gateway
 * starts while the database is down; requests then answer 503 until it is back).
 * @example
 * const plugin = createSqlPlugin(sqlOptionsFromEndpoint({ dialect: 'postgres', connection: { url: 'postgres://postgres@127.0.0.1/scim' }, createSchema: true }))
 */
export function createSqlPlugin (opts: SqlOptions): ScimPlugin & { health: () => Promise<EntityHealth[]> } {
  const dialect = DIALECTS[opts.dialect]
  const handles = new Map<string, Promise<Handle>>()
  let log: Logger | undefined
  let stopped = false

  const settingsOf = (baseEntity: string | undefined): { conn: ConnectionSettings, tables: SqlOptions['tables'], createSchema: boolean } => {
    const key = baseEntity ?? DEFAULT_KEY
    const e = opts.entity?.[key]
    if (e === undefined && !(baseEntity === undefined && opts.connection !== undefined)) {
      throw new NotFoundError(baseEntity === undefined ? 'this gateway needs a baseEntity in the URL' : `baseEntity "${baseEntity}" is not configured`)
    }
    const conn = { ...opts.connection, ...e?.connection }
    const tables = { ...opts.tables, ...e?.tables }
    return { conn: conn as ConnectionSettings, tables, createSchema: e?.createSchema ?? opts.createSchema }
  }

  const open = async (baseEntity: string | undefined): Promise<Handle> => {
    const s = settingsOf(baseEntity)
    const t = resolveTables(s.tables, opts.columns)
    const db = dialect.open(s.conn, opts.pool)
    try {
      if (s.createSchema) {
        await withRetry(dialect, async () => { for (const stmt of dialect.ddl(t, { uniqueGroupDisplayName: opts.uniqueGroupDisplayName })) await db.exec(stmt, []) })
      }
    } catch (err) {
      await db.close().catch(() => {})
      throw err
    }
    log?.info(`plugin-mssql: ${dialect.name} pool for baseEntity ${baseEntity ?? '(none)'} opened`)
    const store = new SqlStore(db, dialect, t, { uniqueGroupDisplayName: opts.uniqueGroupDisplayName })
    return { store, writer: new SqlWriter(store) }
  }

  const handle = async (ctx: PluginContext): Promise<Handle> => {
    if (stopped) throw new ScimError(503, undefined, 'plugin-mssql is stopped')
    const key = ctx.baseEntity ?? DEFAULT_KEY
    let h = handles.get(key)
    if (h === undefined) {
      settingsOf(ctx.baseEntity) // unknown baseEntity: 404 without caching anything
      h = open(ctx.baseEntity)
      handles.set(key, h)
      // a failed open (database down, DDL refused) is not cached: the next request tries again
      h.catch(() => { if (handles.get(key) === h) handles.delete(key) })
    }
    return await h
  }

  const resourceOf = (mod: Modification): ScimResource => {
    if (!isJsonObject(mod) || !isJsonObject(mod.resource)) throw new ScimError(400, 'invalidValue', 'modification without a resource')
    return mod.resource
  }

  return {
    name: 'mssql',
    capabilities: { filter: 'full', groupMemberDelta: true },

    async start (l: Logger): Promise<void> { log = l; stopped = false },

    async stop (): Promise<void> {
      stopped = true
      const all = [...handles.values()]
      handles.clear()
      await Promise.all(all.map(async h => { try { await (await h).store.db.close() } catch { /* never opened */ } }))
    },

    /** Each configured baseEntity's database: reachable (`SELECT 1`) or why not. */
    async health (): Promise<EntityHealth[]> {
      const keys = opts.entity !== undefined ? Object.keys(opts.entity) : [DEFAULT_KEY]
      if (opts.entity !== undefined && opts.connection !== undefined && !keys.includes(DEFAULT_KEY)) keys.push(DEFAULT_KEY)
      return await Promise.all(keys.map(async key => {
        const baseEntity = key === DEFAULT_KEY ? undefined : key
        try {
          const h = await handle({ baseEntity } as PluginContext)
          await h.store.db.query('SELECT 1 AS ok', [])
          return { baseEntity, ok: true }
        } catch (err) {
          return { baseEntity, ok: false, detail: err instanceof Error ? err.message : String(err) }
        }
      }))
    },

    async getUsers (query: GetQuery, ctx: PluginContext): Promise<GetResult> { return await (await handle(ctx)).store.list('Users', query) },
    async createUser (user: ScimResource, ctx: PluginContext): Promise<ScimResource> { return await (await handle(ctx)).writer.createUser(user) },
    async modifyUser (id: string, mod: Modification, ctx: PluginContext): Promise<ScimResource> { return await (await handle(ctx)).writer.modifyUser(id, resourceOf(mod)) },
    async deleteUser (id: string, ctx: PluginContext): Promise<void> { await (await handle(ctx)).writer.deleteUser(id) },

    async getGroups (query: GetQuery, ctx: PluginContext): Promise<GetResult> { return await (await handle(ctx)).store.list('Groups', query) },
    async createGroup (group: ScimResource, ctx: PluginContext): Promise<ScimResource> { return await (await handle(ctx)).writer.createGroup(group) },
    async modifyGroup (id: string, mod: Modification, ctx: PluginContext): Promise<ScimResource> {
      const h = await handle(ctx)
      if (isJsonObject(mod) && mod.members !== undefined) return await h.writer.memberDelta(id, mod.members)
      return await h.writer.modifyGroup(id, resourceOf(mod))
    },
    async deleteGroup (id: string, ctx: PluginContext): Promise<void> { await (await handle(ctx)).writer.deleteGroup(id) }
  }
}
