// Microsoft's Entra SCIM validation collection (../shared/conformance, used as it is) run with newman
// over real HTTP against a gateway with plugin-mssql on PostgreSQL and on MariaDB (SQL Server when
// MSSQL_URL is set), each on a freshly created database that is dropped afterwards.
import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import { createRequire } from 'node:module'
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import type { AddressInfo } from 'node:net'
import { serve } from '@hono/node-server'
import { Hono } from 'hono'
import { startTestGateway } from '../support/gateway.ts'
import { bearerTokenAuthenticator } from '../../lib/auth/index.ts'
import { createSqlPlugin, sqlOptionsFromEndpoint } from '../../lib/plugins/plugin-mssql.ts'
import { SERVERS, TestDatabases } from './sql-support.ts'

const collection = fileURLToPath(new URL('../../../shared/conformance/entra-scim-reference.postman_collection.json', import.meta.url))

interface NewmanFailure { error: { message: string, test?: string }, source?: { name?: string } }
interface NewmanSummary { run: { failures: NewmanFailure[], stats: { assertions: { total: number, failed: number }, requests: { total: number, failed: number } } } }
type NewmanRun = (opts: Record<string, unknown>, cb: (err: Error | null, summary: NewmanSummary) => void) => void

for (const server of SERVERS) {
  const skip = server.skip !== false ? server.skip : existsSync(collection) ? false : `collection not found at ${collection}`
  const dbs = new TestDatabases(server)
  after(async () => { await dbs.dropAll() })
  test(`Microsoft Entra SCIM validation collection passes against plugin-mssql (${server.dialect})`, { skip }, async () => {
    const token = 'conformance-' + Math.random().toString(36).slice(2)
    const plugin = createSqlPlugin(sqlOptionsFromEndpoint({ dialect: server.dialect, connection: server.connection(await dbs.get('main')), createSchema: true }))
    const gw = await startTestGateway({ plugin, options: { authenticators: [bearerTokenAuthenticator([{ token }])] } })
    const front = new Hono()
    front.get('/scim/Token', (c) => c.json({ token }))
    front.all('*', async (c) => await gw.gateway.app.fetch(c.req.raw))
    const http = serve({ fetch: front.fetch, port: 0, hostname: '127.0.0.1' })
    await new Promise<void>(resolve => { http.once('listening', resolve) })
    const port = (http.address() as AddressInfo).port
    try {
      const newman = createRequire(import.meta.url)('newman') as { run: NewmanRun }
      const summary = await new Promise<NewmanSummary>((resolve, reject) => {
        newman.run({
          collection,
          envVar: [{ key: 'Protocol', value: 'http' }, { key: 'Server', value: '127.0.0.1' }, { key: 'Port', value: `:${port}` }, { key: 'Api', value: 'scim' }],
          reporters: [],
          timeoutRequest: 10_000
        }, (err, s) => { if (err !== null) reject(err); else resolve(s) })
      })
      const failures = summary.run.failures.map(f => `${f.source?.name ?? '?'}: ${f.error.test ?? ''} ${f.error.message}`)
      assert.deepEqual(failures, [], `newman failures:\n${failures.join('\n')}`)
      assert.ok(summary.run.stats.assertions.total >= 100, `expected the collection's ~108 assertions, got ${summary.run.stats.assertions.total}`)
      assert.equal(summary.run.stats.requests.failed, 0)
    } finally {
      await new Promise<void>(resolve => { http.close(() => { resolve() }) })
      await gw.stop()
    }
  })
}
