// plugin-mssql filter, sorting and paging push-down, checked differentially over HTTP: the same users
// are created in a gateway on PostgreSQL / MariaDB and in one on plugin-loki (whose results come
// from the gateway's own filter evaluator); every filter of test/plugins/fixtures/sql-filters.json —
// quotes, ';--', LIKE wildcards and unicode in every operator — must select the same users through
// both, and the tables must be intact afterwards (the injection strings are only ever parameters).
import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { startTestGateway, type TestGateway } from '../support/gateway.ts'
import { bearerTokenAuthenticator } from '../../lib/auth/index.ts'
import { createSqlPlugin, sqlOptionsFromEndpoint } from '../../lib/plugins/plugin-mssql.ts'
import { SERVERS, TestDatabases } from './sql-support.ts'

interface Fixture { users: Array<Record<string, unknown>>, filters: string[], pages: string[] }
const fixture = JSON.parse(readFileSync(new URL('./fixtures/sql-filters.json', import.meta.url), 'utf8')) as Fixture
const TOKEN = 'filters-' + Math.random().toString(36).slice(2)
const auth = { authorization: `Bearer ${TOKEN}` }

async function call (gw: TestGateway, method: string, path: string, body?: unknown): Promise<{ status: number, json: Record<string, unknown> }> {
  const res = await fetch(`${gw.url}${path}`, { method, headers: { ...auth, 'content-type': 'application/scim+json' }, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) })
  const text = await res.text()
  return { status: res.status, json: text === '' ? {} : JSON.parse(text) as Record<string, unknown> }
}

const names = (list: Record<string, unknown>): string[] => (list.Resources as Array<{ userName: string }> | undefined ?? []).map(r => r.userName)

for (const server of SERVERS) {
  describe(`plugin-mssql (${server.dialect}): filters and paging pushed down, same answers as the gateway's evaluator`, { skip: server.skip }, () => {
    const dbs = new TestDatabases(server)
    let sqlGw: TestGateway
    let lokiGw: TestGateway
    before(async () => {
      const plugin = createSqlPlugin(sqlOptionsFromEndpoint({ dialect: server.dialect, connection: server.connection(await dbs.get('main')), createSchema: true }))
      sqlGw = await startTestGateway({ plugin, options: { authenticators: [bearerTokenAuthenticator([{ token: TOKEN }])] } })
      lokiGw = await startTestGateway({ options: { authenticators: [bearerTokenAuthenticator([{ token: TOKEN }])] } })
      for (const u of fixture.users) {
        const body = { schemas: ['urn:ietf:params:scim:schemas:core:2.0:User', ...('urn:ietf:params:scim:schemas:extension:enterprise:2.0:User' in u ? ['urn:ietf:params:scim:schemas:extension:enterprise:2.0:User'] : [])], ...u }
        for (const gw of [sqlGw, lokiGw]) assert.equal((await call(gw, 'POST', '/Users', body)).status, 201, `create ${String(u.userName)}`)
      }
    })
    after(async () => {
      await sqlGw?.stop()
      await lokiGw?.stop()
      await dbs.dropAll()
    })

    for (const filter of fixture.filters) {
      it(`filter ${filter}`, async () => {
        const q = `/Users?count=100&filter=${encodeURIComponent(filter)}`
        const [a, b] = await Promise.all([call(sqlGw, 'GET', q), call(lokiGw, 'GET', q)])
        assert.equal(a.status, b.status, JSON.stringify(a.json))
        assert.deepEqual(names(a.json).sort(), names(b.json).sort())
        assert.equal(a.json.totalResults, b.json.totalResults)
      })
    }

    for (const page of fixture.pages) {
      it(`page ${page}`, async () => {
        const [a, b] = await Promise.all([call(sqlGw, 'GET', `/Users?${page}`), call(lokiGw, 'GET', `/Users?${page}`)])
        assert.equal(a.status, 200)
        if (page.includes('sortBy=userName')) assert.deepEqual(names(a.json), names(b.json), 'same order')
        else assert.deepEqual(names(a.json).sort(), names(b.json).sort())
        assert.equal(a.json.totalResults, b.json.totalResults)
        assert.equal(a.json.startIndex, b.json.startIndex)
      })
    }

    it('a boolean compared with gt is 400 invalidFilter, as in the gateway', async () => {
      const a = await call(sqlGw, 'GET', `/Users?filter=${encodeURIComponent('active gt true')}`)
      assert.equal(a.status, 400)
      assert.equal(a.json.scimType, 'invalidFilter')
    })

    it('the injection strings reached the database only as values: every table and user is still there', async () => {
      const all = await call(sqlGw, 'GET', '/Users?count=1000')
      assert.equal(all.json.totalResults, fixture.users.length)
      const name = await dbs.get('main')
      const rows = await server.admin(name, 'SELECT COUNT(*) AS n FROM scim_users')
      assert.equal(Number(rows[0]?.n), fixture.users.length)
    })
  })
}
