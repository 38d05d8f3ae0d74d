// Benchmark of plugin-ldap through the gateway over HTTP against a local throwaway slapd
// (test/support/slapd.ts, LDAPS, memberof + refint) seeded with 10,000 users. A program, not a test:
//   npm run bench:ldap            (BENCH_SECONDS=8 per run, BENCH_USERS=10000)
// Figures: GET /Users?filter=userName eq "<random user>" at 50 connections (req/s, p50/p99);
// POST /Users at 50 connections (users/s); GET /Users?startIndex=<random>&count=100 at 10
// connections (pages/s); a group with 5,000 members: PATCH add one member (ms, 30 times).
// The gateway, autocannon and slapd share this machine's cores.
import { cpus, loadavg } from 'node:os'
import { createRequire } from 'node:module'
import { performance } from 'node:perf_hooks'
import { randomUUID } from 'node:crypto'
import { Attribute } from 'ldapts'
import { startSlapd, OPENLDAP_SUFFIX } from '../test/support/slapd.ts'
import { startTestGateway } from '../test/support/gateway.ts'
import { adminClient, openLdapEndpoint } from '../test/plugins/ldap-support.ts'
import { bearerTokenAuthenticator } from '../lib/auth/index.ts'
import { createLdapPlugin, ldapOptionsFromEndpoint } from '../lib/plugins/plugin-ldap.ts'

interface AcResult { requests: { average: number, total: number }, latency: { p50: number, p99: number }, non2xx: number, errors: number, timeouts: number }
interface AcRequest { method?: string, path?: string, body?: string, headers?: Record<string, string>, setupRequest?: (req: AcRequest) => AcRequest }
type Autocannon = (opts: Record<string, unknown>) => Promise<AcResult>
const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon

const USERS = Number(process.env.BENCH_USERS ?? 10_000)
const SECONDS = Number(process.env.BENCH_SECONDS ?? 8)
const TOKEN = 'bench-' + randomUUID()
const headers = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/scim+json' }

console.log(`plugin-ldap bench — node ${process.version}, ${cpus()[0]?.model ?? '?'} x${cpus().length}, load ${loadavg().map(l => l.toFixed(1)).join(' ')}`)
console.log(`slapd (back-mdb, LDAPS) with ${USERS.toLocaleString('en-US')} users; gateway + autocannon in this process; ${SECONDS} s per run`)
const slapd = await startSlapd()
const admin = await adminClient(slapd)
try {
  const t0 = performance.now()
  for (let i = 0; i < USERS; i += 200) {
    await Promise.all(Array.from({ length: Math.min(200, USERS - i) }, async (_x, j) => {
      const uid = `bench${i + j}`
      await admin.add(`uid=${uid},ou=people,${OPENLDAP_SUFFIX}`, [
        new Attribute({ type: 'objectClass', values: ['inetOrgPerson', 'scimObject'] }), new Attribute({ type: 'uid', values: [uid] }),
        new Attribute({ type: 'cn', values: [`Bench User ${i + j}`] }), new Attribute({ type: 'sn', values: [`User ${i + j}`] }),
        new Attribute({ type: 'givenName', values: ['Bench'] }), new Attribute({ type: 'mail', values: [`${uid}@example.com`] }),
        new Attribute({ type: 'scimActive', values: ['TRUE'] })
      ])
    }))
  }
  console.log(`seeded ${USERS} users through LDAP in ${((performance.now() - t0) / 1000).toFixed(1)} s`)

  const plugin = createLdapPlugin(ldapOptionsFromEndpoint(openLdapEndpoint(slapd, { extra: { poolSize: 8, pageSize: 500 } }), '.'))
  const gw = await startTestGateway({ plugin, options: { authenticators: [bearerTokenAuthenticator([{ token: TOKEN }])] } })
  const run = async (label: string, connections: number, requests: AcRequest[], unit: string): Promise<void> => {
    await autocannon({ url: gw.url, connections, duration: 1, requests }) // warm-up
    const r = await autocannon({ url: gw.url, connections, duration: SECONDS, requests })
    console.log(`${label.padEnd(52)} ${Math.round(r.requests.average).toLocaleString('en-US').padStart(7)} ${unit}   p50 ${String(r.latency.p50).padStart(4)} ms   p99 ${String(r.latency.p99).padStart(4)} ms   non-2xx ${r.non2xx}  errors ${r.errors + r.timeouts}`)
  }
  try {
    await run('GET /Users?filter=userName eq (random), 50 conns', 50, [{ method: 'GET', headers, setupRequest: req => ({ ...req, path: `/Users?filter=${encodeURIComponent(`userName eq "bench${Math.floor(Math.random() * USERS)}"`)}` }) }], 'req/s ')
    let n = 0
    const tag = randomUUID().slice(0, 6)
    await run('POST /Users, 50 conns', 50, [{ method: 'POST', path: '/Users', headers, setupRequest: req => ({ ...req, body: JSON.stringify({ schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName: `new-${tag}-${n++}`, name: { givenName: 'New', familyName: `User ${n}` }, emails: [{ type: 'work', value: `new${n}@example.com` }], active: true }) }) }], 'users/s')
    await run('GET /Users?startIndex=(random)&count=100, 10 conns', 10, [{ method: 'GET', headers, setupRequest: req => ({ ...req, path: `/Users?startIndex=${1 + Math.floor(Math.random() * (USERS - 100))}&count=100` }) }], 'pages/s')

    // a group with 5,000 members (written directly), then single-member adds through the gateway
    const members = Array.from({ length: 5000 }, (_x, i) => `uid=bench${i},ou=people,${OPENLDAP_SUFFIX}`)
    const gname = `Big-${tag}`
    await admin.add(`cn=${gname},ou=groups,${OPENLDAP_SUFFIX}`, [new Attribute({ type: 'objectClass', values: ['groupOfNames', 'scimObject'] }), new Attribute({ type: 'cn', values: [gname] }), new Attribute({ type: 'member', values: members })])
    const call = async (method: string, path: string, body?: unknown): Promise<{ status: number, json: Record<string, unknown> }> => {
      const res = await fetch(gw.url + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) })
      const t = await res.text()
      return { status: res.status, json: t === '' ? {} : JSON.parse(t) as Record<string, unknown> }
    }
    const g = ((await call('GET', `/Groups?filter=${encodeURIComponent(`displayName eq "${gname}"`)}&excludedAttributes=members`)).json.Resources as Array<{ id: string }>)[0]
    const ids: string[] = []
    for (let i = 0; i < 30; i++) {
      const found = (await call('GET', `/Users?filter=${encodeURIComponent(`userName eq "bench${5000 + i}"`)}&attributes=id`)).json.Resources as Array<{ id: string }> | undefined
      ids.push(found?.[0]?.id ?? '')
    }
    const times: number[] = []
    for (const id of ids) {
      const t = performance.now()
      const r = await call('PATCH', `/Groups/${g?.id ?? ''}`, { schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'add', path: 'members', value: [{ value: id }] }] })
      times.push(performance.now() - t)
      if (r.status >= 300) throw new Error(`PATCH add member: ${r.status} ${JSON.stringify(r.json)}`)
    }
    // the same, at the plugin: the LDAP work of a delta without the gateway's read-back of the group
    const direct: number[] = []
    const { ctx } = await import('../test/plugins/contract-api.ts')
    for (let i = 0; i < 30; i++) {
      const id = ids[i] ?? ''
      const t = performance.now()
      await plugin.modifyGroup?.(g?.id ?? '', { resource: { id: g?.id ?? '' }, operations: [], members: { add: [], remove: [id] } }, ctx())
      direct.push(performance.now() - t)
    }
    direct.sort((a, b) => a - b)
    console.log(`${'  …plugin.modifyGroup(delta) alone (remove one)'.padEnd(52)} median ${(direct[15] ?? 0).toFixed(1)} ms   p95 ${(direct[28] ?? 0).toFixed(1)} ms`)
    times.sort((a, b) => a - b)
    const pct = (p: number): string => (times[Math.min(times.length - 1, Math.floor(p * times.length))] ?? 0).toFixed(1)
    console.log(`${'group with 5,000 members: PATCH add one member'.padEnd(52)} median ${pct(0.5)} ms   p95 ${pct(0.95)} ms   (${times.length} adds, sequential)`)
    const t = performance.now()
    const full = await call('GET', `/Groups/${g?.id ?? ''}`)
    console.log(`${'group with 5,030 members: GET with members'.padEnd(52)} ${(performance.now() - t).toFixed(0)} ms (${(full.json.members as unknown[]).length} members resolved to ids)`)
  } finally { await gw.stop() }
} finally {
  await admin.unbind().catch(() => {})
  await slapd.stop()
}
