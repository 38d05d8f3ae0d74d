// The plugin boundary over real HTTP: the per-call timeout (`scimgateway.plugin.timeout`) aborts
// ctx.signal and answers 504 even for a plugin that ignores the signal; untyped backend failures
// (a real ECONNREFUSED from fetch, a socket reset by a real server, errors carrying a status) get the
// same verdict over HTTP as from the stream subscriber's classifier (the service both use).
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { createServer as createHttpServer, request as httpRequest, type Server } from 'node:http'
import { createServer, type Socket } from 'node:net'
import { validate } from '../../lib/config/schema.ts'
import { gatewayConfigSchema } from '../../lib/config/gateway-schema.ts'
import { gatewayOptionsFromConfig } from '../../lib/core/from-config.ts'
import { classifyError } from '../../lib/stream/apply/classify.ts'
import { silentLogger } from '../../lib/logging/types.ts'
import { GatewayTimeoutError, ServiceUnavailableError, UpstreamError } from '../../lib/plugins/sdk/index.ts'
import type { GetQuery, PluginContext, ScimPlugin } from '../../lib/plugins/types.ts'
import { startTestGateway, type TestGateway } from '../support/gateway.ts'

async function freePort (): Promise<number> {
  return await new Promise((resolve) => {
    const srv = createServer().listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port
      srv.close(() => { resolve(port) })
    })
  })
}

const list: GetQuery = { attributes: [], excludedAttributes: [], startIndex: 1, count: 10 }
const rc = { baseEntity: undefined, requestId: 'r', log: silentLogger, signal: new AbortController().signal, locationBase: '', version: '2.0' as const }

async function scim (gw: TestGateway, path: string): Promise<{ status: number, body: { status?: string, detail?: string } }> {
  const r = await fetch(`${gw.url}${path}`)
  return { status: r.status, body: await r.json() as { status?: string, detail?: string } }
}

describe('plugin call timeout', () => {
  it('aborts ctx.signal with a GatewayTimeoutError and answers 504 (plugin honouring the signal)', async () => {
    let seen: unknown
    const plugin: ScimPlugin = {
      name: 'slow',
      async getUsers (_q, ctx: PluginContext) {
        await new Promise<void>((resolve) => { ctx.signal.addEventListener('abort', () => { resolve() }) })
        seen = ctx.signal.reason
        throw ctx.signal.reason
      }
    }
    const gw = await startTestGateway({ plugin, options: { allowAnonymous: true, pluginTimeoutMs: 200 } })
    try {
      const r = await scim(gw, '/Users')
      assert.equal(r.status, 504)
      assert.equal(r.body.status, '504')
      assert.match(r.body.detail ?? '', /plugin slow getUsers did not answer within 200 ms/)
      assert.ok(seen instanceof GatewayTimeoutError, 'the plugin saw ctx.signal aborted with the timeout')
    } finally { await gw.stop() }
  })

  it('answers 504 even when the plugin ignores the signal; other requests are served meanwhile', async () => {
    let calls = 0
    let stuckCtx: PluginContext | undefined
    const plugin: ScimPlugin = {
      name: 'stuck',
      async getUsers (q, ctx) {
        calls++
        if (q.simple === undefined) stuckCtx = ctx
        if (q.simple?.value === 'fast') return { Resources: [{ id: 'fast', userName: 'fast' }] }
        return await new Promise(() => {})
      }
    }
    const gw = await startTestGateway({ plugin, options: { allowAnonymous: true, pluginTimeoutMs: 300 } })
    try {
      const [stuck, fast] = await Promise.all([scim(gw, '/Users'), scim(gw, '/Users/fast')])
      assert.equal(stuck.status, 504)
      assert.equal(fast.status, 200)
      assert.equal(calls, 2)
      assert.equal(stuckCtx?.signal.aborted, true, 'a signal first read after the timeout is already aborted')
      assert.ok(stuckCtx?.signal.reason instanceof GatewayTimeoutError)
    } finally { await gw.stop() }
  })

  it('a client that goes away aborts ctx.signal (with and without a plugin timeout)', async () => {
    for (const pluginTimeoutMs of [5000, 0]) {
      let aborted: (reason: unknown) => void = () => {}
      const sawAbort = new Promise<unknown>(resolve => { aborted = resolve })
      const plugin: ScimPlugin = {
        name: 'waits',
        async getUsers (_q, ctx) {
          ctx.signal.addEventListener('abort', () => { aborted(ctx.signal.reason) }, { once: true })
          await new Promise(resolve => setTimeout(resolve, 3000))
          return { Resources: [] }
        }
      }
      const gw = await startTestGateway({ plugin, options: { allowAnonymous: true, pluginTimeoutMs } })
      try {
        const req = httpRequest(`${gw.url}/Users`)
        req.on('error', () => {})
        req.end()
        await new Promise(resolve => setTimeout(resolve, 200))
        req.destroy()
        const reason = await Promise.race([sawAbort, new Promise(resolve => setTimeout(() => { resolve('not aborted') }, 2000))])
        assert.notEqual(reason, 'not aborted', `timeout ${pluginTimeoutMs}: the plugin's signal aborted when the client left`)
      } finally { await gw.stop() }
    }
  })

  it('in a Bulk request, one operation timing out does not abort the others', async () => {
    let n = 0
    const plugin: ScimPlugin = {
      name: 'bulk',
      async createUser (u, ctx) {
        n++
        if (u.userName === 'slow') await new Promise(resolve => setTimeout(resolve, 600))
        assert.equal(ctx.signal.aborted, false, `${String(u.userName)} starts with a live signal`)
        return { ...u, id: String(u.userName) }
      }
    }
    const gw = await startTestGateway({ plugin, options: { allowAnonymous: true, pluginTimeoutMs: 200 } })
    try {
      const op = (userName: string): unknown => ({ method: 'POST', path: '/Users', bulkId: userName, data: { schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName } })
      const r = await fetch(`${gw.url}/Bulk`, { method: 'POST', headers: { 'content-type': 'application/scim+json' }, body: JSON.stringify({ schemas: ['urn:ietf:params:scim:api:messages:2.0:BulkRequest'], Operations: [op('slow'), op('next'), op('last')] }) })
      assert.equal(r.status, 200)
      const body = await r.json() as { Operations: Array<{ status: string }> }
      assert.deepEqual(body.Operations.map(o => o.status), ['504', '201', '201'])
      assert.equal(n, 3)
    } finally { await gw.stop() }
  })

  it('the bounded context carries every field of the request context', async () => {
    let seen: PluginContext | undefined
    const plugin: ScimPlugin = { name: 'ctx', async getUsers (_q, ctx) { seen = ctx; return { Resources: [] } } }
    const gw = await startTestGateway({ plugin, options: { allowAnonymous: true, pluginTimeoutMs: 5000, entities: ['tenantX'] } })
    try {
      const r = await fetch(`${gw.url}/tenantX/Users`, { headers: { 'x-request-id': 'req-42' } })
      assert.equal(r.status, 200)
      assert.equal(seen?.baseEntity, 'tenantX')
      assert.equal(seen?.requestId, 'req-42')
      assert.equal(typeof seen?.log.info, 'function')
      assert.equal(seen?.signal.aborted, false)
      // abortRequest: an HTTP request's own signal, which the guard's timeout aborts
      assert.deepEqual(Object.keys(seen ?? {}).sort(), ['abortRequest', 'baseEntity', 'log', 'requestId', 'signal'])
      assert.equal(typeof seen?.abortRequest, 'function')
    } finally { await gw.stop() }
  })

  it('timeout 0 means no limit; the config key is validated and reaches the gateway options', async () => {
    const ok = validate(gatewayConfigSchema, { scimgateway: { plugin: { timeout: 2500 } } })
    assert.ok(ok.ok)
    assert.equal(gatewayOptionsFromConfig(ok.value).pluginTimeoutMs, 2500)
    const dflt = validate(gatewayConfigSchema, {})
    assert.ok(dflt.ok)
    assert.equal(gatewayOptionsFromConfig(dflt.value).pluginTimeoutMs, 60_000)
    for (const bad of [-1, 'soon', 3_600_001, 1.5]) {
      const r = validate(gatewayConfigSchema, { scimgateway: { plugin: { timeout: bad } } })
      assert.deepEqual(r.errors.map(e => e.path), ['scimgateway.plugin.timeout'], `timeout ${JSON.stringify(bad)}`)
    }
    assert.deepEqual(validate(gatewayConfigSchema, { scimgateway: { plugin: { timout: 5 } } }).errors.map(e => e.message), ['unknown key (did you mean "timeout"?)'])
    const plugin: ScimPlugin = { name: 'late', async getUsers () { await new Promise(resolve => setTimeout(resolve, 300)); return { Resources: [] } } }
    const gw = await startTestGateway({ plugin, options: { allowAnonymous: true, pluginTimeoutMs: 0 } })
    try { assert.equal((await scim(gw, '/Users')).status, 200) } finally { await gw.stop() }
  })
})

describe('backend failures: same verdict over HTTP and in the stream classifier', () => {
  let resetServer: Server
  let resetUrl = ''
  let closedUrl = ''
  const sockets = new Set<Socket>()
  before(async () => {
    // a real server that accepts and then drops every connection mid-request
    resetServer = createHttpServer((req) => { req.socket.destroy() })
    resetServer.on('connection', s => { sockets.add(s) })
    await new Promise<void>(resolve => resetServer.listen(0, '127.0.0.1', () => { resolve() }))
    resetUrl = `http://127.0.0.1:${(resetServer.address() as { port: number }).port}/`
    closedUrl = `http://127.0.0.1:${await freePort()}/`
  })
  after(async () => { for (const s of sockets) s.destroy(); await new Promise(resolve => resetServer.close(resolve)) })

  const cases: Array<{ name: string, fail: () => Promise<never>, status: number, detail: RegExp, verdict: 'transient' | 'permanent' }> = [
    { name: 'fetch to a closed port (ECONNREFUSED)', fail: async () => { await fetch(closedUrl); throw new Error('unreachable') }, status: 503, detail: /unreachable \(ECONNREFUSED\)/, verdict: 'transient' },
    { name: 'server drops the connection (socket error)', fail: async () => { await fetch(resetUrl); throw new Error('unreachable') }, status: 502, detail: /connection broken/, verdict: 'transient' },
    { name: 'client error carrying backend status 500', fail: async () => { throw Object.assign(new Error('boom'), { status: 500 }) }, status: 502, detail: /backend answered 500: boom/, verdict: 'transient' },
    { name: 'client error carrying backend status 503', fail: async () => { throw Object.assign(new Error('busy'), { statusCode: 503 }) }, status: 503, detail: /backend answered 503/, verdict: 'transient' },
    { name: 'backend refused the gateway credentials (401)', fail: async () => { throw Object.assign(new Error('bad token'), { status: 401 }) }, status: 502, detail: /refused the gateway's credentials/, verdict: 'transient' },
    { name: 'backend 404', fail: async () => { throw Object.assign(new Error('no such row'), { status: 404 }) }, status: 404, detail: /backend answered 404/, verdict: 'permanent' },
    { name: 'typed UpstreamError with cause', fail: async () => { throw new UpstreamError('LDAP server said busy', { cause: new Error('busy') }) }, status: 502, detail: /LDAP server said busy/, verdict: 'transient' },
    { name: 'a plugin bug stays a 500 without its message', fail: async () => { throw new TypeError('x is undefined') }, status: 500, detail: /^Internal server error$/, verdict: 'transient' }
  ]

  for (const c of cases) {
    it(c.name, async () => {
      const plugin: ScimPlugin = { name: 'failing', async getUsers () { return await c.fail() } }
      const gw = await startTestGateway({ plugin, options: { allowAnonymous: true } })
      try {
        const r = await scim(gw, '/Users')
        assert.equal(r.status, c.status)
        assert.match(r.body.detail ?? '', c.detail)
        // the stream subscriber applies messages through the same service and classifies what it throws
        const err = await gw.gateway.service.list('Users', list, rc).then(() => undefined, (e: unknown) => e)
        assert.ok(err !== undefined)
        assert.equal(classifyError(err), c.verdict)
        if (c.status !== 500) assert.equal(c.verdict === 'transient', c.status >= 500, 'HTTP 5xx ⇔ retried by the stream')
      } finally { await gw.stop() }
    })
  }

  it('a ServiceUnavailableError with retryAfter answers 503 with Retry-After', async () => {
    const plugin: ScimPlugin = { name: 'busy', async getUsers () { throw new ServiceUnavailableError('maintenance window', { retryAfter: 30 }) } }
    const gw = await startTestGateway({ plugin, options: { allowAnonymous: true } })
    try {
      const r = await fetch(`${gw.url}/Users`)
      assert.equal(r.status, 503)
      assert.equal(r.headers.get('retry-after'), '30')
    } finally { await gw.stop() }
  })
})
