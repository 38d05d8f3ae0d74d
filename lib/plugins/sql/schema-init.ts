// Creates the plugin's tables and indexes (when missing) for every configured baseEntity — what
// `npm run db:init -- <dialect>` and `endpoint.createSchema: true` do.
import type { ConnectionSettings } from './db.ts'
import { DIALECTS } from './dialects/index.ts'
import { withRetry } from './errors.ts'
import { resolveTables } from './mapping.ts'
import type { SqlOptions } from './options.ts'

/** The DDL statements for one entity of `opts` (without connecting). */
export function schemaStatements (opts: SqlOptions, entity: string): string[] {
  const e = opts.entities[entity]
  if (e === undefined) throw new Error(`no baseEntity ${entity} in the options`)
  return DIALECTS[opts.dialect].ddl(resolveTables(e.tables, opts.columns), { uniqueGroupDisplayName: opts.uniqueGroupDisplayName })
}

/**
 * Runs the DDL for every entity; resolves to the entities done.
 * @example await initSchema(sqlOptionsFromEndpoint({ dialect: 'postgres', connection: { url } }))
 */
export async function initSchema (opts: SqlOptions, log: (line: string) => void = () => {}): Promise<string[]> {
  const d = DIALECTS[opts.dialect]
  const done: string[] = []
  for (const [key, e] of Object.entries(opts.entities)) {
    const db = d.open(e.connection as ConnectionSettings, { ...opts.pool, max: 1 })
    try {
      for (const stmt of schemaStatements(opts, key)) await withRetry(d, async () => await db.exec(stmt, []))
      log(`baseEntity ${key}: tables and indexes present`)
      done.push(key)
    } finally { await db.close() }
  }
  return done
}
