// The JetStream publisher against a real nats-server: acks with stream sequence, Msg-Id and
// Nats-Msg-Id headers set to the same id (a repeated id is a duplicate the stream drops), the bound
// and failure after the attempts when no stream captures the subject.
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { jetstreamManager } from '@nats-io/jetstream'
import type { NatsConnection } from '@nats-io/transport-node'
import { silentLogger } from '../logging/types.ts'
import { startTestNats, type TestNats } from '../../test/support/nats.ts'
import { createPublisher, type PubAck } from './publisher.ts'

const enc = new TextEncoder()

describe('JetStream publisher', () => {
  let nats: TestNats
  let nc: NatsConnection
  before(async () => {
    nats = await startTestNats({ tenants: ['pubtest', 'nostream'] })
    nc = await nats.connect('pubtest', 'publisher')
  })
  after(async () => { await nats?.stop() })

  it('publishes with Msg-Id = Nats-Msg-Id, acknowledged; a repeated id is a duplicate', async () => {
    const pub = createPublisher({ nc, log: silentLogger, maxInflight: 4 })
    const acks: PubAck[] = []
    for (let i = 0; i < 20; i++) {
      await pub.submit('HR.PUB', enc.encode(`{"n":${i}}`), `id-${i}`, a => acks.push(a), err => assert.fail(err))
    }
    await pub.submit('HR.PUB', enc.encode('{"n":0}'), 'id-0', a => acks.push(a), err => assert.fail(err))
    await pub.drain()
    pub.close()
    assert.equal(acks.length, 21)
    assert.equal(acks.filter(a => a.duplicate).length, 1)
    assert.ok(acks.every(a => a.stream === 'pubtest'))
    const m = await (await jetstreamManager(nc)).streams.getMessage('pubtest', { last_by_subj: 'HR.PUB' })
    assert.equal(m?.header.get('Msg-Id'), 'id-19')
    assert.equal(m?.header.get('Nats-Msg-Id'), 'id-19')
    assert.equal(pub.stats.acked, 21)
  })

  it('fails after its attempts when no stream captures the subject (the caller keeps the change)', async () => {
    const other = await nats.connect('nostream', 'publisher')
    await (await jetstreamManager(other)).streams.delete('nostream')
    const pub = createPublisher({ nc: other, log: silentLogger, attempts: 2, backoffMs: 10, timeoutMs: 2000 })
    let failure: Error | undefined
    await pub.submit('HR.X', enc.encode('{}'), 'x-1', () => assert.fail('no ack expected'), err => { failure = err })
    await pub.drain()
    pub.close()
    assert.ok(failure)
    assert.match(failure.message, /no stream|503|acknowledgement/)
    assert.equal(pub.stats.failed, 1)
    assert.equal(pub.stats.retried, 1)
  })
})
