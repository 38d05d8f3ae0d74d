// `npm run bench:sql`: plugin-mssql on PostgreSQL and on MariaDB with 100,000 users, and plugin-loki
// (memory) with the same users for comparison, each behind a real gateway in a child process, load
// from autocannon (50 connections) here. Per backend: GET filter userName eq (req/s, p99), POST
// users/s, 100-user pages/s (random startIndex over the whole store). Each SQL run uses its own
// freshly created database, dropped at the end. A program that prints figures, not a test.
//   BENCH_USERS=100000 BENCH_SECONDS=10 npm run bench:sql
import { spawn, type ChildProcess } from 'node:child_process'
import { createRequire } from 'node:module'
import { cpus, loadavg, totalmem } from 'node:os'
import { randomBytes } from 'node:crypto'
import pg from 'pg'
import mysql from 'mysql2/promise'

interface AcResult { requests: { average: number, total: number }, latency: { p50: number, p99: number }, non2xx: number, errors: number, timeouts: number }
interface AcRequest { method?: string, path?: string, body?: string, headers?: Record<string, string>, setupRequest?: (req: AcRequest) => AcRequest }
const autocannon = createRequire(import.meta.url)('autocannon') as (opts: Record<string, unknown>) => Promise<AcResult>

const USERS = Number(process.env.BENCH_USERS ?? 100_000)
const DURATION = Number(process.env.BENCH_SECONDS ?? 10)
const TOKEN = randomBytes(12).toString('hex')
const headers = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/scim+json' }
const BACKENDS = (process.env.BENCH_BACKENDS ?? 'postgres,mysql,loki').split(',')

async function createDb (backend: string): Promise<string> {
  const name = `scimbench_${randomBytes(4).toString('hex')}`
  if (backend === 'postgres') {
    const c = new pg.Client({ host: '127.0.0.1', port: 5432, user: 'postgres', database: 'postgres' })
    await c.connect(); await c.query(`CREATE DATABASE "${name}"`); await c.end()
  } else if (backend === 'mysql') {
    const c = await mysql.createConnection({ host: '127.0.0.1', port: 3306, user: 'root', password: '' })
    await c.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`); await c.end()
  }
  return name
}

async function dropDb (backend: string, name: string): Promise<void> {
  if (backend === 'postgres') {
    const c = new pg.Client({ host: '127.0.0.1', port: 5432, user: 'postgres', database: 'postgres' })
    await c.connect(); await c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`); await c.end()
  } else if (backend === 'mysql') {
    const c = await mysql.createConnection({ host: '127.0.0.1', port: 3306, user: 'root', password: '' })
    await c.query(`DROP DATABASE IF EXISTS \`${name}\``); await c.end()
  }
}

async function startServer (backend: string, db: string): Promise<{ child: ChildProcess, base: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', new URL('./sql-server.child.ts', import.meta.url).pathname, backend, db, String(USERS), TOKEN], { stdio: ['ignore', 'pipe', 'inherit', 'ipc'] })
  const port = await new Promise<number>((resolve, reject) => {
    let buf = ''
    child.stdout?.on('data', (d: Buffer) => {
      buf += d.toString()
      const m = /PORT (\d+)/.exec(buf)
      if (m?.[1] !== undefined) resolve(Number(m[1]))
    })
    child.once('exit', code => { reject(new Error(`${backend} server exited ${code}`)) })
  })
  return { child, base: `http://127.0.0.1:${port}` }
}

const fmt = (n: number): string => Math.round(n).toLocaleString('en-US').padStart(8)
const rows: string[] = []

async function bench (backend: string): Promise<void> {
  const db = backend === 'loki' ? '-' : await createDb(backend)
  const { child, base } = await startServer(backend, db)
  const label = backend === 'loki' ? 'plugin-loki (memory)' : `plugin-mssql (${backend === 'mysql' ? 'MariaDB' : 'PostgreSQL'})`
  try {
    // distinct requests (autocannon serialises each once): 2,000 userNames spread over the store
    const names = Array.from({ length: 2000 }, (_, i) => `user${(i * 7919) % USERS}@example.com`)
    const byName = names.map(u => ({ method: 'GET', headers, path: `/Users?filter=${encodeURIComponent(`userName eq "${u}"`)}` }))
    await autocannon({ url: base, connections: 50, duration: 2, requests: byName }) // warm-up
    const get = await autocannon({ url: base, connections: 50, duration: DURATION, requests: byName })
    rows.push(`${label.padEnd(26)} GET filter userName eq   ${fmt(get.requests.average)} req/s   p99 ${String(get.latency.p99).padStart(4)} ms   non-2xx ${get.non2xx + get.errors}`)

    const pages = Array.from({ length: 1000 }, (_, i) => ({ method: 'GET', headers, path: `/Users?count=100&startIndex=${1 + ((i * 7919) % Math.max(1, USERS - 100))}` }))
    const page = await autocannon({ url: base, connections: 50, duration: DURATION, requests: pages })
    rows.push(`${label.padEnd(26)} list 100-user pages      ${fmt(page.requests.average)} pages/s p99 ${String(page.latency.p99).padStart(4)} ms   non-2xx ${page.non2xx + page.errors}`)

    let n = 0
    const t0 = performance.now()
    const post = await autocannon({
      url: base,
      connections: 50,
      duration: DURATION,
      requests: [{ method: 'POST', path: '/Users', headers, setupRequest: (req: AcRequest) => ({ ...req, body: JSON.stringify({ schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName: `new${n++}@example.com`, active: true, name: { givenName: 'New', familyName: `User ${n}` }, emails: [{ value: `new${n}@example.com`, type: 'work' }] }) }) }]
    })
    const perSec = post.requests.total / ((performance.now() - t0) / 1000)
    rows.push(`${label.padEnd(26)} POST /Users              ${fmt(perSec)} users/s p99 ${String(post.latency.p99).padStart(4)} ms   non-2xx ${post.non2xx + post.errors} (${post.requests.total} users)`)
  } finally {
    child.send('stop')
    await new Promise(resolve => { child.once('exit', resolve); setTimeout(resolve, 5000) })
    if (child.exitCode === null) child.kill('SIGKILL')
    if (backend !== 'loki') await dropDb(backend, db)
  }
}

console.log(`load average before: ${loadavg().map(l => l.toFixed(1)).join(' ')} (other processes share these cores: compare backends within one run)`)
console.log(`bench:sql — node ${process.version}, ${cpus()[0]?.model ?? '?'} x${cpus().length}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB; ${USERS.toLocaleString('en-US')} users per backend; gateway in a child process, autocannon 50 connections here, ${DURATION}s per GET run`)
for (const b of BACKENDS) {
  await bench(b)
  console.log(rows.splice(0).join('\n'))
}
console.log(`load average after: ${loadavg().map(l => l.toFixed(1)).join(' ')}`)
