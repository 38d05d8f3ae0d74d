// plugin-api over real HTTP: /api CRUD (in memory per baseEntity), /pub/api without authentication,
// forwarding to a real upstream REST server (started here) with its errors mapped, config problems.
import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { createServer, type Server } from 'node:http'
import { createServer as createNetServer, type AddressInfo } from 'node:net'
import { startTestGateway, type TestGateway } from '../support/gateway.ts'
import { basicAuthenticator } from '../../lib/auth/index.ts'
import { createApiPlugin, apiEndpointSchema } from '../../lib/plugins/plugin-api.ts'
import { validate } from '../../lib/config/schema.ts'
import { isScimError } from '../../lib/scim/errors.ts'
import { silentLogger } from '../../lib/logging/types.ts'

const AUTH = 'Basic ' + Buffer.from('gwadmin:password').toString('base64')

async function call (gw: TestGateway, method: string, path: string, body?: unknown, auth = true): Promise<{ status: number, json: unknown }> {
  const res = await fetch(`${gw.url}${path}`, { method, headers: { ...(auth ? { authorization: AUTH } : {}), 'content-type': 'application/json' }, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) })
  const text = await res.text()
  return { status: res.status, json: text === '' ? null : JSON.parse(text) as unknown }
}

/** A TCP port with nothing listening on it. */
async function deadPort (): Promise<number> {
  const srv = createNetServer()
  await new Promise<void>(resolve => { srv.listen(0, '127.0.0.1', resolve) })
  const { port } = srv.address() as AddressInfo
  await new Promise<void>(resolve => { srv.close(() => { resolve() }) })
  return port
}

function endpoint (raw: unknown): ReturnType<typeof validate<typeof apiEndpointSchema>> {
  return validate(apiEndpointSchema, raw, { coerce: true }, ['endpoint'])
}

describe('plugin-api', () => {
  let upstream: Server
  let upstreamUrl = ''
  const seen: Array<{ method: string, url: string, body: string, key: string | undefined }> = []
  let gw: TestGateway
  before(async () => {
    // a small upstream REST API: echoes, 404 for /missing, 500 for /broken
    upstream = createServer((req, res) => {
      let body = ''
      req.on('data', c => { body += String(c) })
      req.on('end', () => {
        seen.push({ method: req.method ?? '', url: req.url ?? '', body, key: req.headers['x-api-key'] as string | undefined })
        if ((req.url ?? '').startsWith('/missing')) { res.writeHead(404); res.end('{"error":"nope"}'); return }
        if ((req.url ?? '').startsWith('/broken')) { res.writeHead(500); res.end('boom'); return }
        res.writeHead(200, { 'content-type': 'application/json' })
        res.end(JSON.stringify({ method: req.method, url: req.url, body: body === '' ? null : JSON.parse(body) as unknown }))
      })
    })
    await new Promise<void>(resolve => { upstream.listen(0, '127.0.0.1', resolve) })
    upstreamUrl = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`
    const ep = endpoint({ catalog: { Tesla: { maker: 'Tesla', type: 'car', seats: 5 } }, entity: { undefined: {}, shop: {}, remote: { upstream: { baseUrl: `${upstreamUrl}/v1`, headers: { 'x-api-key': 'k1' } } } } })
    assert.ok(ep.ok)
    gw = await startTestGateway({ plugin: createApiPlugin(ep.value), options: { entities: ['shop', 'remote'], authenticators: [basicAuthenticator([{ username: 'gwadmin', password: 'password' }])] } })
  })
  after(async () => {
    await gw?.stop()
    await new Promise<void>(resolve => { upstream.close(() => { resolve() }) })
  })

  it('/api: POST creates (201), GET by id and by query, PATCH merges, PUT replaces, DELETE removes, then 404', async () => {
    const created = await call(gw, 'POST', '/api', { model: 'Model 3', color: 'red' })
    assert.equal(created.status, 201)
    const id = (created.json as { id: string }).id
    assert.equal(typeof id, 'string')
    assert.deepEqual((await call(gw, 'GET', `/api/${id}`)).json, { model: 'Model 3', color: 'red', id })
    await call(gw, 'POST', '/api', { model: 'Model S', color: 'blue' })
    const byQuery = await call(gw, 'GET', '/api?color=red')
    assert.equal(byQuery.status, 200)
    assert.deepEqual((byQuery.json as { Resources: Array<{ id: string }> }).Resources.map(r => r.id), [id])
    assert.deepEqual((await call(gw, 'PATCH', `/api/${id}`, { color: 'black' })).json, { model: 'Model 3', color: 'black', id })
    assert.deepEqual((await call(gw, 'PUT', `/api/${id}`, { model: 'Model 3 LR' })).json, { model: 'Model 3 LR', id })
    assert.equal((await call(gw, 'DELETE', `/api/${id}`)).status, 200)
    assert.equal((await call(gw, 'GET', `/api/${id}`)).status, 404)
    assert.equal((await call(gw, 'DELETE', `/api/${id}`)).status, 404)
  })

  it('/api needs authentication; bad bodies and paths are clear 4xx errors', async () => {
    assert.equal((await call(gw, 'GET', '/api', undefined, false)).status, 401)
    assert.equal((await call(gw, 'POST', '/api', [1, 2])).status, 400)
    assert.equal((await call(gw, 'PUT', '/api', { a: 1 })).status, 405)
    assert.equal((await call(gw, 'GET', '/api/a/b')).status, 404)
  })

  it('baseEntities keep separate collections; an unknown baseEntity is 404', async () => {
    const created = await call(gw, 'POST', '/shop/api', { sku: 'x1' })
    const id = (created.json as { id: string }).id
    assert.equal((await call(gw, 'GET', `/shop/api/${id}`)).status, 200)
    assert.equal((await call(gw, 'GET', `/api/${id}`)).status, 404)
    assert.equal((await call(gw, 'GET', '/nobody/api')).status, 404)
    const direct = createApiPlugin((endpoint({ entity: { shop: {} } }) as { value: Parameters<typeof createApiPlugin>[0] }).value)
    await assert.rejects(direct.getApi?.({ method: 'GET', path: '', query: {}, body: undefined }, { baseEntity: 'other', log: silentLogger, signal: new AbortController().signal, requestId: 'x' }) ?? Promise.resolve(), (e: unknown) => isScimError(e) && e.status === 404)
  })

  it('/pub/api?model=… answers from the catalog without authentication (case-insensitive), unknown model 404', async () => {
    const r = await call(gw, 'GET', '/pub/api?model=tesla', undefined, false)
    assert.equal(r.status, 200)
    assert.deepEqual(r.json, { model: 'Tesla', maker: 'Tesla', type: 'car', seats: 5 })
    assert.deepEqual((await call(gw, 'GET', '/pub/api', undefined, false)).json, { models: ['Tesla'] })
    assert.equal((await call(gw, 'GET', '/pub/api?model=Trabant', undefined, false)).status, 404)
  })

  it('an entity with upstream forwards method, path, query, body and headers; upstream errors are typed', async () => {
    const r = await call(gw, 'POST', '/remote/api/orders?dry=1', { qty: 2 })
    assert.equal(r.status, 201)
    assert.deepEqual(r.json, { method: 'POST', url: '/v1/orders?dry=1', body: { qty: 2 } })
    assert.equal(seen.at(-1)?.key, 'k1')
    assert.deepEqual((await call(gw, 'GET', '/remote/api/orders/7')).json, { method: 'GET', url: '/v1/orders/7', body: null })
    const before = seen.length
    assert.equal((await call(gw, 'GET', '/remote/api/..%2Fmissing')).status, 400, 'no climbing out of /v1')
    assert.equal(seen.length, before, 'nothing was forwarded')
  })

  it('upstream 5xx is 502 and an unreachable upstream 503', async () => {
    const ep = endpoint({ entity: { undefined: { upstream: { baseUrl: upstreamUrl } }, dead: { upstream: { baseUrl: `http://127.0.0.1:${await deadPort()}` } } } })
    assert.ok(ep.ok)
    const g2 = await startTestGateway({ plugin: createApiPlugin(ep.value), options: { entities: ['dead'], authenticators: [basicAuthenticator([{ username: 'gwadmin', password: 'password' }])] } })
    try {
      assert.equal((await call(g2, 'GET', '/api/broken')).status, 502)
      assert.equal((await call(g2, 'GET', '/api/missing')).status, 404)
      assert.equal((await call(g2, 'GET', '/dead/api/x')).status, 503)
    } finally { await g2.stop() }
  })

  it('config: a bad upstream URL and unknown keys are reported with their paths', () => {
    const r = endpoint({ catalg: {}, entity: { a: { upstream: { baseUrl: 'ftp://x' } } } })
    assert.equal(r.ok, false)
    const paths = r.errors.map(e => e.path)
    assert.ok(paths.includes('endpoint.catalg'), paths.join())
    assert.ok(paths.includes('endpoint.entity.a.upstream.baseUrl'), paths.join())
  })
})
