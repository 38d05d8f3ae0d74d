// plugin-mssql: the plugin contract suite against real PostgreSQL and MariaDB (and SQL Server when
// MSSQL_URL is set), each run in its own freshly created databases (one per baseEntity), dropped after.
import { after, describe, it } from 'node:test'
import { createSqlPlugin, sqlOptionsFromEndpoint } from '../../lib/plugins/plugin-mssql.ts'
import { registerPluginContract } from './contract.ts'
import { SERVERS, TestDatabases } from './sql-support.ts'

for (const server of SERVERS) {
  if (server.skip !== false) {
    const why = server.skip
    describe(`plugin contract: plugin-mssql (${server.dialect})`, () => {
      it('runs against a real server', { skip: why }, () => {})
    })
    console.log(`# plugin-mssql (${server.dialect}) contract skipped: ${why}`)
    continue
  }
  const dbs = new TestDatabases(server)
  after(async () => { await dbs.dropAll() })
  registerPluginContract({
    name: `plugin-mssql (${server.dialect})`,
    factory: async () => {
    const [main, a, b] = await Promise.all([dbs.get('main'), dbs.get('tenantA'), dbs.get('tenantB')])
    const plugin = createSqlPlugin(sqlOptionsFromEndpoint({
      dialect: server.dialect,
      connection: server.connection(main),
      createSchema: true,
      pool: { max: 4 },
      entity: {
        undefined: {},
        tenantA: { connection: server.connection(a) },
        // tenantB shares the main database under other table names: isolation by mapping
        tenantB: { tables: { users: 'b_users', emails: 'b_user_emails', groups: 'b_groups', members: 'b_group_members' } }
      }
    }))
    return { plugin, cleanup: async () => {} }
    },
    capabilities: { baseEntityIsolation: true, unknownBaseEntity404: true, health: true }
  })
}
