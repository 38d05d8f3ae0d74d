// HTTP benchmark of the gateway with plugin-loki (npm run bench:http). Not a test: prints figures.
// The gateway runs in a child process; autocannon (50 connections) runs here. POST /Users is first
// measured at 16 connections with persistence off and on (npm run bench:http reports both). Each GET run is
// preceded by a short unmeasured warm-up of the same requests (JIT, caches), and uses a pre-built
// list of distinct requests (autocannon serialises each once), so the load generator, which shares
// the machine's cores with the server, costs as little as possible. `server CPU` is the share of one
// core the gateway used during the run: near 100% means the figure is the server's own limit.
import { spawn } from 'node:child_process'
import { cpus, totalmem } from 'node:os'
import { createRequire } from 'node:module'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

interface AcResult { requests: { average: number, total: number }, latency: { p50: number, p99: number, average: number }, non2xx: number, errors: number, timeouts: number }
interface AcRequest { method?: string, path?: string, body?: string, headers?: Record<string, string>, setupRequest?: (req: AcRequest) => AcRequest }
type Autocannon = (opts: Record<string, unknown>) => Promise<AcResult>
const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon

const USERS = Number(process.env.BENCH_USERS ?? 10_000)
const DURATION = Number(process.env.BENCH_SECONDS ?? 10)
const auth = 'Basic ' + Buffer.from('gwadmin:password').toString('base64')
const headers = { authorization: auth, 'content-type': 'application/scim+json' }

const WARMUP = Number(process.env.BENCH_WARMUP_SECONDS ?? 3)
const POST_CONNECTIONS = Number(process.env.BENCH_POST_CONNECTIONS ?? 16)
const POST_AMOUNT = Number(process.env.BENCH_POST_AMOUNT ?? 10_000)

interface Server { port: number, base: string, mem: () => Promise<{ rss: number, heapUsed: number }>, cpu: () => Promise<number>, syncs: () => Promise<number>, stop: () => Promise<void> }

/** Starts the gateway child; `journal` = a journal file (persistence on), otherwise in memory. */
async function startServer (journal?: string): Promise<Server> {
  const env = { ...process.env, BENCH_PERSISTENCE: journal ?? '' }
  // BENCH_SERVER_NODE_ARGS: extra node flags for the gateway child (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof")
  const extra = (process.env.BENCH_SERVER_NODE_ARGS ?? '').split(' ').filter(a => a !== '')
  const child = spawn(process.execPath, ['--expose-gc', ...extra, '--import', 'tsx', new URL('./support/http-server.ts', import.meta.url).pathname], { stdio: ['ignore', 'pipe', 'inherit', 'ipc'], env })
  const port = await new Promise<number>((resolve, reject) => {
    let buf = ''
    child.stdout?.on('data', (d: Buffer) => {
      buf += d.toString()
      const m = /PORT (\d+)/.exec(buf)
      if (m?.[1] !== undefined) resolve(Number(m[1]))
    })
    child.once('exit', (code) => { reject(new Error(`server exited ${code}`)) })
  })
  const ask = async <T>(what: string): Promise<T> => await new Promise(resolve => {
    child.once('message', (m) => { resolve(m as T) })
    child.send(what)
  })
  return {
    port,
    base: `http://127.0.0.1:${port}`,
    mem: async () => await ask<{ rss: number, heapUsed: number }>('mem'),
    cpu: async () => (await ask<{ cpuMicros: number }>('cpu')).cpuMicros,
    syncs: async () => (await ask<{ syncs: number }>('syncs')).syncs,
    stop: async () => { const done = new Promise(resolve => child.once('exit', resolve)); child.send('stop'); await done }
  }
}

/** POST /Users `amount` times over `connections`; rate = requests / wall time. */
async function postUsers (base: string, amount: number, connections: number, first: number): Promise<AcResult> {
  let n = first
  const t0 = performance.now()
  const r = await autocannon({
    url: base,
    connections,
    amount,
    requests: [{ method: 'POST', path: '/Users', headers, setupRequest: (req: AcRequest) => ({ ...req, body: userBody(n++) }) }]
  })
  // an amount-bounded run: autocannon's per-second average is coarse
  r.requests.average = r.requests.total / ((performance.now() - t0) / 1000)
  return r
}


/** A warm-up run (not reported), then the measured run with the server's CPU share. */
async function measure (requests: AcRequest[]): Promise<AcResult & { serverCpu: number }> {
  if (WARMUP > 0) await autocannon({ url: base, connections: 50, duration: WARMUP, requests })
  const c0 = await serverCpuMicros()
  const t0 = performance.now()
  const r = await autocannon({ url: base, connections: 50, duration: DURATION, requests })
  const serverCpu = (await serverCpuMicros() - c0) / 1000 / (performance.now() - t0)
  return { ...r, serverCpu }
}

function userBody (n: number): string {
  return JSON.stringify({
    schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
    userName: `user${n}@example.com`,
    externalId: `ext-${n}`,
    name: { givenName: `Given${n}`, familyName: `Family${n}`, formatted: `Given${n} Family${n}` },
    displayName: `User ${n}`,
    active: true,
    emails: [{ value: `user${n}@example.com`, type: 'work', primary: true }]
  })
}

function row (name: string, r: AcResult & { serverCpu?: number }, target: string): void {
  const cpu = r.serverCpu !== undefined ? `  server CPU ${(100 * r.serverCpu).toFixed(0).padStart(3)}%` : ''
  console.log(`${name.padEnd(38)} ${r.requests.average.toFixed(0).padStart(7)} req/s  p50 ${String(r.latency.p50).padStart(3)} ms  p99 ${String(r.latency.p99).padStart(3)} ms  non2xx ${r.non2xx}  errors ${r.errors}${cpu}   target ${target}`)
}

console.log(`node ${process.version}, ${cpus()[0]?.model ?? '?'} x${cpus().length}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB; gateway in a child process, autocannon 50 connections, ${DURATION}s per run`)

// 0) POST /Users with persistence off and on (journal + fdatasync, the shipped default), side by side
const dir = await mkdtemp(join(tmpdir(), 'bench-http-'))
for (const [label, journal] of [['off (memory)', undefined], ['on (journal, fsync)', join(dir, 'loki.db')]] as const) {
  const s = await startServer(journal)
  await postUsers(s.base, 500, POST_CONNECTIONS, 1_000_000) // warm-up
  const s0 = await s.syncs()
  const c0 = await s.cpu()
  const t0 = performance.now()
  const r = await postUsers(s.base, POST_AMOUNT, POST_CONNECTIONS, 0)
  const cpuMicros = await s.cpu() - c0
  row(`POST /Users persistence ${label}, ${POST_CONNECTIONS} conn`, { ...r, serverCpu: cpuMicros / 1000 / (performance.now() - t0) }, journal === undefined ? '' : '>= 3x scimgateway loki')
  console.log(`  server CPU per request: ${(cpuMicros / r.requests.total).toFixed(0)} µs (the rate a free core would allow: ${Math.round(r.requests.total / (cpuMicros / 1e6))}/s)`)
  if (journal !== undefined) {
    const commits = await s.syncs() - s0
    console.log(`  journal: ${r.requests.total} writes in ${commits} group commits (${(r.requests.total / Math.max(1, commits)).toFixed(1)} writes per durable commit: O_DSYNC write, or write + fdatasync)`)
  }
  await s.stop()
}
await rm(dir, { recursive: true, force: true })
if (process.env.BENCH_POST_ONLY === '1') process.exit(0)

const server = await startServer()
const base = server.base
const mem = server.mem
const serverCpuMicros = server.cpu

// 1) POST /Users: creates the users the other runs read (USERS at least)
const post = await postUsers(base, USERS, 50, 0)
row(`POST /Users (${USERS} users, memory)`, post, '>= 2,600/s')
const m1 = await mem()
console.log(`RSS after loading ${USERS} users: ${(m1.rss / 2 ** 20).toFixed(0)} MB (heap ${(m1.heapUsed / 2 ** 20).toFixed(0)} MB)   target < 200 MB`)

// 1,000 distinct users to GET (spread over the store), by id and by userName
const list = await fetch(`${base}/Users?count=${USERS}&attributes=id`, { headers: { authorization: auth } })
const all = ((await list.json()) as { Resources: Array<{ id: string }> }).Resources.map(r => r.id)
const ids = Array.from({ length: 1000 }, (_, i) => all[(i * 7919) % all.length] ?? '')
const byId = await measure(ids.map(id => ({ method: 'GET', headers, path: `/Users/${id}` })))
row('GET /Users/<id>', byId, '>= 8,000/s, p99 < 25 ms')

const names = Array.from({ length: 1000 }, (_, i) => `user${(i * 7919) % USERS}@example.com`)
const byFilter = await measure(names.map(u => ({ method: 'GET', headers, path: `/Users?filter=${encodeURIComponent(`userName eq "${u}"`)}` })))
row('GET /Users?filter=userName eq "<x>"', byFilter, '>= 7,500/s, p99 < 25 ms')

const pages = Array.from({ length: Math.ceil(USERS / 100) }, (_, i) => ({ method: 'GET', headers, path: `/Users?count=100&startIndex=${1 + i * 100}` }))
const page = await measure(pages)
row('GET /Users?count=100', page, '>= 250/s')

const m2 = await mem()
console.log(`RSS at the end: ${(m2.rss / 2 ** 20).toFixed(0)} MB`)
await server.stop()
