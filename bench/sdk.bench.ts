// Cost of the plugin SDK on the hot path (npm run bench:sdk). Not a test: prints figures.
// 1. the plugin-call guard (timeout + typed errors) per call, against a direct call;
// 2. the endpointMapper, per resource inbound and outbound;
// 3. GET /Users/<id> over HTTP (plugin-loki, 10,000 users, autocannon 50 connections, gateway in this
//    process) with scimgateway.plugin.timeout on and off, interleaved.
import { createRequire } from 'node:module'
import { guardPlugin } from '../lib/core/plugin-guard.ts'
import { EndpointMapper } from '../lib/helpers/endpoint-mapper/index.ts'
import { createLokiPlugin } from '../lib/plugins/plugin-loki.ts'
import { ScimGateway } from '../lib/core/gateway.ts'
import { silentLogger } from '../lib/logging/types.ts'
import type { GetQuery, PluginContext, ScimPlugin } from '../lib/plugins/types.ts'

interface AcResult { requests: { average: number }, latency: { p50: number, p99: number }, non2xx: number }
const autocannon = createRequire(import.meta.url)('autocannon') as (opts: Record<string, unknown>) => Promise<AcResult>
const CALLS = Number(process.env.BENCH_CALLS ?? 200_000)
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5)

const q: GetQuery = { attributes: [], excludedAttributes: [], startIndex: 1 }
const ctx: PluginContext = { baseEntity: undefined, log: silentLogger, signal: new AbortController().signal, requestId: 'b' }
const trivial: ScimPlugin = { name: 'trivial', async getUsers () { return { Resources: [] } } }

async function perCall (p: ScimPlugin): Promise<number> {
  const get = p.getUsers?.bind(p)
  if (get === undefined) throw new Error('no getUsers')
  for (let i = 0; i < 20_000; i++) await get(q, ctx)
  const t0 = process.hrtime.bigint()
  for (let i = 0; i < CALLS; i++) await get(q, ctx)
  return Number(process.hrtime.bigint() - t0) / CALLS
}

console.log(`guard, ${CALLS} calls of a trivial getUsers:`)
const direct = await perCall(trivial)
const off = await perCall(guardPlugin(trivial, { timeoutMs: 0 }))
const on = await perCall(guardPlugin(trivial, { timeoutMs: 60_000 }))
console.log(`  direct           ${direct.toFixed(0)} ns/call`)
console.log(`  guard, no limit  ${off.toFixed(0)} ns/call (+${(off - direct).toFixed(0)})`)
console.log(`  guard, 60 s      ${on.toFixed(0)} ns/call (+${(on - direct).toFixed(0)})`)

const mapper = new EndpointMapper({
  user: {
    objectGUID: { mapTo: 'id', type: 'string' }, sAMAccountName: { mapTo: 'userName', type: 'string' },
    givenName: { mapTo: 'name.givenName', type: 'string' }, sn: { mapTo: 'name.familyName', type: 'string' },
    mail: { mapTo: 'emails.work', type: 'string' }, enabled: { mapTo: 'active', type: 'boolean' },
    memberOf: { mapTo: 'groups.value', type: 'array', valueMap: { g1: 'Sales', g2: 'IT' } },
    employeeID: { mapTo: 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User.employeeNumber', type: 'string' }
  }
})
const row = { objectGUID: 'x1', sAMAccountName: 'bjensen', givenName: 'Barbara', sn: 'Jensen', mail: 'bj@example.com', enabled: 'TRUE', memberOf: ['g1', 'g2', 'g3'], employeeID: '701984' }
const scim = mapper.toScim('user', row) ?? {}
const N = CALLS / 4
let t0 = process.hrtime.bigint()
for (let i = 0; i < N; i++) mapper.toScim('user', row)
const inbound = Number(process.hrtime.bigint() - t0) / N
t0 = process.hrtime.bigint()
for (let i = 0; i < N; i++) mapper.toEndpoint('user', scim)
const outbound = Number(process.hrtime.bigint() - t0) / N
console.log(`endpointMapper, 8 mapped attributes: toScim ${(inbound / 1000).toFixed(2)} µs, toEndpoint ${(outbound / 1000).toFixed(2)} µs per resource`)

const loki = createLokiPlugin({ persistence: 'memory', demoData: false })
await loki.start?.(silentLogger)
const ids: string[] = []
for (let i = 0; i < 10_000; i++) {
  const u = await loki.createUser?.({ schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName: `user${i}`, active: true }, ctx)
  ids.push(String(u?.id))
}
// interleaved, twice: the machine may be shared, so order and drift must not favour one setting
for (const timeoutMs of [0, 60_000, 0, 60_000]) {
  const gw = new ScimGateway({ plugin: { ...loki, name: 'loki', start: undefined, stop: undefined }, options: { port: 0, localhostOnly: true, allowAnonymous: true, pluginTimeoutMs: timeoutMs }, log: silentLogger })
  await gw.start()
  const requests = ids.slice(0, 2000).map(id => ({ method: 'GET', path: `/Users/${id}` }))
  await autocannon({ url: gw.url, connections: 50, duration: 2, requests })
  const r = await autocannon({ url: gw.url, connections: 50, duration: SECONDS, requests })
  console.log(`GET /Users/<id>, plugin.timeout ${timeoutMs === 0 ? 'off   ' : '60 s  '}: ${r.requests.average.toFixed(0)} req/s, p50 ${r.latency.p50} ms, p99 ${r.latency.p99} ms, non-2xx ${r.non2xx}`)
  await gw.stop()
}
await loki.stop?.()
