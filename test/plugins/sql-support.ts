// Test databases for the SQL plugin: each test run creates its own uniquely named databases on the
// local PostgreSQL / MariaDB servers (or on SQL Server when MSSQL_URL is set) and drops them after.
import { randomBytes } from 'node:crypto'
import { connect } from 'node:net'
import pg from 'pg'
import mysql from 'mysql2/promise'
import sql from 'mssql'
import type { DialectName } from '../../lib/plugins/sql/dialect.ts'
import type { ConnectionConfig } from '../../lib/plugins/sql/options.ts'

export const PG = { host: process.env.PGHOST ?? '127.0.0.1', port: Number(process.env.PGPORT ?? 5432), user: process.env.PGUSER ?? 'postgres' }
export const MY = { host: process.env.MYSQL_HOST ?? '127.0.0.1', port: Number(process.env.MYSQL_PORT ?? 3306), user: process.env.MYSQL_USER ?? 'root', password: process.env.MYSQL_PASSWORD ?? '' }

/** A server the tests can create databases on. */
export interface TestServer {
  dialect: DialectName
  /** Why the dialect's tests are skipped, or false. */
  skip: string | false
  /** Connection settings for database `name` as the plugin's config takes them. */
  connection (name: string): ConnectionConfig
  createDatabase (): Promise<string>
  dropDatabase (name: string): Promise<void>
  /** Runs one statement as administrator against database `name` (for killing sessions, inspecting rows). */
  admin (name: string, statement: string, params?: unknown[]): Promise<Array<Record<string, unknown>>>
}

/** Whether something listens on host:port (a fresh machine may have no database server). */
async function reachable (host: string, port: number): Promise<boolean> {
  return await new Promise(resolve => {
    const sock = connect({ host, port })
    const done = (ok: boolean): void => { sock.destroy(); resolve(ok) }
    sock.setTimeout(2000, () => { done(false) })
    sock.once('connect', () => { done(true) })
    sock.once('error', () => { done(false) })
  })
}

// SQL_TESTS_REQUIRED=1 turns a missing server into a failure instead of a skip (CI with databases)
const required = process.env.SQL_TESTS_REQUIRED === '1'
const skipUnless = async (name: string, host: string, port: number): Promise<string | false> =>
  required || await reachable(host, port) ? false : `${name} is not reachable at ${host}:${port} (start it, or set SQL_TESTS_REQUIRED=1 to fail instead of skipping)`
const pgSkip = await skipUnless('PostgreSQL', PG.host, PG.port)
const mySkip = await skipUnless('MariaDB/MySQL', MY.host, MY.port)

const unique = (): string => `scimt_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`

export const postgresServer: TestServer = {
  dialect: 'postgres',
  skip: pgSkip,
  connection: name => ({ ...PG, database: name }),
  async createDatabase () {
    const name = unique()
    await this.admin('postgres', `CREATE DATABASE "${name}"`)
    return name
  },
  async dropDatabase (name) { await this.admin('postgres', `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`) },
  async admin (name, statement, params = []) {
    const c = new pg.Client({ ...PG, database: name })
    await c.connect()
    try { return (await c.query(statement, params)).rows } finally { await c.end() }
  }
}

export const mariadbServer: TestServer = {
  dialect: 'mysql',
  skip: mySkip,
  connection: name => ({ ...MY, database: name }),
  async createDatabase () {
    const name = unique()
    await this.admin('', `CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`)
    return name
  },
  async dropDatabase (name) { await this.admin('', `DROP DATABASE IF EXISTS \`${name}\``) },
  async admin (name, statement, params = []) {
    const c = await mysql.createConnection({ ...MY, ...(name !== '' ? { database: name } : {}) })
    try {
      const [rows] = await c.query(statement, params)
      return Array.isArray(rows) ? rows as Array<Record<string, unknown>> : []
    } finally { await c.end() }
  }
}

const MSSQL_URL = process.env.MSSQL_URL
export const mssqlServer: TestServer = {
  dialect: 'mssql',
  skip: MSSQL_URL === undefined ? 'SQL Server is not available here: set MSSQL_URL (e.g. "Server=127.0.0.1,1433;User Id=sa;Password=…;Encrypt=true;TrustServerCertificate=true") to run these tests' : false,
  connection: name => ({ url: `${MSSQL_URL ?? ''};Database=${name}` }),
  async createDatabase () {
    const name = unique()
    await this.admin('master', `CREATE DATABASE [${name}]`)
    return name
  },
  async dropDatabase (name) { await this.admin('master', `IF DB_ID(N'${name}') IS NOT NULL BEGIN ALTER DATABASE [${name}] SET SINGLE_USER WITH ROLLBACK IMMEDIATE; DROP DATABASE [${name}] END`) },
  async admin (name, statement, params = []) {
    const pool = await new sql.ConnectionPool(`${MSSQL_URL ?? ''};Database=${name}`).connect()
    try {
      const r = pool.request()
      params.forEach((v, i) => { r.input(`p${i + 1}`, v) })
      return (await r.query<Record<string, unknown>>(statement)).recordset ?? []
    } finally { await pool.close() }
  }
}

export const SERVERS: TestServer[] = [postgresServer, mariadbServer, mssqlServer]

/**
 * Databases created on first use and dropped by `dropAll()` (call it from an `after` hook).
 * @example
 * const dbs = new TestDatabases(postgresServer); after(async () => { await dbs.dropAll() })
 * const name = await dbs.get('main')
 */
export class TestDatabases {
  private readonly names = new Map<string, Promise<string>>()
  constructor (readonly server: TestServer) {}
  async get (label: string): Promise<string> {
    let p = this.names.get(label)
    if (p === undefined) { p = this.server.createDatabase(); this.names.set(label, p) }
    return await p
  }

  async dropAll (): Promise<void> {
    for (const p of this.names.values()) {
      const name = await p.catch(() => undefined)
      if (name !== undefined) await this.server.dropDatabase(name)
    }
    this.names.clear()
  }
}
