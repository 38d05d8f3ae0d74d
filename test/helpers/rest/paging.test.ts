// Paging helpers against real local servers: Graph-style @odata.nextLink chains (absolute links,
// auth kept on the same origin) and SCIM startIndex/count lists; malformed answers are typed errors.
import { describe, it, after } from 'node:test'
import assert from 'node:assert/strict'
import { createRestClient, odataPages, scimPages, isRestError, type RestClient } from '../../../lib/helpers/rest/index.ts'
import { json, startServer, type TestServer } from './support.ts'

const servers: TestServer[] = []
const clients: RestClient[] = []
after(async () => { for (const c of clients) await c.close(); for (const s of servers) await s.stop() })

describe('rest client: paging', () => {
  it('follows @odata.nextLink to the end, with the bearer token on every page', async () => {
    const s = await startServer((req, res) => {
      const u = new URL(req.url, 'http://x')
      const skip = Number(u.searchParams.get('$skiptoken') ?? 0)
      const top = Number(u.searchParams.get('$top') ?? 2)
      const items = Array.from({ length: 5 }, (_, i) => ({ id: String(i), auth: req.headers.authorization })).slice(skip, skip + top)
      json(res, 200, { value: items, ...(skip + top < 5 ? { '@odata.nextLink': `${s.url}/users?$top=${top}&$skiptoken=${skip + top}` } : {}) })
    })
    servers.push(s)
    const c = createRestClient({ baseUrls: [s.url], auth: { type: 'bearer', options: { token: 'tk' } } })
    clients.push(c)
    const pages: Array<Array<{ id: string, auth: string }>> = []
    for await (const page of odataPages<{ id: string, auth: string }>(c, '/users', { query: { $top: 2 } })) pages.push(page)
    assert.deepEqual(pages.map(p => p.map(x => x.id)), [['0', '1'], ['2', '3'], ['4']])
    assert.ok(pages.flat().every(x => x.auth === 'Bearer tk'))
    assert.equal(s.seen[0]?.url, '/users?%24top=2')
  })

  it('a nextLink that repeats a page is an error, not an endless loop; a non-list answer is an error', async () => {
    const s = await startServer((req, res) => {
      if (req.url.startsWith('/bad')) { json(res, 200, { nope: true }); return }
      json(res, 200, { value: [1], '@odata.nextLink': `${s.url}/loop?p=1` })
    })
    servers.push(s)
    const c = createRestClient({ baseUrls: [s.url] })
    clients.push(c)
    let n = 0
    await assert.rejects(async () => { for await (const _ of odataPages(c, '/loop')) n++ }, (e: unknown) => isRestError(e) && /repeats a page/.test(e.message))
    assert.equal(n, 2)
    await assert.rejects(async () => { for await (const _ of odataPages(c, '/bad')) n++ }, (e: unknown) => isRestError(e) && /OData list/.test(e.message))
  })

  it('reads a SCIM list with startIndex/count until totalResults', async () => {
    const s = await startServer((req, res) => {
      const u = new URL(req.url, 'http://x')
      const start = Number(u.searchParams.get('startIndex'))
      const count = Number(u.searchParams.get('count'))
      const all = Array.from({ length: 7 }, (_, i) => ({ id: `u${i + 1}` }))
      json(res, 200, { totalResults: all.length, startIndex: start, itemsPerPage: count, Resources: all.slice(start - 1, start - 1 + count) }, { 'content-type': 'application/scim+json' })
    })
    servers.push(s)
    const c = createRestClient({ baseUrls: [s.url] })
    clients.push(c)
    const ids: string[] = []
    for await (const page of scimPages<{ id: string }>(c, '/Users', { count: 3, query: { filter: 'active eq true' } })) ids.push(...page.map(r => r.id))
    assert.deepEqual(ids, ['u1', 'u2', 'u3', 'u4', 'u5', 'u6', 'u7'])
    assert.equal(s.seen.length, 3)
    assert.equal(s.seen[1]?.url, '/Users?filter=active+eq+true&startIndex=4&count=3')
  })
})
