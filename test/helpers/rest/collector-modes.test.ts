// What the REST client gained for the collectors (HR REST, Microsoft Graph), against real local
// servers: per-URL retry mode (each base URL tried once per request, 429/503 retried on it, 5xx,
// timeouts and refused connections moving on), a per-attempt timeout, a capped Retry-After, several
// OAuth clients (failover and round-robin), a token endpoint given as a path, maxConcurrent, and the
// linkedPages / deltaPages iterators (prefetch, failover in the middle of paging, foreign links).
import { describe, it, after } from 'node:test'
import assert from 'node:assert/strict'
import { deltaPages, linkedPages, RestError } from '../../../lib/helpers/rest/index.ts'
import { closedPort, form, json, restHarness, startServer } from './support.ts'

const { server, client, rejection } = restHarness()
function recorder (): { waits: number[], sleep: (ms: number) => Promise<void> } {
  const waits: number[] = []
  return { waits, sleep: async (ms) => { waits.push(ms) } }
}
const ok = (body: unknown = { ok: true }) => (_req: unknown, res: Parameters<typeof json>[0]) => { json(res, 200, body) }

describe('rest client: per-URL retry mode (retry.retriesPerUrl)', () => {
  it('a 503 is retried on the same base URL retriesPerUrl times, then the next one answers and is kept', async () => {
    const a = await server((_req, res) => { json(res, 503, { detail: 'maintenance' }) })
    const b = await server(ok())
    const { waits, sleep } = recorder()
    const c = client({ baseUrls: [a.url, b.url], retry: { retriesPerUrl: 2, baseDelayMs: 100, maxDelayMs: 10_000 } }, { sleep })
    assert.deepEqual((await c.request({ method: 'GET', path: '/x' })).body, { ok: true })
    assert.equal(a.seen.length, 3)
    assert.equal(waits.length, 2)
    assert.ok((waits[1] ?? 0) > (waits[0] ?? 0), 'back-off grows without Retry-After')
    assert.equal(c.baseUrl, b.url)
    await c.request({ method: 'GET', path: '/y' })
    assert.equal(a.seen.length, 3, 'the base URL that worked is tried first')
  })

  it('a 500 moves on at once; when every base URL fails the error names each failure', async () => {
    const a = await server((_req, res) => { json(res, 500, { detail: 'boom' }) })
    const port = await closedPort()
    const c = client({ baseUrls: [a.url, `http://127.0.0.1:${port}`], retry: { retriesPerUrl: 3 } }, { sleep: recorder().sleep })
    const e = await rejection(c.request({ method: 'GET', path: '/x' }))
    assert.equal(a.seen.length, 1)
    assert.match(e.message, /^every base URL failed: /)
    assert.ok(e.message.includes(a.url) && e.message.includes(`127.0.0.1:${port}`) && /answered 500: boom/.test(e.message) && /ECONNREFUSED/.test(e.message), e.message)
  })

  it('a 404 fails at once: no retry, no other base URL', async () => {
    const a = await server((_req, res) => { json(res, 404, { detail: 'no such entity' }) })
    const b = await server(ok())
    const c = client({ baseUrls: [a.url, b.url], retry: { retriesPerUrl: 3 } })
    const e = await rejection(c.request({ method: 'GET', path: '/x' }))
    assert.equal(e.status, 404)
    assert.equal(b.seen.length, 0)
  })

  it('options.attemptTimeout: a hanging base URL times out per attempt and the next one answers', async () => {
    const slow = await server((_req, res) => { setTimeout(() => { json(res, 200, { late: true }) }, 1500) })
    const b = await server(ok())
    const c = client({ baseUrls: [slow.url, b.url], options: { attemptTimeout: 0.2 }, retry: { retriesPerUrl: 0 } })
    const t0 = performance.now()
    assert.deepEqual((await c.request({ method: 'GET', path: '/x' })).body, { ok: true })
    assert.ok(performance.now() - t0 < 1400)
    const alone = client({ baseUrls: [slow.url], options: { attemptTimeout: 0.1 }, retry: { retriesPerUrl: 0 } })
    const e = await rejection(alone.request({ method: 'GET', path: '/x' }))
    assert.equal(e.kind, 'timeout')
    assert.match(e.message, /timed out after 100 ms/)
  })

  it('retry.capRetryAfter: a day-long Retry-After is waited maxRetryAfterMs, not refused', async () => {
    const a = await server((_req, res, n) => { if (n === 1) json(res, 429, {}, { 'retry-after': '86400' }); else json(res, 200, { ok: true }) })
    const { waits, sleep } = recorder()
    // with attemptTimeout and no abortTimeout a request has no overall budget that would cut the wait short
    const c = client({ baseUrls: [a.url], options: { attemptTimeout: 5 }, retry: { retriesPerUrl: 1, capRetryAfter: true, maxRetryAfterMs: 120_000 } }, { sleep })
    await c.request({ method: 'GET', path: '/x' })
    assert.deepEqual(waits, [120_000])
    const strict = client({ baseUrls: [a.url], options: { attemptTimeout: 5 }, retry: { retriesPerUrl: 1, maxRetryAfterMs: 120_000 } }, { sleep })
    a.handler = (_req, res) => { json(res, 429, {}, { 'retry-after': '86400' }) }
    const e = await rejection(strict.request({ method: 'GET', path: '/x' }))
    assert.equal(e.retryAfterMs, 86_400_000)
  })
})

describe('rest client: several OAuth clients, token URL as a path', () => {
  function idp (good: Set<string>): Parameters<typeof startServer>[0] {
    let n = 0
    return (req, res) => {
      if (req.url === '/oauth/token') {
        const f = form(req.body)
        if (f.client_secret === undefined || !good.has(`${f.client_id ?? ''}:${f.client_secret}`)) { json(res, 401, { error: 'invalid_client', error_description: `bad secret for ${f.client_id ?? ''}` }); return }
        json(res, 200, { access_token: `${f.client_id ?? ''}-${++n}`, expires_in: 3600 })
        return
      }
      json(res, 200, { auth: req.headers.authorization })
    }
  }

  it('failover: the first client is refused, the second is used and kept; the refusal is logged without the secret', async () => {
    const s = await server(idp(new Set(['c2:s2'])))
    const lines: string[] = []
    const log = { debug () {}, info () {}, warn (m: string) { lines.push(m) }, error () {}, child () { return log } }
    const c = client({
      baseUrls: [`${s.url}/api/v1`],
      auth: { type: 'oauth', options: { tokenUrl: '/oauth/token', clients: [{ clientId: 'c1', clientSecret: 'revoked' }, { clientId: 'c2', clientSecret: 's2' }] } }
    }, { log: log as never })
    const r = await c.request<{ auth: string }>({ method: 'GET', path: '/x' })
    assert.equal(r.body.auth, 'Bearer c2-1')
    await c.request({ method: 'GET', path: '/y' })
    assert.equal(c.stats.tokenRequests, 2, 'c1 once (refused), c2 once (cached)')
    assert.ok(s.seen.some(x => x.url === '/oauth/token'), 'a token path is on the origin of the base URL, not under its path')
    assert.ok(lines.some(l => /OAuth token request failed for client c1/.test(l)))
    assert.ok(!lines.join('\n').includes('revoked'), 'no secret in the log')
  })

  it('every client refused: one auth RestError with each reason and the caller\'s hint', async () => {
    const s = await server(idp(new Set()))
    const c = client({ baseUrls: [s.url], auth: { type: 'oauth', options: { tokenUrl: '/oauth/token', clients: [{ clientId: 'c1', clientSecret: 'x' }, { clientId: 'c2', clientSecret: 'y' }] } } }, { authHint: 'auth.oauth client_id/client_secret' })
    const e = await rejection(c.request({ method: 'GET', path: '/x' }))
    assert.equal(e.kind, 'auth')
    assert.ok(/no OAuth client got a token/.test(e.message) && /bad secret for c1/.test(e.message) && /bad secret for c2/.test(e.message) && /auth\.oauth client_id\/client_secret/.test(e.message), e.message)
  })

  it('roundRobin: requests alternate between the clients, one cached token each', async () => {
    const s = await server(idp(new Set(['a:1', 'b:2'])))
    const c = client({ baseUrls: [s.url], auth: { type: 'oauth', options: { tokenUrl: `${s.url}/oauth/token`, clientRotation: 'roundRobin', clients: [{ clientId: 'a', clientSecret: '1' }, { clientId: 'b', clientSecret: '2' }] } } })
    const auths: string[] = []
    for (let i = 0; i < 4; i++) auths.push((await c.request<{ auth: string }>({ method: 'GET', path: '/x' })).body.auth)
    assert.deepEqual(auths, ['Bearer a-1', 'Bearer b-2', 'Bearer a-1', 'Bearer b-2'])
    assert.equal(c.stats.tokenRequests, 2)
  })
})

describe('rest client: maxConcurrent', () => {
  it('never more requests in flight than maxConcurrent; the wait is not part of attemptTimeout', async () => {
    let inFlight = 0
    let most = 0
    const s = await server((_req, res) => {
      most = Math.max(most, ++inFlight)
      setTimeout(() => { inFlight--; json(res, 200, {}) }, 60)
    })
    const c = client({ baseUrls: [s.url], maxConcurrent: 2, options: { attemptTimeout: 0.15 }, retry: { retriesPerUrl: 0 } })
    await Promise.all(Array.from({ length: 8 }, async () => await c.request({ method: 'GET', path: '/x' })))
    assert.equal(most, 2)
    assert.equal(s.seen.length, 8)
  })
})

describe('rest client: linkedPages and deltaPages', () => {
  it('follows a next link found anywhere in the body, fetching the next page while the caller works', async () => {
    const s = await server((req, res) => {
      const p = Number(new URL(req.url, 'http://x').searchParams.get('p') ?? 1)
      json(res, 200, { d: { results: [p], ...(p < 3 ? { __next: `${s.url}/api/list?p=${p + 1}` } : {}) } })
    })
    const c = client({ baseUrls: [`${s.url}/api`] })
    const got: unknown[] = []
    for await (const page of linkedPages(c, '/list', { next: b => (b as { d: { __next?: string } }).d.__next })) {
      if (got.length === 0) {
        // page 2 arrives at the server while page 1 is still being handled here
        const until = Date.now() + 5000
        while (s.seen.length < 2 && Date.now() < until) await new Promise(resolve => setTimeout(resolve, 10))
        assert.equal(s.seen.length, 2, 'page 2 requested before page 1 was handled')
      }
      got.push((page.body as { d: { results: unknown[] } }).d.results[0])
    }
    assert.deepEqual(got, [1, 2, 3])
  })

  it('links under a base URL are re-based: failover works in the middle of paging', async () => {
    const b = await server((req, res) => { json(res, 200, { items: ['b2'], from: req.url }) })
    const a = await server((_req, res) => { json(res, 200, { items: ['a1'], next: `${a.url}/api/list?page=2` }) })
    const c = client({ baseUrls: [`${a.url}/api`, `${b.url}/api`], retry: { retriesPerUrl: 0 } })
    const bodies: Array<{ items: string[], from?: string }> = []
    for await (const page of linkedPages(c, '/list', { prefetch: false, next: body => (body as { next?: string }).next })) {
      bodies.push(page.body as { items: string[] })
      if (bodies.length === 1) await a.stop()
    }
    assert.deepEqual(bodies.map(x => x.items[0]), ['a1', 'b2'])
    assert.equal(bodies[1]?.from, '/api/list?page=2')
  })

  it('a link to another host is refused (no request there); a link seen before and too many pages end the iteration', async () => {
    const s = await server((req, res) => {
      if (req.url.startsWith('/evil')) { json(res, 200, { next: 'http://attacker.example/steal' }); return }
      if (req.url.startsWith('/loop')) { json(res, 200, { next: `${s.url}/loop?x=1` }); return }
      const n = Number(new URL(req.url, 'http://x').searchParams.get('n') ?? 0)
      json(res, 200, { next: `/more?n=${n + 1}` })
    })
    const c = client({ baseUrls: [s.url], auth: { type: 'bearer', options: { token: 't' } } })
    const drain = async (it: AsyncIterable<unknown>): Promise<void> => { for await (const _ of it) void _ }
    const next = (b: unknown): string | undefined => (b as { next?: string }).next
    assert.match((await rejection(drain(linkedPages(c, '/evil', { next })))).message, /refusing to follow the next link http:\/\/attacker\.example\/steal/)
    assert.match((await rejection(drain(linkedPages(c, '/loop', { next })))).message, /repeats a page already read/)
    assert.match((await rejection(drain(linkedPages(c, '/more', { next, maxPages: 3 })))).message, /more than 3 pages/)
  })

  it('deltaPages: every page of a delta round, the last with its deltaLink', async () => {
    const s = await server((req, res) => {
      if (req.url.includes('$skiptoken')) { json(res, 200, { value: [{ id: '2' }], '@odata.deltaLink': `${s.url}/v1.0/users/delta?$deltatoken=abc` }); return }
      json(res, 200, { value: [{ id: '1' }], '@odata.nextLink': `${s.url}/v1.0/users/delta?$skiptoken=p2` })
    })
    const c = client({ baseUrls: [s.url] })
    const pages = []
    for await (const p of deltaPages(c, '/v1.0/users/delta?$select=id')) pages.push(p)
    assert.deepEqual(pages.map(p => p.value), [[{ id: '1' }], [{ id: '2' }]])
    assert.equal(pages[0]?.deltaLink, undefined)
    assert.equal(pages[1]?.deltaLink, `${s.url}/v1.0/users/delta?$deltatoken=abc`)
  })
})
