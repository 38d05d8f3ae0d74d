// End-to-end tests of the builtin NATS layout against a real nats-server (via test/support/nats.ts):
// TLS, server name, operator-mode isolation between tenants and collector types, de-duplication,
// durable pull consumers, dead letters, GW request/reply, adding tenants while running, restarts.
import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { connect as tcpConnect } from 'node:net'
import { once } from 'node:events'
import { access } from 'node:fs/promises'
import { headers } from '@nats-io/transport-node'
import type { NatsConnection } from '@nats-io/transport-node'
import { jetstream, jetstreamManager, AckPolicy, DeliverPolicy } from '@nats-io/jetstream'
import { createUser, encodeUser } from '@nats-io/jwt'
import { startTestNats } from '../../../test/support/nats.ts'
import type { TestNats } from '../../../test/support/nats.ts'
import { connectAs, deadLetterSubject, deadLetterStreamName } from './index.ts'

const A = 'tenant-a'
const B = 'tenant-b'

describe('builtin NATS server (real nats-server)', () => {
  let nats: TestNats
  before(async () => { nats = await startTestNats({ tenants: [A, B] }) })
  after(async () => { await nats.stop() })

  it('serves TLS as "SCIM-Stream" and creates the tenant streams', async () => {
    const nc = await nats.connect(A, 'publisher')
    assert.equal(nc.info?.server_name, 'SCIM-Stream')
    assert.equal(nc.info?.tls_required, true)
    const jsm = await jetstreamManager(nc)
    const si = await jsm.streams.info(A)
    assert.deepEqual(si.config.subjects, ['ENTRA.>', 'HR.>'])
    assert.equal(si.config.storage, 'file')
    assert.equal(si.config.max_age, 14 * 24 * 3600 * 1e9)
    const dlq = await jsm.streams.info(deadLetterStreamName(A))
    assert.deepEqual(dlq.config.subjects, ['DLQ.>'])
    await nc.close()
  })

  it('refuses a client that does not speak TLS', async () => {
    const sock = tcpConnect(nats.port, '127.0.0.1')
    sock.setEncoding('utf8')
    let received = ''
    sock.on('data', (d: string) => { received += d })
    await once(sock, 'connect')
    await until(() => received.includes('\r\n'))
    assert.match(received, /^INFO .*"tls_required":true/)
    sock.write('CONNECT {"verbose":false}\r\nPING\r\n')
    await until(() => /-ERR/.test(received) || sock.destroyed)
    assert.doesNotMatch(received, /PONG/)
    sock.destroy()
  })

  it('refuses a TLS client that does not trust our CA', async () => {
    const c = nats.creds(A, 'publisher')
    const { connect, jwtAuthenticator } = await import('@nats-io/transport-node')
    await assert.rejects(connect({
      servers: nats.url, reconnect: false,
      authenticator: jwtAuthenticator(c.jwt, new TextEncoder().encode(c.seed))
    }))
  })

  it('stores ENTRA and HR messages and de-duplicates by Nats-Msg-Id', async () => {
    const nc = await nats.connect(A, 'publisher')
    const js = jetstream(nc)
    const h = headers()
    h.set('Msg-Id', 'dedup-1')
    h.set('Nats-Msg-Id', 'dedup-1')
    const first = await js.publish('ENTRA.DEDUP.X', '{"n":1}', { headers: h })
    const again = await js.publish('ENTRA.DEDUP.X', '{"n":1}', { headers: h })
    const hr = await js.publish('HR.DEDUP.Y', '{"n":2}', { msgID: 'dedup-2' })
    assert.equal(first.stream, A)
    assert.equal(first.duplicate, false)
    assert.equal(again.duplicate, true)
    assert.equal(again.seq, first.seq)
    assert.equal(hr.stream, A)
    const jsm = await jetstreamManager(nc)
    const stored = await jsm.streams.getMessage(A, { seq: first.seq })
    assert.equal(stored?.header.get('Msg-Id'), 'dedup-1')
    await nc.close()
  })

  it('lets an ENTRA subscriber consume ENTRA.> with a durable pull consumer and ack', async () => {
    const pub = await nats.connect(A, 'publisher')
    await jetstream(pub).publish('ENTRA.PULL.USER', '{"u":"alice"}', { msgID: 'pull-1' })
    await jetstream(pub).publish('HR.PULL.USER', '{"u":"bob"}', { msgID: 'pull-2' })
    const nc = await nats.connect(A, 'entra')
    const jsm = await jetstreamManager(nc)
    await jsm.consumers.add(A, {
      durable_name: 'durable_pull_test', filter_subject: 'ENTRA.PULL.>',
      ack_policy: AckPolicy.Explicit, deliver_policy: DeliverPolicy.All
    })
    const consumer = await jetstream(nc).consumers.get(A, 'durable_pull_test')
    const got: string[] = []
    for await (const m of await consumer.fetch({ max_messages: 10, expires: 1000 })) {
      got.push(m.subject)
      assert.equal(await m.ackAck(), true)
    }
    assert.deepEqual(got, ['ENTRA.PULL.USER'])
    const info = await consumer.info()
    assert.equal(info.num_ack_pending, 0)
    await pub.close()
  })

  it('refuses an ENTRA subscriber HR subjects, unfiltered consumers and deleting consumers', async () => {
    const nc = await nats.connect(A, 'entra')
    const jsm = await jetstreamManager(nc)
    await assert.rejects(jsm.consumers.add(A, { durable_name: 'sneaky_hr', filter_subject: 'HR.>', ack_policy: AckPolicy.Explicit }), /Permissions Violation/)
    await assert.rejects(jsm.consumers.add(A, { durable_name: 'sneaky_all', ack_policy: AckPolicy.Explicit }), /Permissions Violation/)
    // filter in the subject says ENTRA, body says HR: the server compares them
    const forged = await nc.request(`$JS.API.CONSUMER.CREATE.${A}.forged.ENTRA.>`, JSON.stringify({
      stream_name: A, config: { name: 'forged', durable_name: 'forged', filter_subject: 'HR.>', ack_policy: 'explicit' }
    }))
    assert.match(forged.string(), /"error"/)
    await assert.rejects(jsm.consumers.delete(A, 'durable_pull_test'), /Permissions Violation/)
    const hr = await nats.connect(A, 'hr')
    const hrJsm = await jetstreamManager(hr)
    await hrJsm.consumers.add(A, { durable_name: 'durable_hr_ok', filter_subject: 'HR.>', ack_policy: AckPolicy.Explicit })
    await assert.rejects(hrJsm.consumers.add(A, { durable_name: 'hr_sneaky', filter_subject: 'ENTRA.>', ack_policy: AckPolicy.Explicit }), /Permissions Violation/)
  })

  it("refuses an ENTRA subscriber the other tenant's stream and keeps tenants apart", async () => {
    const nc = await nats.connect(A, 'entra')
    const jsm = await jetstreamManager(nc)
    await assert.rejects(jsm.consumers.add(B, { durable_name: 'cross', filter_subject: 'ENTRA.>', ack_policy: AckPolicy.Explicit }), /Permissions Violation/)
    // B's publisher (full JetStream API in its account) cannot see A's stream at all
    const pubB = await nats.connect(B, 'publisher')
    const jsmB = await jetstreamManager(pubB)
    const before = (await jsmB.streams.info(B)).state.messages
    const pubA = await nats.connect(A, 'publisher')
    await jetstream(pubA).publish('ENTRA.ISOLATION', 'x', { msgID: 'iso-1' })
    const names: string[] = []
    for await (const n of jsmB.streams.names()) names.push(n)
    assert.deepEqual(names.sort(), [B, deadLetterStreamName(B)].sort())
    assert.equal((await jsmB.streams.info(B)).state.messages, before)
  })

  it("refuses a user signed with another tenant's key", async () => {
    const a = nats.builtin.store.tenants[A]!
    const b = nats.builtin.store.tenants[B]!
    const user = createUser()
    // claims to belong to tenant A, but is signed with tenant B's (valid, scoped) signing key
    const jwt = await encodeUser('forged', user, a.publicKey, {}, {
      signer: new TextEncoder().encode(b.signingSeeds.entra), scopedUser: true
    })
    const seed = new TextDecoder().decode(user.getSeed())
    await assert.rejects(connectAs(nats.url, { jwt, seed }, nats.caFile, { reconnect: false }), /Authorization Violation/i)
  })

  it('lets a subscriber dead-letter a message that only the publisher can read', async () => {
    const nc = await nats.connect(A, 'entra')
    const ack = await jetstream(nc).publish(deadLetterSubject('ENTRA.AD.USER'), '{"bad":true}', { msgID: 'dlq-1' })
    assert.equal(ack.stream, deadLetterStreamName(A))
    await assert.rejects(jetstream(nc).publish(deadLetterSubject('HR.AD.USER'), 'x', { timeout: 1000 }))
    const jsmSub = await jetstreamManager(nc)
    await assert.rejects(jsmSub.streams.getMessage(deadLetterStreamName(A), { seq: ack.seq }), /Permissions Violation/)
    const pub = await nats.connect(A, 'publisher')
    const jsm = await jetstreamManager(pub)
    const dead = await jsm.streams.getMessage(deadLetterStreamName(A), { seq: ack.seq })
    assert.equal(dead?.subject, 'DLQ.ENTRA.AD.USER')
  })

  it('answers a GW publisher request from a GW subscriber in a queue group', async () => {
    const subs: NatsConnection[] = [await nats.connect(A, 'gw'), await nats.connect(A, 'gw')]
    const served: number[] = []
    subs.forEach((nc, i) => {
      nc.subscribe('GW.ORDERS', {
        queue: 'scimgateway',
        callback: (_err, msg) => { served.push(i); msg.respond(JSON.stringify({ status: 200, by: i, echo: msg.string() })) }
      })
    })
    await Promise.all(subs.map(async nc => await nc.flush()))
    const pub = await nats.connect(A, 'gwpublisher')
    for (let n = 0; n < 4; n++) {
      const reply = await pub.request('GW.ORDERS', `req-${n}`, { timeout: 5000 })
      const body = reply.json<{ status: number, echo: string }>()
      assert.equal(body.status, 200)
      assert.equal(body.echo, `req-${n}`)
    }
    assert.equal(served.length, 4) // each request handled exactly once
    // a GW subscriber cannot publish requests, a GW publisher cannot subscribe GW.>
    await assert.rejects(subs[0]!.request('GW.ORDERS', 'x', { timeout: 1000 }))
    const spy = await nats.connect(A, 'gwpublisher')
    const denied = new Promise<unknown>(resolve => {
      spy.subscribe('GW.>', { callback: (err) => resolve(err) })
    })
    assert.match(String(await denied), /Permissions Violation/)
    // GW.> is never captured by a stream (a JetStream ack would answer the request first)
    const admin = await nats.connect(A, 'publisher')
    await assert.rejects((await jetstreamManager(admin)).streams.find('GW.ORDERS'), /no stream matches subject/)
  })

  it('adds a tenant while the server runs', async () => {
    await nats.addTenant('tenant-new')
    const nc = await nats.connect('tenant-new', 'publisher')
    const ack = await jetstream(nc).publish('HR.NEW', 'x', { msgID: 'new-1' })
    assert.equal(ack.stream, 'tenant-new')
    const entra = await nats.connect('tenant-new', 'entra')
    await assert.rejects(jetstreamManager(entra).then(async j => await j.consumers.add(A, { durable_name: 'x', filter_subject: 'ENTRA.>' })), /Permissions Violation/)
  })

  it('keeps messages and tenants across kill -9 and restart on the same port', async () => {
    const nc = await nats.connect(A, 'publisher')
    const ack = await jetstream(nc).publish('ENTRA.PERSIST', 'kept', { msgID: 'persist-1' })
    const port = nats.port
    await nats.kill9()
    assert.equal(nats.pid, undefined)
    await nats.restart()
    assert.equal(nats.port, port)
    const fresh = await nats.connect('tenant-new', 'publisher') // tenant added at runtime survives
    assert.equal(fresh.info?.server_name, 'SCIM-Stream')
    const again = await nats.connect(A, 'publisher')
    const jsm = await jetstreamManager(again)
    const msg = await jsm.streams.getMessage(A, { seq: ack.seq })
    assert.equal(msg?.string(), 'kept')
  })
})

describe('test harness cleanup', () => {
  it('stop() kills the server and removes the temp dir', async () => {
    const nats = await startTestNats({ tenants: ['only'] })
    const pid = nats.pid
    assert.ok(pid !== undefined)
    await nats.stop()
    assert.throws(() => process.kill(pid, 0))
    await assert.rejects(access(nats.dir))
  })
})

async function until (cond: () => boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms
  while (!cond()) {
    if (Date.now() > deadline) throw new Error('condition not met in time')
    await new Promise(resolve => setTimeout(resolve, 10))
  }
}
