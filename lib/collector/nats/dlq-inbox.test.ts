// Real nats-server tests of the dead-letter round trip (subscriber dead-letters, operator lists and
// replays) and of tenants with per-role inboxes (a user cannot read another role's inbox).
import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { jetstream, jetstreamManager, AckPolicy } from '@nats-io/jetstream'
import { startTestNats } from '../../../test/support/nats.ts'
import type { TestNats } from '../../../test/support/nats.ts'
import { connectAs, deadLetterHeaders, deadLetterSubject, listDeadLetters, replayDeadLetter } from './index.ts'

describe('dead letters and per-role inboxes (real nats-server)', () => {
  let nats: TestNats
  before(async () => { nats = await startTestNats({ tenants: ['acme'], tenantOptions: { inboxes: 'per-role' } }) })
  after(async () => { await nats.stop() })

  it('lists and replays a dead-lettered message to its original subject', async () => {
    const pub = await nats.connect('acme', 'publisher')
    const orig = await jetstream(pub).publish('ENTRA.AD.USER', '{"activityOperation":"createUser"}', { msgID: 'm-42' })
    const sub = await nats.connect('acme', 'entra')
    const info = { msgId: 'm-42', reason: 'endpoint said 400:\nbad userName', consumer: 'durable_loki_undefined', streamSeq: orig.seq }
    const first = await jetstream(sub).publish(deadLetterSubject('ENTRA.AD.USER'), '{"activityOperation":"createUser"}', { headers: deadLetterHeaders(info) })
    const retried = await jetstream(sub).publish(deadLetterSubject('ENTRA.AD.USER'), '{"activityOperation":"createUser"}', { headers: deadLetterHeaders(info) })
    assert.equal(retried.duplicate, true)

    const listed = await listDeadLetters(pub, 'acme')
    assert.equal(listed.length, 1)
    const d = listed[0]!
    assert.equal(d.seq, first.seq)
    assert.equal(d.originalSubject, 'ENTRA.AD.USER')
    assert.equal(d.msgId, 'm-42')
    assert.equal(d.reason, 'endpoint said 400: bad userName')
    assert.equal(d.consumer, 'durable_loki_undefined')
    assert.equal(d.streamSeq, orig.seq)

    const ack = await replayDeadLetter(pub, 'acme', d.seq)
    assert.equal(ack.stream, 'acme')
    assert.equal(ack.duplicate, false)
    const jsm = await jetstreamManager(pub)
    const replayed = await jsm.streams.getMessage('acme', { seq: ack.seq })
    assert.equal(replayed?.subject, 'ENTRA.AD.USER')
    assert.equal(replayed?.header.get('Msg-Id'), 'm-42')
    assert.deepEqual(await listDeadLetters(pub, 'acme'), [])
    await assert.rejects(listDeadLetters(sub, 'acme'), /Permissions Violation/)
  })

  it('gives each role its own inbox prefix and refuses the shared one', async () => {
    const entra = nats.creds('acme', 'entra')
    assert.equal(entra.inboxPrefix, '_INBOX_SUB_ENTRA')
    // with the right prefix (what nats.connect does) a pull consumer works
    const nc = await nats.connect('acme', 'entra')
    const jsm = await jetstreamManager(nc)
    await jsm.consumers.add('acme', { durable_name: 'durable_inbox', filter_subject: 'ENTRA.>', ack_policy: AckPolicy.Explicit })
    const c = await jetstream(nc).consumers.get('acme', 'durable_inbox')
    const m = await c.next({ expires: 2000 })
    assert.equal(m?.subject, 'ENTRA.AD.USER')
    m?.ack()
    // the default _INBOX and the HR role's inbox are off limits
    const plain = await connectAs(nats.url, { jwt: entra.jwt, seed: entra.seed }, nats.caFile, { reconnect: false })
    await assert.rejects(plain.request('$JS.API.INFO', '', { timeout: 1000 }), /Permissions Violation/)
    await plain.close()
    const spy = await nats.connect('acme', 'entra')
    const denied = new Promise<unknown>(resolve => { spy.subscribe('_INBOX_SUB_HR.>', { callback: err => resolve(err) }) })
    assert.match(String(await denied), /Permissions Violation/)
  })
})
