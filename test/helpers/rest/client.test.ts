// REST client against real local HTTP servers: auth headers, the token cache (single flight,
// renewal before expiry, renewal after 401), retries on 429/503/504 with Retry-After, failover
// between base URLs, timeouts and typed errors.
import { describe, it, after } from 'node:test'
import assert from 'node:assert/strict'
import { RestError } from '../../../lib/helpers/rest/index.ts'
import { closedPort, form, json, restHarness } from './support.ts'

const { server, client, rejection } = restHarness()
const fast = { maxAttempts: 4, baseDelayMs: 1, maxDelayMs: 5, maxRetryAfterMs: 5000 }

describe('rest client: auth', () => {
  it('basic and bearer send the configured Authorization header; JSON is parsed', async () => {
    const s = await server((req, res) => { json(res, 200, { auth: req.headers.authorization }) })
    const basic = client({ baseUrls: [s.url], auth: { type: 'basic', options: { username: 'gwadmin', password: 'pa:ss' } } })
    const r = await basic.request<{ auth: string }>({ method: 'GET', path: '/Users' })
    assert.equal(r.body.auth, `Basic ${Buffer.from('gwadmin:pa:ss').toString('base64')}`)
    assert.equal(s.seen[0]?.url, '/Users')
    const bearer = client({ baseUrls: [`${s.url}/scim/`], auth: { type: 'bearer', options: { token: 'tok-1' } } })
    assert.equal((await bearer.request<{ auth: string }>({ method: 'GET', path: 'Users', query: { filter: 'userName eq "a b"', x: undefined } })).body.auth, 'Bearer tok-1')
    assert.equal(s.seen[1]?.url, '/scim/Users?filter=userName+eq+%22a+b%22')
  })

  it('oauth client credentials: one token request for concurrent calls, renewed before expiry, renewed after a 401', async () => {
    let issued = 0
    let revoked = ''
    const idp = await server((req, res) => {
      const f = form(req.body)
      if (f.grant_type !== 'client_credentials' || f.client_id !== 'app' || f.client_secret !== 's3cret') { json(res, 401, { error: 'invalid_client', error_description: 'AADSTS7000215: Invalid client secret provided.' }); return }
      issued++
      setTimeout(() => { json(res, 200, { access_token: `t${issued}`, token_type: 'bearer', expires_in: 3600, scope: f.scope }) }, 20)
    })
    const api = await server((req, res) => {
      if (req.headers.authorization === `Bearer ${revoked}`) { json(res, 401, { detail: 'token revoked' }); return }
      json(res, 200, { auth: req.headers.authorization })
    })
    let clock = 1_000_000
    const c = client({ baseUrls: [api.url], auth: { type: 'oauth', options: { tokenUrl: `${idp.url}/oauth/token`, clientId: 'app', clientSecret: 's3cret', scope: 'api' } } }, { now: () => clock })
    const results = await Promise.all(Array.from({ length: 20 }, async () => await c.request<{ auth: string }>({ method: 'GET', path: '/x' })))
    assert.ok(results.every(r => r.body.auth === 'Bearer t1'))
    assert.equal(c.stats.tokenRequests, 1)
    assert.equal(form(idp.seen[0]?.body ?? '').scope, 'api')
    clock += 3300 * 1000 - 1 // just before the early-renewal point (expiry - 300 s)
    assert.equal((await c.request<{ auth: string }>({ method: 'GET', path: '/x' })).body.auth, 'Bearer t1')
    clock += 2
    assert.equal((await c.request<{ auth: string }>({ method: 'GET', path: '/x' })).body.auth, 'Bearer t2')
    revoked = 't2'
    assert.equal((await c.request<{ auth: string }>({ method: 'GET', path: '/x' })).body.auth, 'Bearer t3')
    assert.equal(c.stats.tokenRequests, 3)
  })

  it('a refused client gives an auth RestError with the endpoint\'s reason and without the secret', async () => {
    const idp = await server((_req, res) => { json(res, 401, { error: 'invalid_client', error_description: 'AADSTS7000215: Invalid client secret provided.\nTrace ID: x' }) })
    const api = await server((_req, res) => { json(res, 200, {}) })
    const c = client({ baseUrls: [api.url], auth: { type: 'oauth', options: { tokenUrl: `${idp.url}/token`, clientId: 'app', clientSecret: 'very-secret-value' } } })
    const err = await rejection(c.request({ method: 'GET', path: '/x' }))
    assert.equal(err.kind, 'auth')
    assert.match(err.message, /invalid_client: AADSTS7000215/)
    assert.doesNotMatch(err.message, /very-secret-value|Trace ID/)
    assert.equal(api.seen.length, 0, 'no API request without a token')
  })

  it('auth.type token posts username/password and accepts a "token" answer', async () => {
    const idp = await server((req, res) => { const f = form(req.body); json(res, 200, f.password === 'pw' && f.username === 'me' ? { token: 'tk' } : { error: 'bad' }) })
    const api = await server((req, res) => { json(res, 200, { auth: req.headers.authorization }) })
    const c = client({ baseUrls: [api.url], auth: { type: 'token', options: { tokenUrl: idp.url, username: 'me', password: 'pw' } } })
    assert.equal((await c.request<{ auth: string }>({ method: 'GET', path: '/' })).body.auth, 'Bearer tk')
  })

  it('pass-through authorization replaces the configured auth; auth is never sent to a foreign origin', async () => {
    const other = await server((req, res) => { json(res, 200, { auth: req.headers.authorization ?? null }) })
    const api = await server((req, res) => { json(res, 200, { auth: req.headers.authorization ?? null }) })
    const c = client({ baseUrls: [api.url], auth: { type: 'bearer', options: { token: 'mine' } } })
    assert.equal((await c.request<{ auth: string }>({ method: 'GET', path: '/', authorization: 'Bearer caller' })).body.auth, 'Bearer caller')
    assert.equal((await c.request<{ auth: string | null }>({ method: 'GET', path: `${other.url}/x` })).body.auth, null)
  })
})

describe('rest client: retries and failover', () => {
  it('429 with Retry-After is waited out and retried', async () => {
    const s = await server((_req, res, n) => { if (n === 1) json(res, 429, { detail: 'slow down' }, { 'retry-after': '1' }); else json(res, 200, { ok: true }) })
    const c = client({ baseUrls: [s.url], retry: fast })
    const t0 = Date.now()
    const r = await c.request<{ ok: boolean }>({ method: 'POST', path: '/Users', body: { userName: 'x' } })
    assert.equal(r.body.ok, true)
    assert.equal(r.attempts, 2)
    assert.ok(Date.now() - t0 >= 1000, 'waited for Retry-After')
    assert.equal(s.seen.length, 2)
    assert.equal(s.seen[1]?.body, '{"userName":"x"}')
  })

  it('a Retry-After beyond maxRetryAfterMs fails at once with the wait in the error', async () => {
    const s = await server((_req, res) => { json(res, 429, {}, { 'retry-after': '120' }) })
    const c = client({ baseUrls: [s.url], retry: fast })
    const err = await rejection(c.request({ method: 'GET', path: '/' }))
    assert.equal(err.kind, 'status')
    assert.equal(err.status, 429)
    assert.equal(err.retryAfterMs, 120_000)
    assert.equal(s.seen.length, 1)
  })

  it('a Retry-After longer than the time left answers at once with the status (no hang, no timeout)', async () => {
    const s = await server((_req, res) => { json(res, 503, { detail: 'busy' }, { 'retry-after': '3' }) })
    const c = client({ baseUrls: [s.url], retry: fast })
    const err = await rejection(c.request({ method: 'GET', path: '/', timeoutMs: 500 }))
    assert.equal(err.kind, 'status')
    assert.equal(err.status, 503)
    assert.equal(err.retryAfterMs, 3000)
    assert.match(err.message, /no time left to retry/)
    assert.equal(s.seen.length, 1)
  })

  it('503 is retried; attempts are bounded; a POST is not repeated after 504', async () => {
    const s = await server((req, res, n) => {
      if (req.url === '/flaky' && n <= 2) { json(res, 503, {}); return }
      if (req.url === '/flaky') { json(res, 200, { n }); return }
      json(res, req.url === '/gw' ? 504 : 503, { detail: 'down' })
    })
    const c = client({ baseUrls: [s.url], retry: fast })
    assert.equal((await c.request<{ n: number }>({ method: 'GET', path: '/flaky' })).body.n, 3)
    const down = await rejection(c.request({ method: 'GET', path: '/down' }))
    assert.equal(down.status, 503)
    assert.equal(down.attempts, 4)
    assert.match(down.message, /answered 503: down/)
    const before = s.seen.length
    const gw = await rejection(c.request({ method: 'POST', path: '/gw', body: {} }))
    assert.equal(gw.status, 504)
    assert.equal(s.seen.length - before, 1, 'POST sent once')
  })

  it('fails over from an unreachable base URL and stays on the one that works', async () => {
    const dead = `http://127.0.0.1:${await closedPort()}`
    const b = await server((_req, res) => { json(res, 200, { from: 'b' }) })
    const c = client({ baseUrls: [dead, b.url], retry: fast })
    const r = await c.request<{ from: string }>({ method: 'POST', path: '/Users', body: {} })
    assert.equal(r.body.from, 'b')
    assert.equal(r.url, `${b.url}/Users`)
    assert.equal(c.baseUrl, b.url)
    await c.request({ method: 'GET', path: '/x' })
    assert.equal(c.stats.failovers, 1)
    assert.equal(c.stats.attempts, 3)
  })

  it('fails over on 503 to the second server of a pair', async () => {
    const a = await server((_req, res) => { json(res, 503, {}) })
    const b = await server((_req, res) => { json(res, 200, { from: 'b' }) })
    const c = client({ baseUrls: [a.url, b.url], retry: fast })
    assert.equal((await c.request<{ from: string }>({ method: 'GET', path: '/' })).body.from, 'b')
    assert.equal(a.seen.length, 1)
  })

  it('every base URL unreachable: a network RestError naming the cause', async () => {
    const c = client({ baseUrls: [`http://127.0.0.1:${await closedPort()}`, `http://127.0.0.1:${await closedPort()}`], retry: fast })
    const err = await rejection(c.request({ method: 'GET', path: '/' }))
    assert.equal(err.kind, 'network')
    assert.match(err.message, /ECONNREFUSED/)
    assert.equal(err.attempts, 4)
  })

  it('a hanging server times out; a caller abort is reported as aborted', async () => {
    const s = await server(() => { /* never answers */ })
    const c = client({ baseUrls: [s.url], retry: fast })
    const t = await rejection(c.request({ method: 'GET', path: '/', timeoutMs: 150 }))
    assert.equal(t.kind, 'timeout')
    assert.match(t.message, /timed out after 150 ms/)
    const ac = new AbortController()
    setTimeout(() => { ac.abort() }, 50)
    assert.equal((await rejection(c.request({ method: 'GET', path: '/', signal: ac.signal }))).kind, 'aborted')
  })

  it('other statuses are typed errors carrying the parsed body, unless accepted', async () => {
    const s = await server((_req, res) => { json(res, 404, { schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'], status: '404', detail: 'no such user' }) })
    const c = client({ baseUrls: [s.url] })
    const err = await rejection(c.request({ method: 'GET', path: '/Users/x' }))
    assert.equal(err.status, 404)
    assert.deepEqual((err.body as { detail: string }).detail, 'no such user')
    assert.equal((await c.request({ method: 'GET', path: '/Users/x', accept: [404] })).status, 404)
  })
})
