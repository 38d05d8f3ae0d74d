// Child process of bench/sql.bench.ts: one gateway (bearer auth, free port) with plugin-mssql on
// PostgreSQL or MariaDB, or plugin-loki in memory, seeded with N users (SQL: bulk inserts of 1,000
// users per transaction; loki: createUser). Prints "PORT <n>" when ready; answers "cpu" on IPC.
//   node --import tsx bench/sql-server.child.ts <postgres|mysql|loki> <database|-> <users> <token>
import { ScimGateway } from '../lib/core/gateway.ts'
import { bearerTokenAuthenticator } from '../lib/auth/index.ts'
import { silentLogger } from '../lib/logging/types.ts'
import { createLokiPlugin } from '../lib/plugins/plugin-loki.ts'
import { createSqlPlugin, sqlOptionsFromEndpoint } from '../lib/plugins/plugin-mssql.ts'
import { DIALECTS } from '../lib/plugins/sql/dialects/index.ts'
import { resolveTables } from '../lib/plugins/sql/mapping.ts'
import { initSchema } from '../lib/plugins/sql/schema-init.ts'
import { SqlStore } from '../lib/plugins/sql/store.ts'
import { SqlWriter } from '../lib/plugins/sql/writes.ts'
import type { ConnectionSettings } from '../lib/plugins/sql/db.ts'
import type { ScimPlugin, ScimResource } from '../lib/plugins/types.ts'

const [backend = 'loki', database = '-', usersArg = '100000', token = 'bench'] = process.argv.slice(2)
const USERS = Number(usersArg)

export function benchUser (i: number): ScimResource {
  const userName = `user${i}@example.com`
  return {
    schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
    userName,
    externalId: `ext-${i}`,
    active: true,
    displayName: `User Number ${i}`,
    name: { givenName: 'User', familyName: `Number ${i}` },
    emails: [{ value: userName, type: 'work', primary: true }],
    title: 'Engineer'
  }
}

let plugin: ScimPlugin
const t0 = Date.now()
if (backend === 'loki') {
  plugin = createLokiPlugin({ persistence: 'memory', demoData: false })
  await plugin.start?.(silentLogger)
  const ctx = { baseEntity: undefined, log: silentLogger, signal: new AbortController().signal, requestId: 'seed' }
  for (let i = 0; i < USERS; i++) await plugin.createUser?.(benchUser(i), ctx)
} else {
  const connection = backend === 'postgres'
    ? { host: '127.0.0.1', port: 5432, user: 'postgres', database }
    : { host: '127.0.0.1', port: 3306, user: 'root', password: '', database }
  const opts = sqlOptionsFromEndpoint({ dialect: backend, connection, pool: { max: 20 } })
  await initSchema(opts)
  const d = DIALECTS[opts.dialect]
  const db = d.open(connection as ConnectionSettings, opts.pool)
  const writer = new SqlWriter(new SqlStore(db, d, resolveTables(), { uniqueGroupDisplayName: true }))
  for (let i = 0; i < USERS; i += 1000) await writer.bulkInsertUsers(Array.from({ length: Math.min(1000, USERS - i) }, (_, k) => benchUser(i + k)))
  await db.close()
  if (backend === 'postgres') {
    const pg = DIALECTS.postgres.open(connection, opts.pool)
    await pg.exec('ANALYZE', [])
    await pg.close()
  }
  plugin = createSqlPlugin(opts)
}
process.stderr.write(`${backend}: seeded ${USERS} users in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`)
const gw = new ScimGateway({ plugin, options: { port: 0, localhostOnly: true, authenticators: [bearerTokenAuthenticator([{ token }])] }, log: silentLogger })
await gw.start()
process.stdout.write(`PORT ${gw.port}\n`)
process.on('message', (m) => {
  if (m === 'cpu') { const u = process.cpuUsage(); process.send?.({ cpuMicros: u.user + u.system }) }
  if (m === 'stop') void gw.stop().then(() => process.exit(0))
})
