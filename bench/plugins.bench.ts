// Plugin benchmark (npm run bench:plugins). Not a test: prints figures.
// GET by id and GET with a userName filter at 50 connections, against a loki gateway directly and
// through a plugin-generic gateway forwarding to that same loki gateway over HTTP (REST client,
// keep-alive pool), in the same run. Each gateway is its own child process; autocannon runs here.
// All three share the machine's cores, so `server CPU` (share of one core used by each gateway
// during the run) is printed too, and the machine's load average: other work on the machine moves the
// figures, so direct and generic runs alternate for BENCH_ROUNDS rounds and the median ratio is the
// result. Target: generic ≥ 40 % of the direct figure.
import { spawn, type ChildProcess } from 'node:child_process'
import { cpus, loadavg, totalmem } from 'node:os'
import { createRequire } from 'node:module'

interface AcResult { requests: { average: number, total: number }, latency: { p50: number, p99: number }, non2xx: number, errors: number, timeouts: number }
interface AcRequest { method?: string, path?: string, body?: string, headers?: Record<string, string> }
type Autocannon = (opts: Record<string, unknown>) => Promise<AcResult>
const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon

const USERS = Number(process.env.BENCH_USERS ?? 2000)
const DURATION = Number(process.env.BENCH_SECONDS ?? 5)
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3)
const WARMUP = Number(process.env.BENCH_WARMUP_SECONDS ?? 1)
const CONNECTIONS = 50
const headers = { authorization: 'Basic ' + Buffer.from('gwadmin:password').toString('base64'), 'content-type': 'application/scim+json' }

async function startChild (script: string, args: string[] = []): Promise<{ child: ChildProcess, url: string }> {
  // BENCH_SERVER_NODE_ARGS: extra node flags for the gateway children (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof")
  const extra = (process.env.BENCH_SERVER_NODE_ARGS ?? '').split(' ').filter(a => a !== '')
  const child = spawn(process.execPath, [...extra, '--import', 'tsx', new URL(script, import.meta.url).pathname, ...args], { stdio: ['ignore', 'pipe', 'inherit', 'ipc'] })
  const port = await new Promise<number>((resolve, reject) => {
    let buf = ''
    child.stdout?.on('data', (d: Buffer) => {
      buf += d.toString()
      const m = /PORT (\d+)/.exec(buf)
      if (m?.[1] !== undefined) resolve(Number(m[1]))
    })
    child.once('exit', (code) => { reject(new Error(`${script} exited ${code}`)) })
  })
  return { child, url: `http://127.0.0.1:${port}` }
}

async function cpuMicros (child: ChildProcess): Promise<number> {
  return await new Promise(resolve => {
    child.once('message', (m) => { resolve((m as { cpuMicros: number }).cpuMicros) })
    child.send('cpu')
  })
}

const loki = await startChild('./support/http-server.ts')
const generic = await startChild('./support/generic-server.ts', [loki.url])
const children = [loki.child, generic.child]

async function measure (url: string, requests: AcRequest[]): Promise<AcResult & { cpu: number[] }> {
  if (WARMUP > 0) await autocannon({ url, connections: CONNECTIONS, duration: WARMUP, requests })
  const c0 = await Promise.all(children.map(cpuMicros))
  const t0 = performance.now()
  const r = await autocannon({ url, connections: CONNECTIONS, duration: DURATION, requests })
  const ms = performance.now() - t0
  const c1 = await Promise.all(children.map(cpuMicros))
  return { ...r, cpu: c1.map((c, i) => (c - (c0[i] ?? 0)) / 1000 / ms) }
}

function row (name: string, r: AcResult & { cpu: number[] }): void {
  const cpu = r.cpu.map(c => `${(100 * c).toFixed(0).padStart(3)}%`).join(' / ')
  console.log(`${name.padEnd(34)} ${r.requests.average.toFixed(0).padStart(6)} req/s  p50 ${String(r.latency.p50).padStart(3)} ms  p99 ${String(r.latency.p99).padStart(4)} ms  non2xx ${r.non2xx}  errors ${r.errors + r.timeouts}  CPU loki/generic ${cpu}`)
}

try {
  console.log(`node ${process.version}, ${cpus()[0]?.model ?? '?'} x${cpus().length}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, load average ${loadavg().map(l => l.toFixed(1)).join(' ')}; ${USERS} users; autocannon ${CONNECTIONS} connections, ${DURATION}s per run (+${WARMUP}s warm-up), ${ROUNDS} rounds`)
  // seed through loki directly; keep ids and userNames for the read runs
  const ids: string[] = []
  for (let i = 0; i < USERS; i += 100) {
    const batch = await Promise.all(Array.from({ length: Math.min(100, USERS - i) }, async (_, k) => {
      const n = i + k
      const res = await fetch(`${loki.url}/Users`, { method: 'POST', headers, body: JSON.stringify({ schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName: `user${n}@example.com`, name: { givenName: `G${n}`, familyName: `F${n}` }, emails: [{ value: `user${n}@example.com`, type: 'work' }], active: true }) })
      if (res.status !== 201) throw new Error(`seeding failed: ${res.status} ${await res.text()}`)
      return String((await res.json() as { id: string }).id)
    }))
    ids.push(...batch)
  }
  const byId: AcRequest[] = ids.map(id => ({ method: 'GET', path: `/Users/${id}`, headers }))
  const byFilter: AcRequest[] = ids.map((_, n) => ({ method: 'GET', path: `/Users?filter=${encodeURIComponent(`userName eq "user${n}@example.com"`)}`, headers }))
  for (const [name, reqs] of [['GET /Users/{id}', byId], ['GET /Users?filter=userName eq', byFilter]] as const) {
    const ratios: number[] = []
    for (let round = 1; round <= ROUNDS; round++) {
      const direct = await measure(loki.url, reqs)
      row(`${name}  direct loki`, direct)
      const via = await measure(generic.url, reqs)
      row(`${name}  generic → loki`, via)
      ratios.push(via.requests.average / direct.requests.average)
      if (direct.non2xx + via.non2xx + direct.errors + via.errors > 0) console.log('  (non-2xx or errors above: figures are not valid)')
    }
    const median = [...ratios].sort((a, b) => a - b)[Math.floor(ratios.length / 2)] ?? 0
    console.log(`${name}: generic/direct per round ${ratios.map(r => `${(100 * r).toFixed(0)} %`).join(', ')}; median ${(100 * median).toFixed(0)} % (target ≥ 40 %)${median >= 0.4 ? '' : '  BELOW TARGET'}; load average ${loadavg().map(l => l.toFixed(1)).join(' ')}`)
  }
} finally {
  for (const c of children) { c.send('stop') }
  await Promise.all(children.map(async c => await new Promise(resolve => { if (c.exitCode !== null) resolve(undefined); else c.once('exit', resolve) })))
}
