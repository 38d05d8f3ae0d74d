// plugin-mssql behaviour beyond the contract, against real PostgreSQL and MariaDB: reconnect after
// the server killed every connection, 503 when the database is unreachable (and recovery), atomic
// multi-table writes, typed errors over HTTP, config problems reported with their paths.
import { describe, it, after } from 'node:test'
import assert from 'node:assert/strict'
import { createServer } from 'node:net'
import type { AddressInfo } from 'node:net'
import { createSqlPlugin, sqlOptionsFromEndpoint } from '../../lib/plugins/plugin-mssql.ts'
import { isConfigError } from '../../lib/config/errors.ts'
import { isScimError } from '../../lib/scim/errors.ts'
import { silentLogger } from '../../lib/logging/types.ts'
import type { ScimPlugin, ScimResource } from '../../lib/plugins/types.ts'
import { startTestGateway } from '../support/gateway.ts'
import { bearerTokenAuthenticator } from '../../lib/auth/index.ts'
import { Api, ctx, query } from './contract.ts'
import { SERVERS, TestDatabases, type TestServer } from './sql-support.ts'

/** A TCP port with nothing listening on it (bound, then closed). */
async function deadPort (): Promise<number> {
  const s = createServer()
  await new Promise<void>(resolve => { s.listen(0, '127.0.0.1', resolve) })
  const { port } = s.address() as AddressInfo
  await new Promise<void>(resolve => { s.close(() => { resolve() }) })
  return port
}

async function rejection (p: Promise<unknown>): Promise<{ status: number, scimType: string | undefined, detail: string }> {
  try { await p } catch (e) {
    assert.ok(isScimError(e), `expected a ScimError, got ${String(e)}`)
    return e
  }
  assert.fail('expected a rejection')
}

/** Kills every connection of this test's database from another session (the server stays up). */
async function killConnections (server: TestServer, db: string): Promise<number> {
  if (server.dialect === 'postgres') {
    const rows = await server.admin('postgres', 'SELECT pg_terminate_backend(pid) AS killed FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()', [db])
    return rows.length
  }
  const rows = await server.admin('', 'SELECT id FROM information_schema.PROCESSLIST WHERE db = ? AND id <> CONNECTION_ID()', [db])
  for (const r of rows) await server.admin('', `KILL ${Number(r.id)}`)
  return rows.length
}

for (const server of SERVERS) {
  describe(`plugin-mssql (${server.dialect})`, { skip: server.skip }, () => {
    const dbs = new TestDatabases(server)
    after(async () => { await dbs.dropAll() })
    const started = async (endpoint: Record<string, unknown> = {}): Promise<{ plugin: ScimPlugin, api: Api, db: string }> => {
      const db = await dbs.get('main')
      const plugin = createSqlPlugin(sqlOptionsFromEndpoint({ dialect: server.dialect, connection: server.connection(db), createSchema: true, ...endpoint }))
      await plugin.start?.(silentLogger)
      return { plugin, api: new Api(plugin), db }
    }

    it('reconnects after the database killed all its connections (no restart of the shared server)', async () => {
      const { plugin, api, db } = await started({ pool: { max: 3 } })
      try {
        const u = await api.createUser({ userName: `rc-${Date.now()}` })
        await Promise.all([api.userById(String(u.id)), api.userById(String(u.id)), api.userById(String(u.id))]) // fill the pool
        assert.ok(await killConnections(server, db) >= 1, 'the plugin had open connections to kill')
        // every pooled connection is dead now: the next requests must still succeed
        for (let i = 0; i < 4; i++) assert.equal((await api.userById(String(u.id)))?.id, u.id)
        const v = await api.createUser({ userName: `rc2-${Date.now()}` })
        assert.equal(typeof v.id, 'string')
        assert.equal((await plugin.health?.())?.entities.undefined?.state, 'up')
      } finally { await plugin.stop?.() }
    })

    it('an unreachable database answers 503 (typed), health says down, and the next request after it is back works', async () => {
      const port = await deadPort()
      const good = server.connection(await dbs.get('main'))
      const plugin = createSqlPlugin(sqlOptionsFromEndpoint({ dialect: server.dialect, connection: { ...good, port }, pool: { connectTimeoutMs: 2000 }, entity: { undefined: {}, ok: { connection: good } } }))
      await plugin.start?.(silentLogger)
      try {
        const err = await rejection(plugin.getUsers?.(query({ attribute: 'userName', operator: 'eq', value: 'x' }), ctx()) ?? Promise.resolve())
        assert.equal(err.status, 503)
        const h = await plugin.health?.()
        assert.equal(h?.entities.undefined?.state, 'down')
        // the other baseEntity is not affected by its neighbour's dead database
        const r = await plugin.getUsers?.(query({ attribute: 'userName', operator: 'eq', value: 'x' }), ctx('ok'))
        assert.deepEqual(r?.Resources, [])
        assert.equal((await plugin.health?.())?.entities.ok?.state, 'up')
      } finally { await plugin.stop?.() }
    })

    it('a user whose email cannot be stored is not created at all (one transaction over users and emails)', async () => {
      const { plugin, api, db } = await started()
      try {
        const userName = `tx-${Date.now()}`
        const err = await rejection(api.createUser({ userName, emails: [{ value: 'ok@example.com' }, { value: `${'x'.repeat(300)}@example.com` }] }))
        assert.equal(err.status, 400)
        assert.equal(err.scimType, 'invalidValue')
        assert.deepEqual((await api.getUsers({ attribute: 'userName', operator: 'eq', value: userName })).Resources, [])
        const rows = await server.admin(db, server.dialect === 'postgres' ? 'SELECT COUNT(*) AS n FROM scim_user_emails WHERE value = $1' : 'SELECT COUNT(*) AS n FROM scim_user_emails WHERE value = ?', ['ok@example.com'])
        assert.equal(Number(rows[0]?.n), 0, 'no orphan email row')
        // a failed modify keeps the old emails
        const u = await api.createUser({ userName, emails: [{ value: 'keep@example.com', type: 'work' }] })
        await rejection(api.modifyUser(String(u.id), { ...u, emails: [{ value: `${'y'.repeat(300)}` }] }))
        assert.deepEqual((await api.userById(String(u.id)))?.emails, [{ value: 'keep@example.com', type: 'work' }])
      } finally { await plugin.stop?.() }
    })

    it('table and column names from the config are used for DDL, writes, filters and reads', async () => {
      const db = await dbs.get('main')
      const plugin = createSqlPlugin(sqlOptionsFromEndpoint({ dialect: server.dialect, connection: server.connection(db), createSchema: true, tables: { users: 'people', emails: 'people_mail', groups: 'teams', members: 'team_members' }, columns: { users: { userName: 'login', userNameKey: 'login_key' }, members: { value: 'member' } } }))
      await plugin.start?.(silentLogger)
      try {
        const api = new Api(plugin)
        const u = await api.createUser({ userName: 'Mapped.User', emails: [{ value: 'm@example.com' }] })
        const g = await api.createGroup({ displayName: 'Mapped Team', members: [{ value: String(u.id) }] })
        assert.equal((await api.getUsers({ attribute: 'userName', operator: 'eq', value: 'mapped.user' })).Resources[0]?.id, u.id)
        assert.deepEqual((await api.userById(String(u.id)))?.groups, [{ value: g.id, display: 'Mapped Team', type: 'direct' }])
        const rows = await server.admin(db, server.dialect === 'postgres' ? 'SELECT login, login_key FROM people WHERE id = $1' : 'SELECT login, login_key FROM people WHERE id = ?', [u.id])
        assert.deepEqual(rows.map(r => [r.login, r.login_key]), [['Mapped.User', 'mapped.user']])
        assert.equal((await server.admin(db, 'SELECT member FROM team_members')).length, 1)
      } finally { await plugin.stop?.() }
    })

    it('over HTTP: duplicate userName 409 uniqueness, unknown id 404, unknown baseEntity 404, bad filter 400', async () => {
      const db = await dbs.get('main')
      const token = 'sql-' + Math.random().toString(36).slice(2)
      const plugin = createSqlPlugin(sqlOptionsFromEndpoint({ dialect: server.dialect, connection: server.connection(db), createSchema: true }))
      const gw = await startTestGateway({ plugin, options: { authenticators: [bearerTokenAuthenticator([{ token }])] } })
      const call = async (method: string, path: string, body?: unknown): Promise<{ status: number, json: Record<string, unknown> }> => {
        const res = await fetch(`${gw.url}${path}`, { method, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/scim+json' }, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) })
        const text = await res.text()
        return { status: res.status, json: text === '' ? {} : JSON.parse(text) as Record<string, unknown> }
      }
      try {
        const userName = `http-${Date.now()}`
        const user = { schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName, emails: [{ value: `${userName}@example.com`, type: 'work', primary: true }] }
        const created = await call('POST', '/Users', user)
        assert.equal(created.status, 201)
        const dup = await call('POST', '/Users', { ...user, userName: userName.toUpperCase() })
        assert.equal(dup.status, 409)
        assert.equal(dup.json.scimType, 'uniqueness')
        assert.match(String(dup.json.detail), new RegExp(userName.toUpperCase()))
        assert.equal((await call('GET', '/Users/does-not-exist')).status, 404)
        assert.equal((await call('GET', '/tenantX/Users')).status, 404)
        const bad = await call('GET', `/Users?filter=${encodeURIComponent('userName eq')}`)
        assert.equal(bad.status, 400)
        const patched = await call('PATCH', `/Users/${String(created.json.id)}`, { schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'replace', path: 'emails[type eq "work"].value', value: `new-${userName}@example.com` }] })
        assert.ok(patched.status === 200 || patched.status === 204, JSON.stringify(patched.json))
        const after = await call('GET', `/Users/${String(created.json.id)}`)
        assert.deepEqual((after.json.emails as ScimResource[]).map(e => e.value), [`new-${userName}@example.com`])
      } finally { await gw.stop() }
    })
  })
}

describe('plugin-mssql without a database', () => {
  for (const dialect of ['mssql', 'postgres', 'mysql'] as const) {
    it(`${dialect}: nothing listening is a typed 503 (real driver), health says down`, async () => {
      const port = await deadPort()
      const plugin = createSqlPlugin(sqlOptionsFromEndpoint({ dialect, connection: dialect === 'mssql' ? { url: `Server=127.0.0.1,${port};User Id=sa;Password=x;Encrypt=false;Database=none` } : { host: '127.0.0.1', port, user: 'x', database: 'none' }, pool: { connectTimeoutMs: 1000 } }))
      await plugin.start?.(silentLogger)
      try {
        const err = await rejection(plugin.getUsers?.(query({ attribute: 'userName', operator: 'eq', value: 'x' }), ctx()) ?? Promise.resolve())
        assert.equal(err.status, 503, err.detail)
        assert.equal((await plugin.health?.())?.entities.undefined?.state, 'down')
      } finally { await plugin.stop?.() }
    })
  }
})

describe('plugin-mssql config', () => {
  it('reports every problem of the endpoint section with its path, with "did you mean"', () => {
    try {
      sqlOptionsFromEndpoint({ dialect: 'oracle', conection: {}, pool: { max: 0 }, tables: { users: 'users; DROP TABLE x' }, columns: { users: { userNam: 'x' } }, entity: { a: { createSchema: 'yes' } } })
      assert.fail('expected a ConfigError')
    } catch (err) {
      assert.ok(isConfigError(err), String(err))
      const paths = err.problems.map(p => p.path)
      for (const p of ['endpoint.dialect', 'endpoint.conection', 'endpoint.pool.max', 'endpoint.tables.users', 'endpoint.columns.users.userNam', 'endpoint.entity.a.createSchema']) assert.ok(paths.includes(p), `${p} in ${paths.join(', ')}`)
      assert.match(err.message, /did you mean "connection"/)
    }
  })

  it('a connection is required, per entity when there is no default', () => {
    assert.throws(() => sqlOptionsFromEndpoint({ dialect: 'postgres' }), (e: unknown) => isConfigError(e) && e.problems.some(p => p.path === 'endpoint.connection'))
    assert.throws(() => sqlOptionsFromEndpoint({ dialect: 'postgres', entity: { a: {} } }), (e: unknown) => isConfigError(e) && e.problems.some(p => p.path === 'endpoint.entity.a.connection'))
  })

  it('entities extend the top-level connection and tables; "mariadb" and "postgresql" are aliases', () => {
    const o = sqlOptionsFromEndpoint({ dialect: 'mariadb', connection: { host: 'db', user: 'u' }, tables: { users: 'people' }, entity: { a: { connection: { database: 'a' } }, b: { tables: { groups: 'teams' } } } })
    assert.equal(o.dialect, 'mysql')
    assert.deepEqual(o.entities.a?.connection, { host: 'db', user: 'u', database: 'a' })
    assert.deepEqual(o.entities.b?.tables, { users: 'people', groups: 'teams' })
    assert.equal(sqlOptionsFromEndpoint({ dialect: 'postgresql', connection: { url: 'postgres://x' } }).dialect, 'postgres')
  })
})
