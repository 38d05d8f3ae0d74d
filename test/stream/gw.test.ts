// GW request/reply against a real nats-server: a publisher gateway without plugin logic forwards
// every SCIM route to subscriber gateways (plugin-loki) on GW.<channel> in a queue group.
import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { startTestNats, type TestNats } from '../support/nats.ts'
import type { ScimPlugin } from '../../lib/plugins/types.ts'
import { createLokiPlugin } from '../../lib/plugins/plugin-loki.ts'
import { streamConfig, startStreamGateway, waitFor, call, AUTH_HEADER, type StreamGateway } from './support.ts'

const NO_PLUGIN: ScimPlugin = { name: 'publisher' }

describe('stream GW request/reply', { timeout: 120_000 }, () => {
  let nats: TestNats
  let publisher: StreamGateway
  let responders: StreamGateway[] = []
  before(async () => {
    nats = await startTestNats({ tenants: ['acme'] })
    publisher = await startStreamGateway(streamConfig(nats, {
      publisher: { cloud: { tenant: 'acme', subject: 'GW.onprem' }, solo: { tenant: 'acme', subject: 'GW.solo' }, lonely: { tenant: 'acme', subject: 'GW.nobody' }, slow: { tenant: 'acme', subject: 'GW.slow' } },
      entities: []
    }), { plugin: NO_PLUGIN, stream: { gwTimeoutMs: 1500 } })
    responders = []
    for (let i = 0; i < 2; i++) {
      responders.push(await startStreamGateway(streamConfig(nats, { subscriber: { onprem: { tenant: 'acme', subject: 'GW.onprem' } } })))
    }
    responders.push(await startStreamGateway(streamConfig(nats, { subscriber: { onprem: { tenant: 'acme', subject: 'GW.solo' } } })))
    const slowLoki = createLokiPlugin({ persistence: 'memory', demoData: false })
    responders.push(await startStreamGateway(streamConfig(nats, { subscriber: { slow: { tenant: 'acme', subject: 'GW.slow' } } }), {
      plugin: { ...slowLoki, name: 'loki', async getUsers (q, ctx) { await new Promise(resolve => setTimeout(resolve, 3000)); return await (slowLoki.getUsers as NonNullable<ScimPlugin['getUsers']>)(q, ctx) } }
    }))
    await waitFor('responders subscribed', () => responders.every(r => r.stream.status().responders.every(x => x.state === 'subscribed')) &&
      publisher.stream.status().connections.every(c => c.state === 'connected'))
  })
  after(async () => {
    for (const r of responders) await r.stop()
    await publisher?.stop()
    await nats.stop()
  })

  it('round-trips every SCIM route and returns the response unchanged', async () => {
    const u = publisher.url
    const solo = responders[2] as StreamGateway
    const created = await call(u, 'POST', '/solo/Users', { schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName: 'gwuser', name: { givenName: 'G' } })
    assert.equal(created.status, 201, created.text)
    const id = String(created.body?.id)
    assert.ok(created.headers.get('location')?.startsWith(`${u}/solo/Users/`), `location ${created.headers.get('location') ?? ''} points at the publisher`)
    assert.ok(String((created.body?.meta as Record<string, unknown>).location).startsWith(`${u}/solo/Users/`))
    const g = await call(u, 'POST', '/solo/Groups', { displayName: 'gwgroup', members: [{ value: id }] })
    assert.equal(g.status, 201, g.text)
    const gid = String(g.body?.id)
    const norm = (t: string): string => t.split(`${solo.url}/onprem/`).join('X/').split(`${u}/solo/`).join('X/')
    const same = async (method: string, path: string, body?: unknown): Promise<number> => {
      const viaGw = await call(u, method, path, body)
      const dir = await call(solo.url, method, path.replace('/solo/', '/onprem/'), body)
      assert.equal(viaGw.status, dir.status, `${method} ${path}: ${viaGw.text}`)
      assert.equal(viaGw.headers.get('content-type'), dir.headers.get('content-type'), `${method} ${path}`)
      assert.equal(viaGw.headers.get('etag'), dir.headers.get('etag'), `${method} ${path}`)
      assert.equal(norm(viaGw.text), norm(dir.text), `${method} ${path}`)
      return viaGw.status
    }
    // reads: the GW answer equals the direct answer of the responder
    for (const [method, path, body] of [
      ['GET', `/solo/Users/${id}`], ['GET', `/solo/Groups/${gid}`], ['GET', '/solo/Users?filter=userName%20eq%20%22gwuser%22&attributes=userName'],
      ['POST', '/solo/Users/.search', { schemas: ['urn:ietf:params:scim:api:messages:2.0:SearchRequest'], filter: 'userName eq "gwuser"' }],
      ['GET', '/solo/ServiceProviderConfig'], ['GET', '/solo/Schemas'], ['GET', '/solo/ResourceTypes'], ['GET', '/solo/Groups'],
      ['GET', '/solo/Roles'], ['GET', '/solo/Entitlements'], ['GET', '/solo/Users/does-not-exist'], ['DELETE', '/solo/Users/does-not-exist'],
      ['POST', '/solo/Users', { userName: 42 }], ['POST', '/solo/Users', '{not json']
    ] as Array<[string, string, unknown?]>) await same(method, path, body)
    // writes through the GW, checked directly at the responder
    const put = await call(u, 'PUT', `/solo/Users/${id}`, { schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName: 'gwuser', title: 'put' })
    assert.equal(put.status, 200, put.text)
    const patch = await call(u, 'PATCH', `/solo/Users/${id}`, { schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'replace', path: 'title', value: 'patched' }] })
    assert.ok(patch.status === 204 || patch.status === 200, patch.text)
    assert.equal((await call(solo.url, 'GET', `/onprem/Users/${id}`)).body?.title, 'patched')
    const gpatch = await call(u, 'PATCH', `/solo/Groups/${gid}`, { schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'replace', path: 'displayName', value: 'renamed' }] })
    assert.ok(gpatch.status === 204 || gpatch.status === 200, gpatch.text)
    assert.equal((await call(u, 'DELETE', `/solo/Groups/${gid}`)).status, 204)
    const bulk = await call(u, 'POST', '/solo/Bulk', { schemas: ['urn:ietf:params:scim:api:messages:2.0:BulkRequest'], Operations: [{ method: 'POST', path: '/Users', bulkId: 'b1', data: { userName: 'bulkuser' } }] })
    assert.equal(bulk.status, 200, bulk.text)
    assert.equal((await call(solo.url, 'GET', '/onprem/Users?filter=userName%20eq%20%22bulkuser%22')).body?.totalResults, 1)
    assert.equal((await call(u, 'DELETE', `/solo/Users/${id}`)).status, 204)
    assert.equal((await call(solo.url, 'GET', `/onprem/Users/${id}`)).status, 404)
    const unauth = await fetch(`${u}/solo/Users`)
    assert.equal(unauth.status, 401, 'the publisher authenticates before forwarding')
  })

  it('executes each request on exactly one responder of the queue group, spreading the load', async () => {
    const before = responders.slice(0, 2).map(r => r.stream.status().responders[0]?.handled ?? 0)
    const n = 40
    const res = await Promise.all(Array.from({ length: n }, async (_, i) => await call(publisher.url, 'POST', '/cloud/Users', { userName: `q${i}` })))
    assert.ok(res.every(r => r.status === 201))
    const after = responders.slice(0, 2).map(r => r.stream.status().responders[0]?.handled ?? 0)
    const delta = after.map((a, i) => a - (before[i] ?? 0))
    assert.equal(delta.reduce((a, b) => a + b, 0), n, 'every request handled once')
    assert.ok(delta.every(d => d > 0), `both responders worked: ${delta.join('/')}`)
    let found = 0
    for (let i = 0; i < n; i++) {
      const hits = await Promise.all(responders.slice(0, 2).map(async r => (await call(r.url, 'GET', `/onprem/Users?filter=${encodeURIComponent(`userName eq "q${i}"`)}`)).body?.totalResults))
      assert.equal(hits.reduce((a: number, b) => a + Number(b), 0), 1, `q${i} exists exactly once`)
      found++
    }
    assert.equal(found, n)
  })

  it('answers 503 without responders, 504 on timeout, 413 above the gateway size limit (the request travels chunked)', async () => {
    const none = await call(publisher.url, 'GET', '/lonely/Users')
    assert.equal(none.status, 503)
    assert.deepEqual(none.body?.schemas, ['urn:ietf:params:scim:api:messages:2.0:Error'])
    const slow = await call(publisher.url, 'GET', '/slow/Users')
    assert.equal(slow.status, 504)
    assert.deepEqual(slow.body?.schemas, ['urn:ietf:params:scim:api:messages:2.0:Error'])
    const big = await call(publisher.url, 'POST', '/cloud/Users', { userName: 'big', title: 'x'.repeat(1100 * 1024) })
    assert.equal(big.status, 413)
    assert.deepEqual(big.body?.schemas, ['urn:ietf:params:scim:api:messages:2.0:Error'])
    const ping = await fetch(`${publisher.url}/ping`)
    assert.equal(ping.status, 200, 'local routes are not forwarded')
  })

  it('takes the reply timeout from the config (entity, else stream-wide publisher timeout): 504 as a SCIM error', async () => {
    const configured = await startStreamGateway(streamConfig(nats, {
      publisher: { quick: { tenant: 'acme', subject: 'GW.slow', options: { timeout: 200 } }, wide: { tenant: 'acme', subject: 'GW.slow' } },
      publisherTimeout: 400,
      entities: []
    }), { plugin: NO_PLUGIN })
    try {
      await waitFor('publisher connected', () => configured.stream.status().connections.every(c => c.state === 'connected'))
      const quick = await call(configured.url, 'GET', '/quick/Users')
      assert.equal(quick.status, 504)
      assert.deepEqual(quick.body?.schemas, ['urn:ietf:params:scim:api:messages:2.0:Error'])
      assert.match(String(quick.body?.detail), /within 200 ms/)
      const wide = await call(configured.url, 'GET', '/wide/Users')
      assert.equal(wide.status, 504)
      assert.match(String(wide.body?.detail), /within 400 ms/)
    } finally {
      await configured.stop()
    }
  })

  it('reports the connection state at GET /stream/status (authenticated)', async () => {
    assert.equal((await fetch(`${publisher.url}/stream/status`)).status, 401)
    const res = await fetch(`${publisher.url}/stream/status`, { headers: { authorization: AUTH_HEADER } })
    assert.equal(res.status, 200)
    const st = await res.json() as { connections: Array<{ state: string }>, publishers: Array<{ subject: string }> }
    assert.ok(st.connections.length > 0 && st.connections.every(c => c.state === 'connected'))
    assert.deepEqual(st.publishers.map(p => p.subject).sort(), ['GW.nobody', 'GW.onprem', 'GW.slow', 'GW.solo'])
  })
})
