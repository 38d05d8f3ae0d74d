// MariaDB / MySQL adapter (`mysql2`): server-side prepared statements (`execute`) with ? placeholders,
// LIMIT offset,count, errno-based error classes, InnoDB DDL in utf8mb4_bin (byte order, case-sensitive:
// the plugin lower-cases key columns itself; the default _ci collations would also fold accents).
import mysql from 'mysql2/promise'
import { CommitError, type ConnectionSettings, type Db, type PoolSettings, type Queryable, type Row } from '../db.ts'
import { isNetworkError, quoteParts, type Dialect, type ErrorClass } from '../dialect.ts'
import { indexBase, type Tables } from '../mapping.ts'

export const mysqlDialect: Dialect = {
  name: 'mysql',
  param: () => '?',
  ident: name => quoteParts(name, '`', '`'),
  page: (offset, limit) => `LIMIT ${offset}, ${limit}`,
  lockSuffix: ' FOR UPDATE',
  jsonArray: (fields, fromWhere) => `(SELECT JSON_ARRAYAGG(JSON_OBJECT(${fields.map(([k, e]) => `'${k}', ${e}`).join(', ')})) FROM ${fromWhere})`,
  classify,
  ddl,
  open
}

const DATA_ERRNO = new Set([1406, 1366, 1264, 1292, 1048, 3140, 1300])
const CONN_ERRNO = new Set([1040, 1053, 2002, 2003, 2006, 2013, 1927, 4031])

function classify (err: unknown): ErrorClass {
  const errno = typeof err === 'object' && err !== null ? (err as { errno?: unknown }).errno : undefined
  if (errno === 1062) return 'unique'
  if (errno === 1213 || errno === 1205) return 'retry'
  if (typeof errno === 'number' && DATA_ERRNO.has(errno)) return 'data'
  if (typeof errno === 'number' && CONN_ERRNO.has(errno)) return 'connection'
  return isNetworkError(err) ? 'connection' : 'other'
}

type Param = string | number | boolean | null
const norm = (params: readonly unknown[]): Param[] => params.map(v => v === undefined ? null : v as Param)

function open (conn: ConnectionSettings, pool: PoolSettings): Db {
  const base: mysql.PoolOptions = conn.url !== undefined ? { uri: conn.url } : {}
  const p = mysql.createPool({
    ...base,
    ...(conn.host !== undefined ? { host: conn.host } : {}),
    ...(conn.port !== undefined ? { port: conn.port } : {}),
    ...(conn.user !== undefined ? { user: conn.user } : {}),
    ...(conn.password !== undefined ? { password: conn.password } : {}),
    ...(conn.database !== undefined ? { database: conn.database } : {}),
    charset: 'utf8mb4',
    ...conn.options,
    connectionLimit: pool.max,
    maxIdle: pool.max,
    idleTimeout: pool.idleTimeoutMs,
    connectTimeout: pool.connectTimeoutMs,
    enableKeepAlive: true
  })
  // MariaDB's JSON_ARRAYAGG is bounded by group_concat_max_len: lift it so big lists are never cut
  p.pool.on('connection', c => { c.query('SET SESSION group_concat_max_len = 4294967295') })
  const on = (c: mysql.Pool | mysql.PoolConnection): Queryable => ({
    async query (sql, params) {
      const [rows] = await c.execute(sql, norm(params))
      return Array.isArray(rows) ? rows as Row[] : []
    },
    async exec (sql, params) {
      const [res] = await c.execute(sql, norm(params))
      return (res as mysql.ResultSetHeader).affectedRows ?? 0
    }
  })
  return {
    ...on(p),
    async tx (fn) {
      const c = await p.getConnection()
      let broken = false
      try {
        await c.beginTransaction()
        let out
        try {
          out = await fn(on(c))
        } catch (err) {
          await c.rollback().catch(() => { broken = true })
          throw err
        }
        try { await c.commit() } catch (err) { broken = true; throw new CommitError(err) }
        return out
      } catch (err) {
        if (classify(err) === 'connection') broken = true
        throw err
      } finally {
        if (broken) c.destroy(); else c.release()
      }
    },
    async close () { await p.end() }
  }
}

function ddl (t: Tables, opts: { uniqueGroupDisplayName: boolean }): string[] {
  const q = mysqlDialect.ident
  const u = t.users.c; const e = t.emails.c; const g = t.groups.c; const m = t.members.c
  const U = q(t.users.name); const G = q(t.groups.name)
  const ub = indexBase(t.users.name); const eb = indexBase(t.emails.name); const gb = indexBase(t.groups.name); const mb = indexBase(t.members.name)
  const tail = 'ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin'
  return [
    `CREATE TABLE IF NOT EXISTS ${U} (${q(u.id)} varchar(64) NOT NULL PRIMARY KEY, ${q(u.userName)} varchar(255) NOT NULL, ${q(u.userNameKey)} varchar(255) NOT NULL, ${q(u.externalId)} varchar(255) NULL, ${q(u.displayName)} varchar(255) NULL, ${q(u.displayNameKey)} varchar(255) NULL, ${q(u.givenName)} varchar(255) NULL, ${q(u.familyName)} varchar(255) NULL, ${q(u.active)} tinyint(1) NULL, ${q(u.data)} longtext NOT NULL, ${q(u.created)} varchar(32) NOT NULL, ${q(u.lastModified)} varchar(32) NOT NULL, ` +
      `UNIQUE KEY ${q(`ux_${ub}_uname`)} (${q(u.userNameKey)}), KEY ${q(`ix_${ub}_extid`)} (${q(u.externalId)}), KEY ${q(`ix_${ub}_dname`)} (${q(u.displayNameKey)})) ${tail}`,
    `CREATE TABLE IF NOT EXISTS ${q(t.emails.name)} (${q(e.userId)} varchar(64) NOT NULL, ${q(e.position)} int NOT NULL, ${q(e.value)} varchar(255) NULL, ${q(e.valueKey)} varchar(255) NULL, ${q(e.type)} varchar(64) NULL, ${q(e.primary)} tinyint(1) NULL, ${q(e.data)} longtext NULL, ` +
      `PRIMARY KEY (${q(e.userId)}, ${q(e.position)}), KEY ${q(`ix_${eb}_value`)} (${q(e.valueKey)}), CONSTRAINT ${q(`fk_${eb}_user`)} FOREIGN KEY (${q(e.userId)}) REFERENCES ${U} (${q(u.id)}) ON DELETE CASCADE) ${tail}`,
    `CREATE TABLE IF NOT EXISTS ${G} (${q(g.id)} varchar(64) NOT NULL PRIMARY KEY, ${q(g.displayName)} varchar(255) NOT NULL, ${q(g.displayNameKey)} varchar(255) NOT NULL, ${q(g.externalId)} varchar(255) NULL, ${q(g.data)} longtext NOT NULL, ${q(g.created)} varchar(32) NOT NULL, ${q(g.lastModified)} varchar(32) NOT NULL, ` +
      `${opts.uniqueGroupDisplayName ? 'UNIQUE ' : ''}KEY ${q(`ux_${gb}_dname`)} (${q(g.displayNameKey)}), KEY ${q(`ix_${gb}_extid`)} (${q(g.externalId)})) ${tail}`,
    `CREATE TABLE IF NOT EXISTS ${q(t.members.name)} (${q(m.groupId)} varchar(64) NOT NULL, ${q(m.value)} varchar(255) NOT NULL, ${q(m.valueKey)} varchar(255) NOT NULL, ${q(m.display)} varchar(255) NULL, ${q(m.data)} longtext NULL, ` +
      `PRIMARY KEY (${q(m.groupId)}, ${q(m.valueKey)}), KEY ${q(`ix_${mb}_value`)} (${q(m.valueKey)}), CONSTRAINT ${q(`fk_${mb}_group`)} FOREIGN KEY (${q(m.groupId)}) REFERENCES ${G} (${q(g.id)}) ON DELETE CASCADE) ${tail}`
  ]
}
