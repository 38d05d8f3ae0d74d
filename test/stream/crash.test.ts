// kill -9 of a subscribing gateway (a child process) in the middle of a 2,000-message backlog, then
// a restart: every message applied exactly once in effect (final state), none lost, none dead-lettered.
import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { jetstreamManager } from '@nats-io/jetstream'
import type { NatsConnection } from '@nats-io/transport-node'
import { startTestNats, type TestNats } from '../support/nats.ts'
import { listDeadLetters } from '../../lib/collector/nats/index.ts'
import { durableName } from '../../lib/stream/index.ts'
import { userMessage, publishMessage, waitFor, AUTH_HEADER, BASIC } from './support.ts'

const CHILD = join(import.meta.dirname, 'fixtures', 'subscriber-child.ts')

async function startChild (env: Record<string, string>): Promise<{ child: ChildProcess, port: number }> {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] })
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => { reject(new Error('child did not start within 30 s')) }, 30_000)
    const rl = createInterface({ input: child.stdout as NodeJS.ReadableStream })
    rl.on('line', (line) => { const m = /^READY (\d+)$/.exec(line); if (m !== null) { clearTimeout(timer); resolve(Number(m[1])) } })
    child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`child exited with ${String(code)}`)) })
  })
  return { child, port }
}

describe('stream: kill -9 of a subscribing gateway', { timeout: 240_000 }, () => {
  let nats: TestNats
  let pub: NatsConnection
  let dir: string
  const children: ChildProcess[] = []
  before(async () => {
    nats = await startTestNats({ tenants: ['acme'] })
    pub = await nats.connect('acme', 'publisher')
    dir = await mkdtemp(join(tmpdir(), 'scim-stream-crash-'))
  })
  after(async () => {
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL')
    await nats.stop()
    await rm(dir, { recursive: true, force: true })
  })

  it('applies every message of a 2,000 backlog exactly once in effect across a kill -9 and restart', async () => {
    const creds = nats.creds('acme', 'entra')
    const config = {
      scimgateway: {
        localhostonly: true,
        auth: { basic: [{ username: BASIC.username, password: BASIC.password }] },
        stream: {
          baseUrls: [nats.url], certificate: { ca: nats.caFile },
          subscriber: { enabled: true, entity: { crash: { nats: { tenant: 'acme', subject: 'ENTRA.crash', jwt: creds.jwt, secret: creds.seed } } } }
        }
      },
      endpoint: { entity: { crash: {} } }
    }
    const env = {
      STREAM_TEST_CONFIG: JSON.stringify(config),
      STREAM_TEST_DB: join(dir, 'loki.db'),
      STREAM_TEST_OPTIONS: JSON.stringify({ subscriber: { ackWaitMs: 2000, retry: { initialMs: 50, maxMs: 200 } } })
    }
    const users = 100
    const perUser = 20
    const jsm = await jetstreamManager(pub)
    const first = (await jsm.streams.info('acme')).state.last_seq + 1
    for (let k = 0; k < perUser; k++) {
      await Promise.all(Array.from({ length: users }, async (_, u) => await publishMessage(pub, 'ENTRA.crash',
        userMessage(k === 0 ? 'createUser' : 'modifyUser', `crash${u}`, { title: String(k) }))))
    }
    const consumer = durableName('loki', 'crash')
    const dlqBefore = (await listDeadLetters(pub, 'acme', { limit: 10_000 })).length

    const a = await startChild(env)
    children.push(a.child)
    await waitFor('a few hundred applied', async () => {
      try { return (await jsm.consumers.info('acme', consumer)).ack_floor.stream_seq >= first + 400 } catch { return false }
    }, 60_000)
    a.child.kill('SIGKILL')
    await new Promise(resolve => a.child.once('exit', resolve))
    const mid = await jsm.consumers.info('acme', consumer)
    assert.ok(mid.num_pending + mid.num_ack_pending > 0, 'killed before the backlog was done')

    const b = await startChild(env)
    children.push(b.child)
    await waitFor('backlog done', async () => {
      const ci = await jsm.consumers.info('acme', consumer)
      return ci.num_pending === 0 && ci.num_ack_pending === 0
    }, 120_000)
    const res = await fetch(`http://127.0.0.1:${b.port}/crash/Users?count=1000&attributes=userName,title`, { headers: { authorization: AUTH_HEADER } })
    const body = await res.json() as { totalResults: number, Resources: Array<{ userName: string, title?: string }> }
    assert.equal(body.totalResults, users, 'every user exists once')
    for (const u of body.Resources) assert.equal(u.title, String(perUser - 1), `${u.userName} has its last title`)
    assert.equal((await listDeadLetters(pub, 'acme', { limit: 10_000 })).length, dlqBefore, 'nothing dead-lettered')
    b.child.kill('SIGTERM')
    await new Promise(resolve => b.child.once('exit', resolve))
  })
})
