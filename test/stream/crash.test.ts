// Per-user order across kill -9 (STREAM-CONTRACT "Order per user is preserved"): a subscribing
// gateway (a child process, entity "undefined", plugin-loki with a journal file) against a deployed
// layout server; 200 users × 10 ordered messages per round.
// 1. kill -9 of the gateway after ~1,000 applied, then a restart: the restarted run gives the dead
//    run's messages back at once (status `recovered`), and no user's message is written to the
//    endpoint after a later message of that user; every user ends at its last message.
// 2. kill -9 of nats-server in the middle of the next round (acks lost, the server's consumer state
//    possibly behind), restart on the same store: the same holds; the gateway gives the acks of
//    the last moments back after the reconnect (status `recovered` grows).
// Read back through GET /Users without a baseEntity. Nothing is dead-lettered.
import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { jetstreamManager } from '@nats-io/jetstream'
import type { NatsConnection } from '@nats-io/transport-node'
import { startTestNats, DEPLOYED_LAYOUT, type TestNats } from '../support/nats.ts'
import { durableName } from '../../lib/stream/index.ts'
import { userMessage, publishMessage, waitFor, call, BASIC } from './support.ts'

const CHILD = join(import.meta.dirname, 'fixtures', 'subscriber-child.ts')
const USERS = 200
const PER_USER = 10

async function startChild (env: Record<string, string>): Promise<{ child: ChildProcess, url: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] })
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => { reject(new Error('child did not start within 30 s')) }, 30_000)
    const rl = createInterface({ input: child.stdout as NodeJS.ReadableStream })
    rl.on('line', (line) => { const m = /^READY (\d+)$/.exec(line); if (m !== null) { clearTimeout(timer); resolve(Number(m[1])) } })
    child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`child exited with ${String(code)}`)) })
  })
  return { child, url: `http://127.0.0.1:${port}` }
}

async function kill9 (c: ChildProcess): Promise<void> {
  const gone = new Promise(resolve => c.once('exit', resolve))
  c.kill('SIGKILL')
  await gone
}

/** Users whose endpoint writes went back to an older message (title order per user). */
function violations (writesText: string): string[] {
  const last = new Map<string, number>()
  const out: string[] = []
  for (const line of writesText.split('\n')) {
    const [user, title] = line.split('\t')
    if (user === undefined || title === undefined || user === '') continue
    const t = Number(title)
    if ((last.get(user) ?? -1) > t) out.push(`${user}: ${String(last.get(user))} then ${t}`)
    last.set(user, Math.max(t, last.get(user) ?? -1))
  }
  return out
}

describe('stream: per-user order across kill -9 of the gateway and of nats-server', { timeout: 180_000 }, () => {
  let nats: TestNats
  let pub: NatsConnection
  let dir: string
  const children: ChildProcess[] = []
  before(async () => {
    nats = await startTestNats({ tenants: ['acme'], ...DEPLOYED_LAYOUT })
    pub = await nats.connect('acme', 'publisher')
    dir = await mkdtemp(join(tmpdir(), 'scim-stream-crash-'))
  })
  after(async () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL')
    await nats.stop()
    await rm(dir, { recursive: true, force: true })
  })

  it('never applies a message of a user after a later one, and ends every user at its last message', async () => {
    const creds = nats.creds('acme', 'entra')
    const config = {
      scimgateway: {
        localhostonly: true,
        auth: { basic: [{ username: BASIC.username, password: BASIC.password }] },
        stream: {
          baseUrls: [nats.url], certificate: { ca: nats.caFile },
          subscriber: { enabled: true, entity: { undefined: { nats: { tenant: 'acme', subject: 'ENTRA.crash', jwt: creds.jwt, secret: creds.seed } } } }
        }
      },
      endpoint: { entity: { undefined: {} } }
    }
    const writesFile = join(dir, 'writes.tsv')
    const env = {
      STREAM_TEST_CONFIG: JSON.stringify(config),
      STREAM_TEST_DB: join(dir, 'loki.db'),
      STREAM_TEST_FSYNC: '0',
      STREAM_TEST_WRITES: writesFile,
      // the default ack_wait (30 s): neither crash waits for it (status `recovered`)
      STREAM_TEST_OPTIONS: JSON.stringify({ stateDir: join(dir, 'state'), subscriber: { retry: { initialMs: 50, maxMs: 200 } }, backoff: { initialMs: 50, maxMs: 500 } })
    }
    const jsm = await jetstreamManager(pub)
    const consumer = durableName('loki', 'undefined')
    const publishRound = async (round: number): Promise<void> => {
      for (let k = 0; k < PER_USER; k++) {
        await Promise.all(Array.from({ length: USERS }, async (_, u) => await publishMessage(pub, 'ENTRA.crash',
          userMessage(round === 0 && k === 0 ? 'createUser' : 'modifyUser', `crash${u}`, { title: String(round * PER_USER + k) }))))
      }
    }
    const written = async (): Promise<number> => { try { return (await readFile(writesFile, 'utf8')).split('\n').length - 1 } catch { return 0 } }
    const drained = async (): Promise<boolean> => {
      try {
        const ci = await jsm.consumers.info('acme', consumer)
        return ci.num_pending === 0 && ci.num_ack_pending === 0
      } catch { return false }
    }
    const expectFinal = async (url: string, title: string): Promise<void> => {
      const res = await call(url, 'GET', `/Users?count=${USERS * 2}&attributes=userName,title`)
      const users = res.body?.Resources as Array<{ userName: string, title?: string }>
      assert.equal(users.length, USERS, 'every user exists once, in the default store')
      const wrong = users.filter(u => u.title !== title).map(u => `${u.userName}=${String(u.title)}`)
      assert.deepEqual(wrong, [], `every user ends at its last message (${title})`)
    }

    // 1. kill -9 of the gateway
    await publishRound(0)
    const a = await startChild(env)
    children.push(a.child)
    await waitFor('~1,000 applied', async () => await written() >= USERS * PER_USER / 2, 60_000)
    await kill9(a.child)
    const mid = await jsm.consumers.info('acme', consumer)
    assert.ok(mid.num_pending + mid.num_ack_pending > 0, 'killed before the backlog was done')
    const b = await startChild(env)
    children.push(b.child)
    await waitFor('round 0 done', drained, 60_000)
    await expectFinal(b.url, String(PER_USER - 1))
    const status = (await call(b.url, 'GET', '/stream/status')).body as { subscribers: Array<{ recovered: number, deadLettered: number }> }
    const recoveredAfterRestart = status.subscribers[0]?.recovered ?? 0
    assert.ok(recoveredAfterRestart > 0, 'the restarted run gave the dead run\'s messages back at once')
    assert.deepEqual(violations(await readFile(writesFile, 'utf8')), [], 'no older message written after a later one')

    // 2. kill -9 of nats-server in the middle of round 1
    const before = await written()
    await publishRound(1)
    await waitFor('~1,000 of round 1 applied', async () => await written() >= before + USERS * PER_USER / 2, 60_000)
    await nats.kill9()
    await nats.restart()
    await waitFor('round 1 done', drained, 90_000)
    await waitFor('every user at its last message', async () => {
      const res = await call(b.url, 'GET', `/Users?count=${USERS * 2}&attributes=userName,title`)
      return (res.body?.Resources as Array<{ title?: string }>).every(u => u.title === String(2 * PER_USER - 1))
    }, 30_000)
    await expectFinal(b.url, String(2 * PER_USER - 1))
    assert.deepEqual(violations(await readFile(writesFile, 'utf8')), [], 'no older message written after a later one')
    const end = (await call(b.url, 'GET', '/stream/status')).body as { subscribers: Array<{ deadLettered: number, recovered: number }> }
    assert.equal(end.subscribers[0]?.deadLettered, 0, 'nothing dead-lettered')
    assert.ok((end.subscribers[0]?.recovered ?? 0) > recoveredAfterRestart, 'after the server\'s restart the acks of the last moments were given back')
    b.child.kill('SIGTERM')
    await new Promise(resolve => b.child.once('exit', resolve))
  })
})
