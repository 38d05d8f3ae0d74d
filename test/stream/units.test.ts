// Unit tests of the transport's pure parts: keyed queue, order gate, GW envelope and path rewrite.
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { KeyedQueue } from '../../lib/stream/subscriber/keyed-queue.ts'
import { OrderGate } from '../../lib/stream/subscriber/order-gate.ts'
import { decodeReply, decodeRequest, encodeEnvelope, EnvelopeError } from '../../lib/stream/publisher/envelope.ts'
import { localPath } from '../../lib/stream/publisher/responder.ts'
import { gwQueueGroup, subjectKind } from '../../lib/stream/contract/naming.ts'
import { streamPlanFromConfig } from '../../lib/stream/config.ts'
import { gatewayConfigSchema, validate } from '../../lib/config/index.ts'

describe('KeyedQueue', () => {
  it('runs one key in order and different keys concurrently, up to the limit', async () => {
    const log: string[] = []
    let running = 0
    let peak = 0
    const q = new KeyedQueue<number>(3, async (n, key) => {
      running++
      peak = Math.max(peak, running)
      await new Promise(resolve => setTimeout(resolve, (n * 7) % 5))
      log.push(`${key}:${n}`)
      running--
    })
    for (let n = 0; n < 30; n++) q.push(`k${n % 5}`, n)
    await q.idle()
    assert.equal(log.length, 30)
    for (let k = 0; k < 5; k++) {
      const seq = log.filter(l => l.startsWith(`k${k}:`)).map(l => Number(l.split(':')[1]))
      assert.deepEqual(seq, [...seq].sort((a, b) => a - b), `order of k${k}`)
    }
    assert.ok(peak > 1 && peak <= 3, `peak concurrency ${peak}`)
  })
  it('reports a failing item and goes on', async () => {
    const errors: unknown[] = []
    const done: number[] = []
    const q = new KeyedQueue<number>(2, async (n) => { if (n === 1) throw new Error('boom'); done.push(n) }, (e) => errors.push(e))
    for (const n of [0, 1, 2]) q.push('same', n)
    await q.idle()
    assert.deepEqual(done, [0, 2])
    assert.equal(errors.length, 1)
  })
})

describe('OrderGate', () => {
  it('releases contiguous deliveries at once', () => {
    const gate = new OrderGate(0, false)
    const out: number[] = []
    for (let d = 1; d <= 5; d++) gate.receive(d, 100 + d, () => out.push(d))
    assert.deepEqual(out, [1, 2, 3, 4, 5])
    assert.equal(gate.parked, 0)
  })
  it('parks behind a gap until the ack floor passes it', () => {
    const gate = new OrderGate(0, false)
    const out: number[] = []
    gate.receive(1, 11, () => out.push(1))
    gate.receive(4, 14, () => out.push(4)) // 2 and 3 went to another gateway
    gate.receive(5, 15, () => out.push(5))
    assert.deepEqual(out, [1])
    gate.settle({ ackFloorStreamSeq: 12, numAckPending: 5 }, 3)
    assert.deepEqual(out, [1], 'floor below 13: still parked')
    gate.settle({ ackFloorStreamSeq: 13, numAckPending: 3 }, 3)
    assert.deepEqual(out, [1, 4, 5])
    gate.receive(6, 16, () => out.push(6))
    assert.deepEqual(out, [1, 4, 5, 6], 'no gap any more')
  })
  it('releases everything when all ack-pending messages are its own', () => {
    const gate = new OrderGate(10, true) // pending deliveries from before the start
    const out: number[] = []
    gate.receive(11, 50, () => out.push(11))
    gate.receive(12, 51, () => out.push(12))
    assert.deepEqual(out, [])
    gate.settle({ ackFloorStreamSeq: 40, numAckPending: 2 }, 2)
    assert.deepEqual(out, [11, 12])
  })
  it('releases parked messages in stream order: a crashed run\'s redelivered messages before later ones', () => {
    const gate = new OrderGate(20, true)
    const out: number[] = []
    // later messages arrive first, then the dead run's held ones (redelivered, higher dseq)
    gate.receive(21, 60, () => out.push(60))
    gate.receive(22, 61, () => out.push(61))
    gate.receive(23, 41, () => out.push(41))
    gate.receive(24, 42, () => out.push(42))
    gate.settle({ ackFloorStreamSeq: 40, numAckPending: 4 }, 4)
    assert.deepEqual(out, [41, 42, 60, 61])
  })
})

describe('GW envelope', () => {
  it('round-trips a request and rejects other versions and shapes', () => {
    const req = { v: 1 as const, id: 'r1', method: 'post', origin: 'https://gw', path: '/cloud/Users', baseEntity: 'cloud', query: 'a=1', headers: { 'Content-Type': 'application/scim+json' }, body: '{}' }
    const back = decodeRequest(encodeEnvelope(req))
    assert.equal(back.method, 'POST')
    assert.deepEqual(back.headers, { 'content-type': 'application/scim+json' })
    assert.throws(() => decodeRequest(new TextEncoder().encode(JSON.stringify({ ...req, v: 2 }))), EnvelopeError)
    assert.throws(() => decodeRequest(new TextEncoder().encode('nope')), EnvelopeError)
    assert.throws(() => decodeRequest(new TextEncoder().encode(JSON.stringify({ ...req, path: 'x' }))), EnvelopeError)
    assert.throws(() => decodeReply(new TextEncoder().encode(JSON.stringify({ v: 1, status: 99 }))), EnvelopeError)
    assert.equal(decodeReply(encodeEnvelope({ v: 1, id: 'r1', status: 204, headers: {}, body: null })).status, 204)
  })
  it('rewrites the publisher baseEntity segment to the local one', () => {
    assert.deepEqual(localPath('/scim/cloud/v2/Users/1', 'cloud', 'onprem'), { path: '/scim/onprem/v2/Users/1', localBase: '/scim/onprem', clientBase: '/scim/cloud' })
    assert.equal(localPath('/same/Users', 'same', 'same').path, '/same/Users')
    assert.equal(localPath('/Users', undefined, 'x').path, '/Users')
  })
  it('names subjects and queue groups', () => {
    assert.equal(subjectKind('GW.a'), 'gw')
    assert.equal(subjectKind('ENTRA.AD.*'), 'jetstream')
    assert.equal(subjectKind('HR.>'), 'jetstream')
    assert.equal(subjectKind('FOO.x'), undefined)
    assert.equal(gwQueueGroup('GW.a.b'), 'scimgateway_GW_a_b')
  })
})

describe('GW publisher timeout config', () => {
  const publisherConfig = (publisher: Record<string, unknown>): unknown => ({
    scimgateway: { stream: { baseUrls: ['tls://127.0.0.1:4222'], publisher: { enabled: true, ...publisher } } }
  })
  const nats = (subject: string): Record<string, string> => ({ tenant: 't', subject, jwt: 'j', secret: 's' })

  it('takes entity.<e>.timeout, else publisher.timeout, else leaves the default to the module', () => {
    const r = validate(gatewayConfigSchema, publisherConfig({ timeout: 5000, entity: { a: { nats: nats('GW.a'), timeout: 250 }, b: { nats: nats('GW.b') } } }))
    assert.ok(r.ok, JSON.stringify(r.errors))
    assert.deepEqual(streamPlanFromConfig(r.value).publishers.map(p => [p.baseEntity, p.timeoutMs]), [['a', 250], ['b', 5000]])
    const none = validate(gatewayConfigSchema, publisherConfig({ entity: { b: { nats: nats('GW.b') } } }))
    assert.ok(none.ok)
    assert.equal(streamPlanFromConfig(none.value).publishers[0]?.timeoutMs, undefined)
  })

  it('reports every invalid timeout with its path', () => {
    const r = validate(gatewayConfigSchema, publisherConfig({ timeout: 0, entity: { a: { nats: nats('GW.a'), timeout: 'soon' }, b: { nats: nats('GW.b'), timeout: 1.5 } } }))
    assert.equal(r.ok, false)
    assert.deepEqual(r.errors.map(e => e.path).sort(), ['scimgateway.stream.publisher.entity.a.timeout', 'scimgateway.stream.publisher.entity.b.timeout', 'scimgateway.stream.publisher.timeout'])
  })
})

describe('GW responder chunking config', () => {
  const subscriberConfig = (chunking: unknown): unknown => ({
    scimgateway: { stream: { baseUrls: ['tls://127.0.0.1:4222'], subscriber: { enabled: true, chunking, entity: { a: { nats: { tenant: 't', subject: 'GW.a', jwt: 'j', secret: 's' } } } } } }
  })

  it('passes the configured limits to the plan and leaves unset ones to the defaults', () => {
    const r = validate(gatewayConfigSchema, subscriberConfig({ maxTransfers: 2, idleMs: 5000 }))
    assert.ok(r.ok, JSON.stringify(r.errors))
    assert.deepEqual(streamPlanFromConfig(r.value).gwChunking, { maxTransfers: 2, idleMs: 5000 })
    const none = validate(gatewayConfigSchema, subscriberConfig(undefined))
    assert.ok(none.ok, JSON.stringify(none.errors))
    assert.deepEqual(streamPlanFromConfig(none.value).gwChunking, {})
  })

  it('reports every invalid limit with its path', () => {
    const r = validate(gatewayConfigSchema, subscriberConfig({ maxTransfers: 0, maxBytes: 'lots', maxRequestBytes: 10, idleMs: 1.5, extra: 1 }))
    assert.equal(r.ok, false)
    const paths = r.errors.map(e => e.path).sort()
    for (const k of ['idleMs', 'maxBytes', 'maxRequestBytes', 'maxTransfers']) assert.ok(paths.includes(`scimgateway.stream.subscriber.chunking.${k}`), `${k}: ${paths.join(', ')}`)
  })
})
