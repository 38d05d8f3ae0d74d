// `npm run db:init -- <dialect>` as a user runs it (a child process) against fresh PostgreSQL and
// MariaDB databases; the shipped config files validate with the plugins' own endpoint schemas.
import { describe, it, after } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { loadPluginConfig } from '../../lib/config/index.ts'
import { sqlEndpointSchema, toSqlOptions } from '../../lib/plugins/plugin-mssql.ts'
import { apiEndpointSchema } from '../../lib/plugins/plugin-api.ts'
import { soapEndpointSchema } from '../../lib/plugins/plugin-soap.ts'
import { mongoEndpointSchema } from '../../lib/plugins/plugin-mongodb.ts'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { WSDL_FILE } from './soap-server.ts'
import type { SqlEndpoint } from '../../lib/plugins/sql/options.ts'
import { MY, PG, mariadbServer, postgresServer, TestDatabases } from './sql-support.ts'

const root = fileURLToPath(new URL('../..', import.meta.url))
const dbInit = (args: string[]): { status: number | null, stdout: string, stderr: string } => {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/db-init.ts', ...args], { cwd: root, encoding: 'utf8', env: { ...process.env, DB_URL: '' } })
  return { status: r.status, stdout: r.stdout, stderr: r.stderr }
}

describe('npm run db:init', () => {
  for (const [server, url] of [[postgresServer, (db: string) => `postgres://${PG.user}@${PG.host}:${PG.port}/${db}`], [mariadbServer, (db: string) => `mysql://${MY.user}${MY.password !== '' ? `:${MY.password}` : ''}@${MY.host}:${MY.port}/${db}`]] as const) {
    const dbs = new TestDatabases(server)
    after(async () => { await dbs.dropAll() })
    it(`creates the tables and indexes in ${server.dialect}, and running it again changes nothing`, { skip: server.skip }, async () => {
      const db = await dbs.get('init')
      for (let i = 0; i < 2; i++) {
        const r = dbInit([server.dialect === 'mysql' ? 'mariadb' : 'postgres', '--url', url(db)])
        assert.equal(r.status, 0, r.stderr)
        assert.match(r.stdout, /tables and indexes present/)
      }
      const tables = server.dialect === 'postgres'
        ? await server.admin(db, "SELECT table_name AS t FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1")
        : await server.admin(db, 'SELECT table_name AS t FROM information_schema.tables WHERE table_schema = ? ORDER BY 1', [db])
      assert.deepEqual(tables.map(r => String(r.t ?? r.TABLE_NAME)).sort(), ['scim_group_members', 'scim_groups', 'scim_user_emails', 'scim_users'])
    })
  }

  it('--print prints the SQL Server statements without connecting; a bad dialect is a usage error', () => {
    const r = dbInit(['mssql', '--print'])
    assert.equal(r.status, 0, r.stderr)
    assert.match(r.stdout, /IF OBJECT_ID\(N'scim_users', N'U'\) IS NULL CREATE TABLE \[scim_users\]/)
    const bad = dbInit(['oracle'])
    assert.equal(bad.status, 2)
    assert.match(bad.stderr, /usage: npm run db:init/)
  })

  it('an unreachable database fails with a clear message and exit 1', () => {
    const r = dbInit(['postgres', '--url', 'postgres://postgres@127.0.0.1:9/none'])
    assert.equal(r.status, 1)
    assert.match(r.stderr, /db:init failed: database unavailable/)
  })
})

describe('shipped config files', () => {
  it('config/plugin-mssql.json, plugin-api.json, plugin-soap.json and plugin-mongodb.json validate with the plugins\' endpoint schemas', async () => {
    const configDir = fileURLToPath(new URL('../../config', import.meta.url))
    const m = await loadPluginConfig('mssql', { configDir, endpointSchema: sqlEndpointSchema, env: { ...process.env, MSSQL_PASSWORD: 'x' } })
    const opts = toSqlOptions(m.endpoint as SqlEndpoint)
    assert.equal(opts.dialect, 'mssql')
    assert.deepEqual(Object.keys(opts.entities), ['undefined'])
    const a = await loadPluginConfig('api', { configDir, endpointSchema: apiEndpointSchema })
    assert.ok(a.endpoint !== undefined)
    const soapCfg = await loadPluginConfig('soap', { configDir, endpointSchema: soapEndpointSchema })
    assert.equal((soapCfg.endpoint as { wsdl: string }).wsdl, 'wsdls/user-service.wsdl')
    const mongoCfg = await loadPluginConfig('mongodb', { configDir, endpointSchema: mongoEndpointSchema })
    assert.deepEqual(Object.keys((mongoCfg.endpoint as { entity: object }).entity), ['undefined', 'client-a'])
    // the shipped WSDL is the one the tests serve
    assert.equal(readFileSync(join(configDir, 'wsdls', 'user-service.wsdl'), 'utf8'), readFileSync(WSDL_FILE, 'utf8'))
  })
})
