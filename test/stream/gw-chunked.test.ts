// GW requests and replies larger than the NATS server's max_payload (chunking, protocol version 2)
// against a real nats-server started with a small max_payload (64 KiB): bodies and lists several
// times that size round-trip complete; a queue group of two responders executes each chunked
// request exactly once; an abandoned transfer is dropped; the gateway's own size limit still gives
// 413; old responders and old publishers are handled.
import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { headers as natsHeaders, type NatsConnection } from '@nats-io/transport-node'
import { startTestNats, type TestNats } from '../support/nats.ts'
import type { ScimPlugin } from '../../lib/plugins/types.ts'
import { silentLogger } from '../../lib/logging/types.ts'
import { decodeReply, decodeRequest, encodeEnvelope, EnvelopeError } from '../../lib/stream/publisher/envelope.ts'
import { CHUNK_HEADER, decodeControl, encodeControl, sha256Hex } from '../../lib/stream/publisher/chunking.ts'
import { startGwResponder, type GwResponder } from '../../lib/stream/publisher/responder.ts'
import { createGwForwarder } from '../../lib/stream/publisher/forwarder.ts'
import { ScimError } from '../../lib/scim/errors.ts'
import type { StreamConnection } from '../../lib/stream/connection.ts'
import { streamConfig, startStreamGateway, waitFor, call, AUTH_HEADER, type Called, type StreamGateway } from './support.ts'

const MAX_PAYLOAD = 64 * 1024
const USER = 'urn:ietf:params:scim:schemas:core:2.0:User'
const ERROR = 'urn:ietf:params:scim:api:messages:2.0:Error'

const big = (n: number, c = 'x'): string => c.repeat(n)

describe('stream GW chunked requests and replies', { timeout: 60_000 }, () => {
  let nats: TestNats
  let publisher: StreamGateway
  let pair: StreamGateway[] = []
  let solo: StreamGateway
  let oldResponder: NatsConnection
  before(async () => {
    nats = await startTestNats({ tenants: ['acme'], maxPayload: MAX_PAYLOAD })
    publisher = await startStreamGateway(streamConfig(nats, {
      publisher: { cloud: { tenant: 'acme', subject: 'GW.pair' }, solo: { tenant: 'acme', subject: 'GW.solo' }, old: { tenant: 'acme', subject: 'GW.old' } },
      entities: []
    }), { plugin: { name: 'publisher' } satisfies ScimPlugin, stream: { gwTimeoutMs: 20_000 } })
    pair = [
      await startStreamGateway(streamConfig(nats, { subscriber: { onprem: { tenant: 'acme', subject: 'GW.pair' } } })),
      await startStreamGateway(streamConfig(nats, { subscriber: { onprem: { tenant: 'acme', subject: 'GW.pair' } } }))
    ]
    solo = await startStreamGateway(streamConfig(nats, { subscriber: { onprem: { tenant: 'acme', subject: 'GW.solo' } } }))
    // a responder as it was before chunking: version 1 only, a 400 without request id for anything else
    oldResponder = await nats.connect('acme', 'gw')
    oldResponder.subscribe('GW.old', {
      queue: 'scimgateway_GW_old',
      callback: (_err, msg) => {
        try {
          decodeRequest(msg.data)
          msg.respond(encodeEnvelope({ v: 1, id: 'x', status: 204, headers: {}, body: null }))
        } catch (err) {
          msg.respond(encodeEnvelope({ v: 1, id: '', status: 400, headers: {}, body: err instanceof EnvelopeError ? err.message : 'invalid' }))
        }
      }
    })
    await oldResponder.flush()
    await waitFor('responders subscribed', () => [...pair, solo].every(r => r.stream.status().responders.every(x => x.state === 'subscribed')) &&
      publisher.stream.status().connections.every(c => c.state === 'connected'))
  })
  after(async () => {
    for (const r of [...pair, solo]) await r?.stop()
    await publisher?.stop()
    await nats?.stop()
  })

  it('reads max_payload from the server info', async () => {
    const nc = await nats.connect('acme', 'gwpublisher')
    assert.equal(nc.info?.max_payload, MAX_PAYLOAD)
  })

  it('round-trips POST /Users and POST /Bulk bodies several times max_payload, like direct HTTP', async () => {
    const u = publisher.url
    const norm = (t: string): string => t.split(`${solo.url}/onprem/`).join('X/').split(`${u}/solo/`).join('X/')
    const title = big(4 * MAX_PAYLOAD, 't')
    const viaGw = await call(u, 'POST', '/solo/Users', { schemas: [USER], userName: 'chunky', title })
    assert.equal(viaGw.status, 201, viaGw.text.slice(0, 300))
    assert.equal(viaGw.body?.title, title)
    const id = String(viaGw.body?.id)
    // the created user, read through the GW (a chunked reply) and directly
    const read = await call(u, 'GET', `/solo/Users/${id}`)
    const direct = await call(solo.url, 'GET', `/onprem/Users/${id}`)
    assert.equal(read.status, 200)
    assert.ok(read.text.length > 4 * MAX_PAYLOAD)
    assert.equal(norm(read.text), norm(direct.text))
    assert.equal(read.headers.get('etag'), direct.headers.get('etag'))
    // the POST result equals a direct POST of the same body (but for ids, timestamps and locations)
    const directPost = await call(solo.url, 'POST', '/onprem/Users', { schemas: [USER], userName: 'chunky2', title })
    const strip = (b: Record<string, unknown> | undefined): unknown => ({ ...b, id: undefined, userName: undefined, meta: undefined })
    assert.equal(directPost.status, viaGw.status)
    assert.deepEqual(strip(viaGw.body), strip(directPost.body))
    assert.equal(viaGw.headers.get('content-type'), directPost.headers.get('content-type'))

    const bulk = (prefix: string): unknown => ({
      schemas: ['urn:ietf:params:scim:api:messages:2.0:BulkRequest'],
      Operations: Array.from({ length: 60 }, (_, i) => ({ method: 'POST', path: '/Users', bulkId: `b${i}`, data: { userName: `${prefix}${i}`, title: big(4096, String(i % 10)) } }))
    })
    const gwBulk = await call(u, 'POST', '/solo/Bulk', bulk('gb'))
    const dirBulk = await call(solo.url, 'POST', '/onprem/Bulk', bulk('db'))
    assert.equal(gwBulk.status, 200, gwBulk.text.slice(0, 300))
    assert.equal(gwBulk.status, dirBulk.status)
    const ops = (c: Called): unknown => (c.body?.Operations as Array<Record<string, unknown>>).map(o => [o.bulkId, o.method, o.status])
    assert.deepEqual(ops(gwBulk), ops(dirBulk))
    const listed = await call(solo.url, 'GET', `/onprem/Users?filter=${encodeURIComponent('userName sw "gb"')}&attributes=title`)
    assert.equal(listed.body?.totalResults, 60)
  })

  it('returns a GET /Users list several times max_payload complete and identical to direct HTTP', async () => {
    const u = publisher.url
    for (let i = 0; i < 6; i++) {
      const r = await call(solo.url, 'POST', '/onprem/Users', { schemas: [USER], userName: `lister${i}`, title: big(MAX_PAYLOAD, 'l') })
      assert.equal(r.status, 201)
    }
    const norm = (t: string): string => t.split(`${solo.url}/onprem/`).join('X/').split(`${u}/solo/`).join('X/')
    const viaGw = await call(u, 'GET', '/solo/Users')
    const direct = await call(solo.url, 'GET', '/onprem/Users')
    assert.equal(viaGw.status, 200)
    assert.ok(viaGw.text.length > 6 * MAX_PAYLOAD, `${viaGw.text.length} bytes`)
    assert.equal(norm(viaGw.text), norm(direct.text))
  })

  it('executes each of several concurrent chunked requests exactly once in a queue group of two', async () => {
    const handled = (): number[] => pair.map(r => r.stream.status().responders[0]?.handled ?? 0)
    const before = handled()
    const n = 6
    const res = await Promise.all(Array.from({ length: n }, async (_, i) =>
      await call(publisher.url, 'POST', '/cloud/Users', { schemas: [USER], userName: `cc${i}`, title: big(3 * MAX_PAYLOAD, String(i)) })))
    for (const r of res) assert.equal(r.status, 201, r.text.slice(0, 300))
    const delta = handled().map((h, i) => h - (before[i] ?? 0))
    assert.equal(delta.reduce((a, b) => a + b, 0), n, `each request executed once: ${delta.join('/')}`)
    for (let i = 0; i < n; i++) {
      const hits = await Promise.all(pair.map(async r => (await call(r.url, 'GET', `/onprem/Users?filter=${encodeURIComponent(`userName eq "cc${i}"`)}&attributes=title`)).body))
      assert.equal(hits.reduce((a, b) => a + Number(b?.totalResults), 0), 1, `cc${i} exists exactly once`)
      const found = hits.find(h => h?.totalResults === 1)?.Resources as Array<Record<string, unknown>>
      assert.equal(found[0]?.title, big(3 * MAX_PAYLOAD, String(i)), `cc${i} arrived intact`)
    }
  })

  it('still answers 413 for a request above the gateway\'s own size limit', async () => {
    // the publishing gateway refuses what exceeds its own maxPayloadBytes/bulk limit (1 MiB by default)
    // before transferring anything; the executing gateway would refuse the reassembled request too
    const r = await call(publisher.url, 'POST', '/solo/Users', { schemas: [USER], userName: 'huge', title: big(1100 * 1024) })
    assert.equal(r.status, 413, r.text)
    assert.deepEqual(r.body?.schemas, [ERROR])
    assert.match(String(r.body?.detail), /exceeds the limit of 1048576 bytes/, 'the gateway\'s maxPayloadBytes')
    assert.equal((await call(solo.url, 'GET', `/onprem/Users?filter=${encodeURIComponent('userName eq "huge"')}`)).body?.totalResults, 0)
  })

  it('answers 413 at the publisher above its maxRequestBytes, before anything is sent', async () => {
    const nc = await nats.connect('acme', 'gwpublisher')
    const connection = { name: 't', current: () => nc } as unknown as StreamConnection
    const forward = createGwForwarder({ routeOf: () => ({ subject: 'GW.nobody', connection }), maxRequestBytes: 1000 })
    const route = { baseEntity: 'x', version: undefined, resource: 'Users' as const, id: undefined, rest: [], prefix: '/x' }
    const rc = { baseEntity: 'x', requestId: 'r1', log: silentLogger, signal: new AbortController().signal, locationBase: 'http://p/x', version: '2.0' as const }
    for (const stream of [false, true]) {
      const body = big(2000)
      const req = new Request('http://p/x/Users', {
        method: 'POST',
        body: stream ? new Blob([body]).stream() : body,
        ...(stream ? { duplex: 'half' } : {})
      } as RequestInit)
      await assert.rejects(forward(req, route, rc), (err: unknown) => err instanceof ScimError && err.status === 413, `streamed: ${String(stream)}`)
    }
  })

  it('applies the responder limits from the config (scimgateway.stream.subscriber.chunking)', async () => {
    const tightPublisher = await startStreamGateway(streamConfig(nats, { publisher: { tight: { tenant: 'acme', subject: 'GW.tight' } }, entities: [] }),
      { plugin: { name: 'publisher' } satisfies ScimPlugin, stream: { gwTimeoutMs: 20_000 } })
    const tight = await startStreamGateway(streamConfig(nats, { subscriber: { onprem: { tenant: 'acme', subject: 'GW.tight' } }, chunking: { maxRequestBytes: 100_000 } }))
    try {
      await waitFor('tight responder subscribed', () => tight.stream.status().responders.every(x => x.state === 'subscribed') &&
        tightPublisher.stream.status().connections.every(c => c.state === 'connected'))
      const ok = await call(tightPublisher.url, 'POST', '/tight/Users', { schemas: [USER], userName: 'fits', title: big(80_000) })
      assert.equal(ok.status, 201, ok.text.slice(0, 300))
      const over = await call(tightPublisher.url, 'POST', '/tight/Users', { schemas: [USER], userName: 'over', title: big(150_000) })
      assert.equal(over.status, 413, over.text.slice(0, 300))
      assert.match(String(over.body?.detail), /exceeds the responder's limit of 100000 bytes/)
      assert.equal((await call(tight.url, 'GET', `/onprem/Users?filter=${encodeURIComponent('userName eq "over"')}`)).body?.totalResults, 0)
    } finally {
      await tight.stop()
      await tightPublisher.stop()
    }
  })

  it('turns an old responder\'s answer to a chunked request into a 413', async () => {
    const small = await call(publisher.url, 'DELETE', '/old/Users/1')
    assert.equal(small.status, 204, 'small requests still work with an old responder')
    const r = await call(publisher.url, 'POST', '/old/Users', { schemas: [USER], userName: 'x', title: big(2 * MAX_PAYLOAD) })
    assert.equal(r.status, 413)
    assert.deepEqual(r.body?.schemas, [ERROR])
    assert.match(String(r.body?.detail), /responder does not support chunked requests/)
  })

  it('never sends chunks to an old publisher: a reply above max_payload is a 502', async () => {
    const nc = await nats.connect('acme', 'gwpublisher')
    const req = { v: 1 as const, id: 'old-pub', method: 'GET', origin: 'http://old.example', path: '/onprem/Users', baseEntity: 'onprem', query: '', headers: {}, body: null }
    const reply = decodeReply((await nc.request('GW.solo', encodeEnvelope(req), { timeout: 10_000 })).data)
    assert.equal(reply.status, 502)
    assert.match(String(reply.body), /max_payload/)
  })

  it('drops an abandoned chunked request on the responder after the idle timeout', async () => {
    const rnc = await nats.connect('acme', 'gw')
    const responder: GwResponder = startGwResponder({
      nc: rnc, subject: 'GW.abandon', baseEntity: 'onprem', fetch: solo.gateway.app.fetch, authorization: AUTH_HEADER, log: silentLogger,
      chunking: { idleMs: 1000 }
    })
    try {
      await rnc.flush()
      const nc = await nats.connect('acme', 'gwpublisher')
      const data = encodeEnvelope({ v: 1, id: 'gone', method: 'POST', origin: 'http://p.example', path: '/onprem/Users', baseEntity: 'onprem', query: '', headers: { 'content-type': 'application/scim+json' }, body: JSON.stringify({ userName: 'gone', title: big(3 * MAX_PAYLOAD) }) })
      const announce = { v: 2 as const, type: 'announce' as const, id: 'gone', size: data.length, chunks: 4, sha256: sha256Hex(data) }
      const accept = decodeControl((await nc.request('GW.abandon', encodeControl(announce), { timeout: 5000 })).data)
      assert.equal(accept?.type, 'accept')
      const h = natsHeaders()
      h.set(CHUNK_HEADER, '0')
      const subject = accept?.type === 'accept' ? accept.subject : ''
      assert.match(subject, /^GW\.abandon\.chunk\.[0-9a-f]+$/)
      const ack = decodeControl((await nc.request(subject, data.subarray(0, MAX_PAYLOAD - 2048), { timeout: 5000, headers: h })).data)
      assert.deepEqual(ack, { v: 2, type: 'ack', index: 0 })
      assert.equal(responder.transfers, 1)
      assert.ok(responder.transferBytes >= data.length)
      // the publisher stops here
      await waitFor('abandoned transfer dropped', () => responder.transfers === 0, 10_000)
      assert.equal(responder.transferBytes, 0)
      assert.equal(responder.handled, 0, 'nothing was executed')
      h.set(CHUNK_HEADER, '1')
      await assert.rejects(nc.request(subject, new Uint8Array(10), { timeout: 5000, headers: h }), 'nobody listens on the dropped subject')
    } finally {
      await responder.stop()
    }
  })

  it('rejects a reassembled request whose sha256 differs from the announced one, without executing it', async () => {
    const rnc = await nats.connect('acme', 'gw')
    const responder = startGwResponder({ nc: rnc, subject: 'GW.hash', baseEntity: 'onprem', fetch: solo.gateway.app.fetch, authorization: AUTH_HEADER, log: silentLogger })
    try {
      await rnc.flush()
      const nc = await nats.connect('acme', 'gwpublisher')
      const data = encodeEnvelope({ v: 1, id: 'h1', method: 'POST', origin: 'http://p.example', path: '/onprem/Users', baseEntity: 'onprem', query: '', headers: { 'content-type': 'application/scim+json' }, body: JSON.stringify({ userName: 'tampered', title: big(MAX_PAYLOAD) }) })
      const half = Math.ceil(data.length / 2)
      const accept = decodeControl((await nc.request('GW.hash', encodeControl({ v: 2, type: 'announce', id: 'h1', size: data.length, chunks: 2, sha256: sha256Hex(new Uint8Array(1)) }), { timeout: 5000 })).data)
      assert.equal(accept?.type, 'accept')
      const subject = accept?.type === 'accept' ? accept.subject : ''
      const send = async (i: number, bytes: Uint8Array): Promise<Uint8Array> => {
        const h = natsHeaders()
        h.set(CHUNK_HEADER, String(i))
        return (await nc.request(subject, bytes, { timeout: 5000, headers: h })).data
      }
      assert.deepEqual(decodeControl(await send(0, data.subarray(0, half))), { v: 2, type: 'ack', index: 0 })
      const reply = decodeReply(await send(1, data.subarray(half)))
      assert.equal(reply.status, 400)
      assert.match(String(reply.body), /sha256/)
      assert.equal(responder.handled, 0, 'not executed')
      assert.equal(responder.transfers, 0)
      assert.equal((await call(solo.url, 'GET', `/onprem/Users?filter=${encodeURIComponent('userName eq "tampered"')}`)).body?.totalResults, 0)
    } finally {
      await responder.stop()
    }
  })

  it('refuses a chunked request when the responder is at its transfer limit (503, retry)', async () => {
    const rnc = await nats.connect('acme', 'gw')
    const responder = startGwResponder({
      nc: rnc, subject: 'GW.busy', baseEntity: 'onprem', fetch: solo.gateway.app.fetch, authorization: AUTH_HEADER, log: silentLogger,
      chunking: { maxTransfers: 1, idleMs: 5000 }
    })
    try {
      await rnc.flush()
      const nc = await nats.connect('acme', 'gwpublisher')
      const announce = (id: string): Uint8Array => encodeControl({ v: 2, type: 'announce', id, size: 200_000, chunks: 4, sha256: 'x' })
      assert.equal(decodeControl((await nc.request('GW.busy', announce('a'), { timeout: 5000 })).data)?.type, 'accept')
      const refused = decodeReply((await nc.request('GW.busy', announce('b'), { timeout: 5000 })).data)
      assert.equal(refused.status, 503)
      assert.equal(refused.id, 'b')
    } finally {
      await responder.stop()
      assert.equal(responder.transfers, 0, 'stop() drops open transfers')
    }
  })
})
