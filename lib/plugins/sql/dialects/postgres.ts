// PostgreSQL adapter (`pg`): $n placeholders, LIMIT/OFFSET, SQLSTATE-based error classes, DDL with
// COLLATE "C" key columns (byte order, case-sensitive: the plugin lower-cases keys itself).
import pg from 'pg'
import { CommitError, type ConnectionSettings, type Db, type PoolSettings, type Queryable, type Row } from '../db.ts'
import { isNetworkError, quoteParts, type Dialect, type ErrorClass } from '../dialect.ts'
import { indexBase, type Tables } from '../mapping.ts'

export const postgres: Dialect = {
  name: 'postgres',
  param: i => `$${i}`,
  ident: name => quoteParts(name, '"', '"'),
  page: (offset, limit) => `LIMIT ${limit} OFFSET ${offset}`,
  lockSuffix: ' FOR UPDATE',
  jsonArray: (fields, fromWhere) => `(SELECT json_agg(json_build_object(${fields.map(([k, e]) => `'${k}', ${e}`).join(', ')})) FROM ${fromWhere})`,
  classify,
  ddl,
  open
}

function classify (err: unknown): ErrorClass {
  const code = typeof err === 'object' && err !== null ? (err as { code?: unknown }).code : undefined
  if (code === '23505') return 'unique'
  if (code === '40001' || code === '40P01') return 'retry'
  if (typeof code === 'string') {
    if (code.startsWith('22')) return 'data'
    if (code.startsWith('08') || code === '57P01' || code === '57P02' || code === '57P03' || code === '53300') return 'connection'
  }
  return isNetworkError(err) ? 'connection' : 'other'
}

/** Distinct statements prepared per connection at most (others run unnamed). */
const MAX_NAMED = 1000

function open (conn: ConnectionSettings, pool: PoolSettings): Db {
  const config: pg.PoolConfig = {
    ...(conn.url !== undefined ? { connectionString: conn.url } : {}),
    ...(conn.host !== undefined ? { host: conn.host } : {}),
    ...(conn.port !== undefined ? { port: conn.port } : {}),
    ...(conn.user !== undefined ? { user: conn.user } : {}),
    ...(conn.password !== undefined ? { password: conn.password } : {}),
    ...(conn.database !== undefined ? { database: conn.database } : {}),
    ...conn.options,
    max: pool.max,
    idleTimeoutMillis: pool.idleTimeoutMs,
    connectionTimeoutMillis: pool.connectTimeoutMs
  }
  const p = new pg.Pool(config)
  // an idle connection killed by the server emits 'error' on the pool; pg drops that client and the
  // next query opens a new one. Without a listener the event would crash the process.
  p.on('error', () => {})
  // named statements are parsed and planned once per connection; the plugin's SQL text is built from
  // identifiers and placeholders only, so the set of distinct statements stays small (bounded anyway)
  const names = new Map<string, string>()
  const named = (text: string, values: readonly unknown[]): pg.QueryConfig => {
    let name = names.get(text)
    if (name === undefined && names.size < MAX_NAMED) { name = `scim_${names.size}`; names.set(text, name) }
    return name === undefined ? { text, values: [...values] } : { name, text, values: [...values] }
  }
  const on = (c: pg.Pool | pg.PoolClient): Queryable => ({
    async query (sql, params) { return (await c.query<Row>(named(sql, params))).rows },
    async exec (sql, params) { return (await c.query(named(sql, params))).rowCount ?? 0 }
  })
  return {
    ...on(p),
    async tx (fn) {
      const client = await p.connect()
      let broken: Error | undefined
      try {
        await client.query('BEGIN')
        let out
        try {
          out = await fn(on(client))
        } catch (err) {
          await client.query('ROLLBACK').catch((e: unknown) => { broken = e instanceof Error ? e : new Error(String(e)) })
          throw err
        }
        try { await client.query('COMMIT') } catch (err) { broken = err instanceof Error ? err : new Error(String(err)); throw new CommitError(err) }
        return out
      } catch (err) {
        if (broken === undefined && classify(err) === 'connection') broken = err instanceof Error ? err : new Error(String(err))
        throw err
      } finally {
        client.release(broken) // a broken connection is destroyed, not returned to the pool
      }
    },
    async close () { await p.end() }
  }
}

function ddl (t: Tables, opts: { uniqueGroupDisplayName: boolean }): string[] {
  const q = postgres.ident
  const u = t.users.c; const e = t.emails.c; const g = t.groups.c; const m = t.members.c
  const U = q(t.users.name); const E = q(t.emails.name); const G = q(t.groups.name); const M = q(t.members.name)
  const ub = indexBase(t.users.name); const eb = indexBase(t.emails.name); const gb = indexBase(t.groups.name); const mb = indexBase(t.members.name)
  const key = 'varchar(255) COLLATE "C"'
  return [
    `CREATE TABLE IF NOT EXISTS ${U} (${q(u.id)} varchar(64) COLLATE "C" PRIMARY KEY, ${q(u.userName)} varchar(255) NOT NULL, ${q(u.userNameKey)} ${key} NOT NULL, ${q(u.externalId)} ${key}, ${q(u.displayName)} varchar(255), ${q(u.displayNameKey)} ${key}, ${q(u.givenName)} varchar(255), ${q(u.familyName)} varchar(255), ${q(u.active)} boolean, ${q(u.data)} text NOT NULL, ${q(u.created)} varchar(32) COLLATE "C" NOT NULL, ${q(u.lastModified)} varchar(32) COLLATE "C" NOT NULL)`,
    `CREATE UNIQUE INDEX IF NOT EXISTS ${q(`ux_${ub}_uname`)} ON ${U} (${q(u.userNameKey)})`,
    `CREATE INDEX IF NOT EXISTS ${q(`ix_${ub}_extid`)} ON ${U} (${q(u.externalId)})`,
    `CREATE INDEX IF NOT EXISTS ${q(`ix_${ub}_dname`)} ON ${U} (${q(u.displayNameKey)})`,
    `CREATE TABLE IF NOT EXISTS ${E} (${q(e.userId)} varchar(64) COLLATE "C" NOT NULL REFERENCES ${U} (${q(u.id)}) ON DELETE CASCADE, ${q(e.position)} integer NOT NULL, ${q(e.value)} varchar(255), ${q(e.valueKey)} ${key}, ${q(e.type)} varchar(64), ${q(e.primary)} boolean, ${q(e.data)} text, PRIMARY KEY (${q(e.userId)}, ${q(e.position)}))`,
    `CREATE INDEX IF NOT EXISTS ${q(`ix_${eb}_value`)} ON ${E} (${q(e.valueKey)})`,
    `CREATE TABLE IF NOT EXISTS ${G} (${q(g.id)} varchar(64) COLLATE "C" PRIMARY KEY, ${q(g.displayName)} varchar(255) NOT NULL, ${q(g.displayNameKey)} ${key} NOT NULL, ${q(g.externalId)} ${key}, ${q(g.data)} text NOT NULL, ${q(g.created)} varchar(32) COLLATE "C" NOT NULL, ${q(g.lastModified)} varchar(32) COLLATE "C" NOT NULL)`,
    `CREATE ${opts.uniqueGroupDisplayName ? 'UNIQUE ' : ''}INDEX IF NOT EXISTS ${q(`ux_${gb}_dname`)} ON ${G} (${q(g.displayNameKey)})`,
    `CREATE INDEX IF NOT EXISTS ${q(`ix_${gb}_extid`)} ON ${G} (${q(g.externalId)})`,
    `CREATE TABLE IF NOT EXISTS ${M} (${q(m.groupId)} varchar(64) COLLATE "C" NOT NULL REFERENCES ${G} (${q(g.id)}) ON DELETE CASCADE, ${q(m.value)} varchar(255) NOT NULL, ${q(m.valueKey)} ${key} NOT NULL, ${q(m.display)} varchar(255), ${q(m.data)} text, PRIMARY KEY (${q(m.groupId)}, ${q(m.valueKey)}))`,
    `CREATE INDEX IF NOT EXISTS ${q(`ix_${mb}_value`)} ON ${M} (${q(m.valueKey)})`
  ]
}
