// Auth benchmark (npm run bench:auth). Not a test: prints figures. For each auth method a gateway with
// plugin-loki (memory) runs in a child process; autocannon (50 connections) here measures
// GET /Users/<id> with that method's credentials, against the same request without authentication.
// Target: bearer JWT with a cached JWKS keeps >= 80% of the unauthenticated throughput.
import { spawn, type ChildProcess } from 'node:child_process'
import { cpus, loadavg, totalmem } from 'node:os'
import { createRequire } from 'node:module'

interface AcResult { requests: { average: number }, latency: { p50: number, p99: number }, non2xx: number, errors: number }
interface AcRequest { method?: string, path?: string, body?: string, headers?: Record<string, string>, setupRequest?: (req: AcRequest) => AcRequest }
type Autocannon = (opts: Record<string, unknown>) => Promise<AcResult>
const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon

const DURATION = Number(process.env.BENCH_SECONDS ?? 4)
const USERS = 200
const METHODS = (process.env.BENCH_METHODS ?? 'none,basic,bearerToken,bearerJwt-hmac,bearerJwt-jwks,bearerOAuth,basic+network').split(',')

async function startServer (method: string): Promise<{ child: ChildProcess, base: string, auth: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', new URL('./support/auth-server.ts', import.meta.url).pathname, method], { stdio: ['ignore', 'pipe', 'inherit', 'ipc'] })
  return await new Promise((resolve, reject) => {
    let buf = ''
    child.stdout?.on('data', (d: Buffer) => {
      buf += d.toString()
      const port = /PORT (\d+)/.exec(buf)?.[1]
      const auth = /AUTH ([^\n]*)\n/.exec(buf)?.[1]
      if (port !== undefined && auth !== undefined) resolve({ child, base: `http://127.0.0.1:${port}`, auth })
    })
    child.once('exit', (code) => { reject(new Error(`${method} server exited ${code}`)) })
  })
}

async function stop (child: ChildProcess): Promise<void> {
  await new Promise<void>(resolve => { child.once('exit', () => { resolve() }); child.send('stop') })
}

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3)
console.log(`node ${process.version}, ${cpus()[0]?.model ?? '?'} x${cpus().length}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, load ${loadavg().map(l => l.toFixed(1)).join(' ')}; gateway in a child process, autocannon 50 connections`)
console.log(`GET /Users/<id> over ${USERS} users; ${ROUNDS} interleaved rounds of ${DURATION}s per method (median shown), so machine load drifts alike for all`)

interface Target { method: string, child: ChildProcess, base: string, headers: Record<string, string>, ids: string[], runs: AcResult[] }
const targets: Target[] = []
try {
  for (const method of METHODS) {
    const { child, base, auth } = await startServer(method)
    const headers: Record<string, string> = { 'content-type': 'application/scim+json' }
    if (auth !== '') headers.authorization = auth
    const t: Target = { method, child, base, headers, ids: [], runs: [] }
    targets.push(t)
    for (let i = 0; i < USERS; i++) {
      const r = await fetch(`${base}/Users`, { method: 'POST', headers, body: JSON.stringify({ schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName: `user${i}@example.com`, active: true }) })
      const body = await r.json() as { id?: string }
      if (r.status !== 201 || body.id === undefined) throw new Error(`${method}: POST /Users answered ${r.status}`)
      t.ids.push(body.id)
    }
    // warm-up: JIT, JWKS fetch, verified-token cache
    await autocannon({ url: base, connections: 50, duration: 2, requests: [{ method: 'GET', headers, path: `/Users/${t.ids[0] ?? ''}` }] })
  }
  for (let round = 0; round < ROUNDS; round++) {
    for (const t of targets) {
      let k = 0
      t.runs.push(await autocannon({
        url: t.base, connections: 50, duration: DURATION,
        requests: [{ method: 'GET', headers: t.headers, setupRequest: (req: AcRequest) => ({ ...req, path: `/Users/${t.ids[k++ % t.ids.length] ?? ''}` }) }]
      }))
    }
  }
  const median = (xs: number[]): number => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)] ?? 0 }
  const baseline = median(targets.find(t => t.method === 'none')?.runs.map(r => r.requests.average) ?? [])
  for (const t of targets) {
    const rps = median(t.runs.map(r => r.requests.average))
    const p99 = median(t.runs.map(r => r.latency.p99))
    const bad = t.runs.reduce((n, r) => n + r.non2xx + r.errors, 0)
    const share = baseline > 0 ? `${((rps / baseline) * 100).toFixed(0).padStart(4)}% of no-auth` : ''
    const target = t.method === 'bearerJwt-jwks' ? '   target >= 80%' : ''
    console.log(`${t.method.padEnd(15)} ${rps.toFixed(0).padStart(7)} req/s  p99 ${String(p99).padStart(3)} ms  non2xx+errors ${bad}  ${share}${target}   runs: ${t.runs.map(r => r.requests.average.toFixed(0)).join(' / ')}`)
  }
} finally {
  for (const t of targets) await stop(t.child)
}

// what the verified-token cache saves: verifications of distinct tokens, in this process
{
  const { generateKeyPair, SignJWT } = await import('jose')
  const { bearerJwtAuthenticator } = await import('../lib/auth/index.ts')
  const secret = 'bench-hmac-secret-0123456789abcdef'
  const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true })
  const { exportSPKI } = await import('jose')
  const cases = [
    { name: 'HS256 (secret)', a: bearerJwtAuthenticator([{ secret }]), sign: async (i: number) => await new SignJWT({ sub: `u${i}` }).setProtectedHeader({ alg: 'HS256' }).setExpirationTime('1h').sign(new TextEncoder().encode(secret)) },
    { name: 'RS256 (public key)', a: bearerJwtAuthenticator([{ publicKey: await exportSPKI(publicKey) }]), sign: async (i: number) => await new SignJWT({ sub: `u${i}` }).setProtectedHeader({ alg: 'RS256' }).setExpirationTime('1h').sign(privateKey) }
  ]
  for (const c of cases) {
    const tokens = await Promise.all(Array.from({ length: 1000 }, async (_, i) => await c.sign(i)))
    const t0 = performance.now()
    for (const t of tokens) if ((await c.a.authenticate({ authorization: `Bearer ${t}`, remoteAddress: undefined })).kind !== 'ok') throw new Error('verify failed')
    const us = ((performance.now() - t0) * 1000) / tokens.length
    console.log(`uncached bearerJwt ${c.name.padEnd(18)} ${us.toFixed(0).padStart(5)} µs per verification (${(1e6 / us).toFixed(0)}/s on one core); a cached token costs one Map lookup`)
  }
}
