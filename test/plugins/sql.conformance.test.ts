// Microsoft's Entra SCIM validation collection (ENTRA_SCIM_COLLECTION, else ../shared/conformance) run with newman
// over real HTTP against a gateway with plugin-mssql on PostgreSQL and on MariaDB (SQL Server when
// MSSQL_URL is set), each on a freshly created database that is dropped afterwards.
import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import { startTestGateway } from '../support/gateway.ts'
import { entraCollectionSkip, runEntraCollection } from '../support/conformance.ts'
import { bearerTokenAuthenticator } from '../../lib/auth/index.ts'
import { createSqlPlugin, sqlOptionsFromEndpoint } from '../../lib/plugins/plugin-mssql.ts'
import { SERVERS, TestDatabases } from './sql-support.ts'

for (const server of SERVERS) {
  const skip = server.skip !== false ? server.skip : entraCollectionSkip()
  const dbs = new TestDatabases(server)
  after(async () => { await dbs.dropAll() })
  test(`Microsoft Entra SCIM validation collection passes against plugin-mssql (${server.dialect})`, { skip }, async () => {
    const token = 'conformance-' + Math.random().toString(36).slice(2)
    const plugin = createSqlPlugin(sqlOptionsFromEndpoint({ dialect: server.dialect, connection: server.connection(await dbs.get('main')), createSchema: true }))
    const gw = await startTestGateway({ plugin, options: { authenticators: [bearerTokenAuthenticator([{ token }])] } })
    try {
      const r = await runEntraCollection(gw.gateway.app, token)
      assert.deepEqual(r.failures, [], `newman failures:\n${r.failures.join('\n')}`)
      assert.ok(r.assertions >= 100, `expected the collection's ~108 assertions, got ${r.assertions}`)
      assert.equal(r.failedRequests, 0)
    } finally {
      await gw.stop()
    }
  })
}
