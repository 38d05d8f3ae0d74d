// HTTP benchmark of the gateway with plugin-loki (npm run bench:http). Not a test: prints figures.
// The gateway runs in a child process; autocannon (50 connections) runs here.
import { spawn } from 'node:child_process'
import { cpus, totalmem } from 'node:os'
import { createRequire } from 'node:module'

interface AcResult { requests: { average: number, total: number }, latency: { p50: number, p99: number, average: number }, non2xx: number, errors: number, timeouts: number }
interface AcRequest { method?: string, path?: string, body?: string, headers?: Record<string, string>, setupRequest?: (req: AcRequest) => AcRequest }
type Autocannon = (opts: Record<string, unknown>) => Promise<AcResult>
const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon

const USERS = Number(process.env.BENCH_USERS ?? 10_000)
const DURATION = Number(process.env.BENCH_SECONDS ?? 10)
const auth = 'Basic ' + Buffer.from('gwadmin:password').toString('base64')
const headers = { authorization: auth, 'content-type': 'application/scim+json' }

const child = spawn(process.execPath, ['--expose-gc', '--import', 'tsx', new URL('./support/http-server.ts', import.meta.url).pathname], { stdio: ['ignore', 'pipe', 'inherit', 'ipc'] })
const port = await new Promise<number>((resolve, reject) => {
  let buf = ''
  child.stdout?.on('data', (d: Buffer) => {
    buf += d.toString()
    const m = /PORT (\d+)/.exec(buf)
    if (m?.[1] !== undefined) resolve(Number(m[1]))
  })
  child.once('exit', (code) => { reject(new Error(`server exited ${code}`)) })
})
const base = `http://127.0.0.1:${port}`
const mem = async (): Promise<{ rss: number, heapUsed: number }> => await new Promise(resolve => {
  child.once('message', (m) => { resolve(m as { rss: number, heapUsed: number }) })
  child.send('mem')
})

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

function row (name: string, r: AcResult, target: string): void {
  console.log(`${name.padEnd(44)} ${r.requests.average.toFixed(0).padStart(7)} req/s  p50 ${String(r.latency.p50).padStart(3)} ms  p99 ${String(r.latency.p99).padStart(3)} ms  non2xx ${r.non2xx}  errors ${r.errors}   target ${target}`)
}

console.log(`node ${process.version}, ${cpus()[0]?.model ?? '?'} x${cpus().length}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB; gateway in a child process, autocannon 50 connections, ${DURATION}s per run`)

// 1) POST /Users: creates the users the other runs read (USERS at least)
let n = 0
const post = await autocannon({
  url: base,
  connections: 50,
  amount: USERS,
  requests: [{ method: 'POST', path: '/Users', headers, setupRequest: (req: AcRequest) => ({ ...req, body: userBody(n++) }) }]
})
row(`POST /Users (${USERS} users)`, post, '>= 2,600/s')
const m1 = await mem()
console.log(`RSS after loading ${USERS} users: ${(m1.rss / 2 ** 20).toFixed(0)} MB (heap ${(m1.heapUsed / 2 ** 20).toFixed(0)} MB)   target < 200 MB`)

// find ids to GET
const list = await fetch(`${base}/Users?count=200&attributes=id`, { headers: { authorization: auth } })
const ids = ((await list.json()) as { Resources: Array<{ id: string }> }).Resources.map(r => r.id)
let k = 0
const byId = await autocannon({
  url: base, connections: 50, duration: DURATION,
  requests: [{ method: 'GET', headers, setupRequest: (req: AcRequest) => ({ ...req, path: `/Users/${ids[k++ % ids.length] ?? ''}` }) }]
})
row('GET /Users/<id>', byId, '>= 8,000/s, p99 < 25 ms')

let f = 0
const byFilter = await autocannon({
  url: base, connections: 50, duration: DURATION,
  requests: [{ method: 'GET', headers, setupRequest: (req: AcRequest) => ({ ...req, path: `/Users?filter=${encodeURIComponent(`userName eq "user${(f++ * 7919) % USERS}@example.com"`)}` }) }]
})
row('GET /Users?filter=userName eq "<x>"', byFilter, '>= 7,500/s, p99 < 25 ms')

let s = 0
const page = await autocannon({
  url: base, connections: 50, duration: DURATION,
  requests: [{ method: 'GET', headers, setupRequest: (req: AcRequest) => ({ ...req, path: `/Users?count=100&startIndex=${1 + (s++ * 100) % USERS}` }) }]
})
row('GET /Users?count=100', page, '>= 250/s')

const m2 = await mem()
console.log(`RSS at the end: ${(m2.rss / 2 ** 20).toFixed(0)} MB`)
child.send('stop')
