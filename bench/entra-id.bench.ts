// Benchmark of plugin-entra-id against the Graph emulator (the real Microsoft Graph is not
// reachable here): a 10,000-user full listing with Graph paging, 1,000 creates with throttling
// (429 + Retry-After) injected, and 1,000 member adds through $batch — with the request counts.
// Prints figures; asserts nothing about timings.
import { tmpdir } from 'node:os'
import { randomUUID } from 'node:crypto'
import { createEntraIdPlugin, entraEndpointSchema } from '../lib/plugins/plugin-entra-id.ts'
import { validate } from '../lib/config/schema.ts'
import { silentLogger } from '../lib/logging/types.ts'
import type { PluginContext } from '../lib/plugins/types.ts'
import { startGraphEmulator, type GraphUser } from '../test/support/graph-emulator.ts'

const USERS = 10_000
const CREATES = 1_000
const CONCURRENCY = 10
const CLIENT = { client_id: 'bench', client_secret: 'bench-secret' }

const seed: GraphUser[] = Array.from({ length: USERS }, (_, i) => ({ id: randomUUID(), userPrincipalName: `user${i}@contoso.test`, displayName: `User ${i}`, givenName: 'User', surname: String(i), accountEnabled: true, mail: `user${i}@contoso.test`, employeeId: `E${i}` }))
const graph = await startGraphEmulator({ clients: [CLIENT], users: seed })
const r = validate(entraEndpointSchema, { entity: { undefined: { connection: { baseUrls: [`${graph.url}/v1.0`], auth: { type: 'oauth', options: { azureTenantId: graph.tenantId, loginUrl: graph.url, clientId: CLIENT.client_id, clientSecret: CLIENT.client_secret } } }, userNameDomain: 'contoso.test' } } })
if (!r.ok) throw new Error(JSON.stringify(r.errors))
const plugin = createEntraIdPlugin(r.value, { configDir: tmpdir(), log: silentLogger })
await plugin.start?.(silentLogger)
const ctx = (): PluginContext => ({ baseEntity: undefined, log: silentLogger, signal: new AbortController().signal, requestId: 'bench' })
const line = (name: string, v: string | number): void => { console.log(`${name.padEnd(52)} ${v}`) }

try {
  // warm-up: token + connection
  await plugin.getUsers!({ simple: { attribute: 'userName', operator: 'eq', value: 'user0' }, attributes: [], excludedAttributes: [], startIndex: 1 }, ctx())

  console.log(`plugin-entra-id → Graph emulator (${USERS} users, page size 999)`)
  graph.resetCounters()
  let t0 = performance.now()
  const all = await plugin.getUsers!({ attributes: [], excludedAttributes: [], startIndex: 1 }, ctx())
  let ms = performance.now() - t0
  line('full listing: users returned', all.Resources.length)
  line('full listing: time (ms)', ms.toFixed(0))
  line('full listing: users/s', (all.Resources.length / (ms / 1000)).toFixed(0))
  line('full listing: Graph requests (pages)', graph.requests)
  line('full listing: token requests', graph.tokenRequests)

  // 1,000 creates, CONCURRENCY at a time; every 50th create injects 3 throttled answers (Retry-After 0.2 s)
  graph.resetCounters()
  let throttled = 0
  let next = 0
  let failed = 0
  t0 = performance.now()
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
    for (let i = next++; i < CREATES; i = next++) {
      if (i % 50 === 0) { graph.throttle(3, '0.2'); throttled += 3 }
      try { await plugin.createUser!({ userName: `new${i}`, name: { givenName: 'New', familyName: String(i) }, active: true }, ctx()) } catch (e) { failed++; console.log("create failed:", (e as Error).message) }
    }
  }))
  ms = performance.now() - t0
  line(`creates: ${CREATES} at concurrency ${CONCURRENCY}, failed`, failed)
  line('creates: time (ms)', ms.toFixed(0))
  line('creates: creates/s', (CREATES / (ms / 1000)).toFixed(0))
  line('creates: throttled answers injected (429)', throttled)
  line('creates: Graph requests (retries included)', graph.requests)
  line('creates: requests per create', (graph.requests / CREATES).toFixed(3))

  // 1,000 member adds to one group as one SCIM member delta → $batch of 20
  const g = await plugin.createGroup!({ displayName: 'bench-group' }, ctx())
  const ids = seed.slice(0, 1000).map(u => ({ value: u.id }))
  graph.resetCounters()
  const batchItems0 = graph.writes.batchItems
  const batches0 = graph.writes.batches
  t0 = performance.now()
  await plugin.modifyGroup!(String(g.id), { resource: { id: String(g.id) }, operations: [], members: { add: ids, remove: [] } }, ctx())
  ms = performance.now() - t0
  line('member delta: 1,000 adds, time (ms)', ms.toFixed(0))
  line('member delta: HTTP requests ($batch POSTs)', graph.writes.batches - batches0)
  line('member delta: Graph operations inside the batches', graph.writes.batchItems - batchItems0)
  graph.resetCounters()
  const before = graph.writes.batches
  const items1 = graph.writes.batchItems
  t0 = performance.now()
  const read = await plugin.getGroups!({ simple: { attribute: 'id', operator: 'eq', value: String(g.id) }, attributes: [], excludedAttributes: [], startIndex: 1 }, ctx())
  ms = performance.now() - t0
  line('group read with 1,000 members: members', (read.Resources[0]?.members as unknown[] | undefined)?.length ?? 0)
  line('group read: time (ms)', ms.toFixed(0))
  line('group read: HTTP requests', graph.requests - (graph.writes.batchItems - items1))
  line('group read: $batch POSTs', graph.writes.batches - before)
} finally {
  await plugin.stop?.()
  await graph.stop()
}
