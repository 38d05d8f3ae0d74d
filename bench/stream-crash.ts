// Phase 4 of bench:stream — kill -9 runs: a subscribing gateway as a child process (entity
// "undefined", plugin-loki journal) against a deployed-layout server; per run 200 users × 10
// ordered messages; the gateway is killed with -9 after about half (runs 1..3, at different
// points) or nats-server is killed with -9 (run 4) and restarted. Reported per run: messages lost
// (users not at their last message, read through GET /Users without baseEntity), order violations
// (an endpoint write of a user older than one already written), dead letters, time from the
// restart until the backlog was drained, messages given back at once (`recovered`).
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { jetstreamManager } from '@nats-io/jetstream'
import { startTestNats, DEPLOYED_LAYOUT } from '../test/support/nats.ts'
import { userMessage, publishMessage, call, BASIC } from '../test/stream/support.ts'
import { durableName } from '../lib/stream/index.ts'

const CHILD = join(import.meta.dirname, '..', 'test', 'stream', 'fixtures', 'subscriber-child.ts')
const USERS = 200
const PER = 10

async function child (env: Record<string, string>): Promise<{ p: ChildProcess, url: string }> {
  const p = spawn(process.execPath, ['--import', 'tsx', CHILD], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] })
  const port = await new Promise<number>((resolve, reject) => {
    const rl = createInterface({ input: p.stdout as NodeJS.ReadableStream })
    rl.on('line', (l) => { const m = /^READY (\d+)$/.exec(l); if (m !== null) resolve(Number(m[1])) })
    p.once('exit', (c) => { reject(new Error(`child exited ${String(c)}`)) })
  })
  return { p, url: `http://127.0.0.1:${port}` }
}

async function until (what: string, f: () => Promise<boolean>, ms: number): Promise<void> {
  const end = Date.now() + ms
  while (Date.now() < end) { if (await f()) return; await new Promise(resolve => setTimeout(resolve, 50)) }
  throw new Error(`timed out: ${what}`)
}

/** Runs the kill -9 cycles and prints one line per run. */
export async function crashRuns (): Promise<void> {
  const nats = await startTestNats({ tenants: ['crash'], ...DEPLOYED_LAYOUT })
  const dir = await mkdtemp(join(tmpdir(), 'scim-stream-crash-bench-'))
  const pub = await nats.connect('crash', 'publisher')
  const jsm = await jetstreamManager(pub)
  const creds = nats.creds('crash', 'entra')
  const writes = join(dir, 'writes.tsv')
  const env = {
    STREAM_TEST_CONFIG: JSON.stringify({
      scimgateway: {
        localhostonly: true,
        auth: { basic: [{ username: BASIC.username, password: BASIC.password }] },
        stream: { baseUrls: [nats.url], certificate: { ca: nats.caFile }, subscriber: { enabled: true, entity: { undefined: { nats: { tenant: 'crash', subject: 'ENTRA.c', jwt: creds.jwt, secret: creds.seed } } } } }
      },
      endpoint: { entity: { undefined: {} } }
    }),
    STREAM_TEST_DB: join(dir, 'loki.db'),
    STREAM_TEST_FSYNC: '0',
    STREAM_TEST_WRITES: writes,
    // the default ack_wait (30 s)
    STREAM_TEST_OPTIONS: JSON.stringify({ stateDir: join(dir, 'state'), backoff: { initialMs: 50, maxMs: 500 } })
  }
  const consumer = durableName('loki', 'undefined')
  const drained = async (): Promise<boolean> => {
    try { const ci = await jsm.consumers.info('crash', consumer); return ci.num_pending === 0 && ci.num_ack_pending === 0 } catch { return false }
  }
  const lines = async (): Promise<number> => { try { return (await readFile(writes, 'utf8')).split('\n').length - 1 } catch { return 0 } }
  let gw = await child(env)
  try {
    let recoveredBefore = 0
    for (let run = 0; run < 4; run++) {
      const base = await lines()
      for (let k = 0; k < PER; k++) {
        await Promise.all(Array.from({ length: USERS }, async (_, u) => await publishMessage(pub, 'ENTRA.c',
          userMessage(run === 0 && k === 0 ? 'createUser' : 'modifyUser', `c${u}`, { title: String(run * PER + k) }))))
      }
      const at = USERS * PER * [0.3, 0.5, 0.7, 0.5][run]!
      await until('progress', async () => await lines() >= base + at, 120_000)
      const t = performance.now()
      let what: string
      if (run < 3) {
        what = `gateway kill -9 after ~${Math.round(at)} applied`
        const gone = new Promise(resolve => gw.p.once('exit', resolve))
        gw.p.kill('SIGKILL')
        await gone
        gw = await child(env)
        recoveredBefore = 0
      } else {
        what = `nats-server kill -9 after ~${Math.round(at)} applied`
        await nats.kill9()
        await nats.restart()
      }
      await until('drained', drained, 180_000)
      const secs = (performance.now() - t) / 1000
      const users = (await call(gw.url, 'GET', `/Users?count=${USERS * 2}&attributes=userName,title`)).body?.Resources as Array<{ title?: string }>
      const last = String(run * PER + PER - 1)
      const lost = USERS - users.filter(u => u.title === last).length
      const seen = new Map<string, number>()
      let violations = 0
      for (const l of (await readFile(writes, 'utf8')).split('\n')) {
        const [u, x] = l.split('\t')
        if (u === undefined || x === undefined || u === '') continue
        if ((seen.get(u) ?? -1) > Number(x)) violations++
        seen.set(u, Math.max(Number(x), seen.get(u) ?? -1))
      }
      const st = (await call(gw.url, 'GET', '/stream/status')).body as { subscribers: Array<{ recovered: number, skippedStale: number, deadLettered: number }> }
      const s = st.subscribers[0]
      const recovered = (s?.recovered ?? 0) - (run < 3 ? 0 : recoveredBefore)
      recoveredBefore = s?.recovered ?? 0
      console.log(`kill -9 run ${run + 1} (${what}): lost ${lost}, order violations ${violations}, dead letters ${s?.deadLettered ?? '?'}, ` +
        `restart → drained ${secs.toFixed(1)} s, given back at once ${recovered}, stale redeliveries skipped ${s?.skippedStale ?? '?'}`)
    }
  } finally {
    gw.p.kill('SIGKILL')
    await pub.close()
    await nats.stop()
    await rm(dir, { recursive: true, force: true })
  }
}
