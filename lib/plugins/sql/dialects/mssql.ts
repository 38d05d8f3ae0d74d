// SQL Server adapter (`mssql`, tedious driver): @pN named parameters, OFFSET/FETCH paging,
// error numbers mapped to classes, DDL guarded by OBJECT_ID (no CREATE TABLE IF NOT EXISTS) with
// case-sensitive collations on key columns (the plugin lower-cases keys itself).
import sql from 'mssql'
import { CommitError, type ConnectionSettings, type Db, type PoolSettings, type Queryable, type Row } from '../db.ts'
import { isNetworkError, quoteParts, type Dialect, type ErrorClass } from '../dialect.ts'
import { indexBase, type Tables } from '../mapping.ts'

export const mssqlDialect: Dialect = {
  name: 'mssql',
  param: i => `@p${i}`,
  ident: name => quoteParts(name, '[', ']'),
  page: (offset, limit) => `OFFSET ${offset} ROWS FETCH NEXT ${limit} ROWS ONLY`,
  lockSuffix: '',
  jsonArray: (fields, fromWhere) => `(SELECT ${fields.map(([k, e]) => `${e} AS [${k}]`).join(', ')} FROM ${fromWhere} FOR JSON PATH, INCLUDE_NULL_VALUES)`,
  classify,
  ddl,
  open
}

const DATA_NUMBERS = new Set([8152, 2628, 245, 8114, 8115, 220, 515])

function classify (err: unknown): ErrorClass {
  if (typeof err !== 'object' || err === null) return 'other'
  const e = err as { number?: unknown, name?: unknown, originalError?: { info?: { number?: unknown } } }
  const n = typeof e.number === 'number' ? e.number : e.originalError?.info?.number
  if (n === 2627 || n === 2601) return 'unique'
  if (n === 1205) return 'retry'
  if (typeof n === 'number' && DATA_NUMBERS.has(n)) return 'data'
  if (e.name === 'ConnectionError') return 'connection'
  return isNetworkError(err) ? 'connection' : 'other'
}

function open (conn: ConnectionSettings, pool: PoolSettings): Db {
  const poolCfg = { max: pool.max, min: 0, idleTimeoutMillis: pool.idleTimeoutMs }
  const extra = conn.options ?? {}
  const driverOptions = typeof extra.options === 'object' && extra.options !== null ? extra.options as Record<string, unknown> : {}
  const config: sql.config = {
    server: conn.host ?? 'localhost',
    ...(conn.port !== undefined ? { port: conn.port } : {}),
    ...(conn.user !== undefined ? { user: conn.user } : {}),
    ...(conn.password !== undefined ? { password: conn.password } : {}),
    ...(conn.database !== undefined ? { database: conn.database } : {}),
    ...extra,
    options: { encrypt: true, trustServerCertificate: false, ...driverOptions },
    pool: poolCfg,
    connectionTimeout: pool.connectTimeoutMs
  }
  // a connection string gives the server and credentials; the pool settings still apply
  const fromUrl = conn.url !== undefined ? sql.ConnectionPool.parseConnectionString(conn.url) : undefined
  const p = new sql.ConnectionPool(fromUrl !== undefined ? { ...fromUrl, pool: poolCfg, connectionTimeout: pool.connectTimeoutMs } : config)
  p.on('error', () => {}) // surfaced through the failing request instead
  let connecting: Promise<sql.ConnectionPool> | undefined
  const ready = async (): Promise<sql.ConnectionPool> => {
    if (p.connected) return p
    connecting ??= p.connect().finally(() => { connecting = undefined })
    return await connecting
  }
  const request = (r: sql.Request, params: readonly unknown[]): sql.Request => {
    params.forEach((v, i) => { r.input(`p${i + 1}`, v === undefined ? null : v) })
    return r
  }
  const on = (mk: () => Promise<sql.Request>): Queryable => ({
    async query (text, params) { return (await request(await mk(), params).query<Row>(text)).recordset ?? [] },
    async exec (text, params) { return (await request(await mk(), params).query(text)).rowsAffected.reduce((a, b) => a + b, 0) }
  })
  return {
    ...on(async () => (await ready()).request()),
    async tx (fn) {
      const t = new sql.Transaction(await ready())
      await t.begin()
      let out
      try {
        out = await fn(on(async () => new sql.Request(t)))
      } catch (err) {
        await t.rollback().catch(() => {})
        throw err
      }
      try { await t.commit() } catch (err) { throw new CommitError(err) }
      return out
    },
    async close () { await p.close() }
  }
}

function ddl (t: Tables, opts: { uniqueGroupDisplayName: boolean }): string[] {
  const q = mssqlDialect.ident
  const u = t.users.c; const e = t.emails.c; const g = t.groups.c; const m = t.members.c
  const U = q(t.users.name); const G = q(t.groups.name)
  const ub = indexBase(t.users.name); const eb = indexBase(t.emails.name); const gb = indexBase(t.groups.name); const mb = indexBase(t.members.name)
  const cs = 'COLLATE Latin1_General_100_BIN2'
  const key = `nvarchar(255) ${cs}`
  const ifMissing = (table: string, body: string): string => `IF OBJECT_ID(N'${table.replace(/'/g, "''")}', N'U') IS NULL ${body}`
  return [
    ifMissing(t.users.name, `CREATE TABLE ${U} (${q(u.id)} nvarchar(64) ${cs} NOT NULL PRIMARY KEY, ${q(u.userName)} nvarchar(255) NOT NULL, ${q(u.userNameKey)} ${key} NOT NULL, ${q(u.externalId)} ${key} NULL, ${q(u.displayName)} nvarchar(255) NULL, ${q(u.displayNameKey)} ${key} NULL, ${q(u.givenName)} nvarchar(255) NULL, ${q(u.familyName)} nvarchar(255) NULL, ${q(u.active)} bit NULL, ${q(u.data)} nvarchar(max) NOT NULL, ${q(u.created)} varchar(32) NOT NULL, ${q(u.lastModified)} varchar(32) NOT NULL, ` +
      `CONSTRAINT ${q(`ux_${ub}_uname`)} UNIQUE (${q(u.userNameKey)}), INDEX ${q(`ix_${ub}_extid`)} (${q(u.externalId)}), INDEX ${q(`ix_${ub}_dname`)} (${q(u.displayNameKey)}))`),
    ifMissing(t.emails.name, `CREATE TABLE ${q(t.emails.name)} (${q(e.userId)} nvarchar(64) ${cs} NOT NULL REFERENCES ${U} (${q(u.id)}) ON DELETE CASCADE, ${q(e.position)} int NOT NULL, ${q(e.value)} nvarchar(255) NULL, ${q(e.valueKey)} ${key} NULL, ${q(e.type)} nvarchar(64) NULL, ${q(e.primary)} bit NULL, ${q(e.data)} nvarchar(max) NULL, ` +
      `PRIMARY KEY (${q(e.userId)}, ${q(e.position)}), INDEX ${q(`ix_${eb}_value`)} (${q(e.valueKey)}))`),
    ifMissing(t.groups.name, `CREATE TABLE ${G} (${q(g.id)} nvarchar(64) ${cs} NOT NULL PRIMARY KEY, ${q(g.displayName)} nvarchar(255) NOT NULL, ${q(g.displayNameKey)} ${key} NOT NULL, ${q(g.externalId)} ${key} NULL, ${q(g.data)} nvarchar(max) NOT NULL, ${q(g.created)} varchar(32) NOT NULL, ${q(g.lastModified)} varchar(32) NOT NULL, ` +
      `${opts.uniqueGroupDisplayName ? `CONSTRAINT ${q(`ux_${gb}_dname`)} UNIQUE (${q(g.displayNameKey)})` : `INDEX ${q(`ux_${gb}_dname`)} (${q(g.displayNameKey)})`}, INDEX ${q(`ix_${gb}_extid`)} (${q(g.externalId)}))`),
    ifMissing(t.members.name, `CREATE TABLE ${q(t.members.name)} (${q(m.groupId)} nvarchar(64) ${cs} NOT NULL REFERENCES ${G} (${q(g.id)}) ON DELETE CASCADE, ${q(m.value)} nvarchar(255) NOT NULL, ${q(m.valueKey)} ${key} NOT NULL, ${q(m.display)} nvarchar(255) NULL, ${q(m.data)} nvarchar(max) NULL, ` +
      `PRIMARY KEY (${q(m.groupId)}, ${q(m.valueKey)}), INDEX ${q(`ix_${mb}_value`)} (${q(m.valueKey)}))`)
  ]
}
