// Gateway core over HTTP (no ports): routing, auth, SCIM semantics, errors.
import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { harness, user, READER, TENANT_A } from './support.ts'

const ERR = 'urn:ietf:params:scim:api:messages:2.0:Error'

describe('routing', () => {
  test('paths are case-insensitive, tolerate a trailing slash, /scim and /v2 prefixes', async () => {
    const h = await harness()
    for (const p of ['/Users', '/users/', '/scim/Users', '/v2/Users', '/scim/v2/USERS/', '/clientA/Users', '/clienta/v2/users']) {
      const r = await h.json<{ totalResults: number }>('GET', p)
      assert.equal(r.status, 200, p)
      assert.equal(r.body.totalResults, 2, p)
    }
  })
  test('unknown baseEntity and unknown route are SCIM 404s', async () => {
    const h = await harness()
    for (const p of ['/nosuch/Users', '/Userz', '/Users/x/y']) {
      const r = await h.json<{ schemas: string[], status: string }>('GET', p)
      assert.equal(r.status, 404, p)
      assert.deepEqual(r.body.schemas, [ERR])
      assert.equal(r.body.status, '404')
    }
  })
  test('discovery endpoints and aliases', async () => {
    const h = await harness()
    for (const p of ['/ServiceProviderConfig', '/ServiceProviderConfigs', '/serviceConfiguration', '/Schemas', '/ResourceTypes', '/ResourceTypes/User', '/Schemas/urn:ietf:params:scim:schemas:core:2.0:User']) {
      assert.equal((await h.req('GET', p)).status, 200, p)
    }
    const spc = await h.json<{ patch: { supported: boolean }, bulk: { maxOperations: number } }>('GET', '/ServiceProviderConfig')
    assert.equal(spc.body.patch.supported, true)
    assert.equal((await h.req('GET', '/Schemas/urn:nope')).status, 404)
    assert.equal((await h.req('DELETE', '/Schemas')).status, 405)
  })
  test('/ping needs no auth; roles/entitlements answer 501 when the plugin lacks them', async () => {
    const h = await harness()
    assert.equal((await h.req('GET', '/ping', undefined, { authorization: '' })).status, 200)
    const r = await h.json<{ status: string }>('GET', '/Roles')
    assert.equal(r.status, 501)
    assert.equal(r.body.status, '501')
  })
  test('baseEntities keep separate data', async () => {
    const h = await harness()
    const c = await h.json<{ id: string }>('POST', '/clientA/Users', user('only-in-a'))
    assert.equal(c.status, 201)
    assert.equal((await h.json<{ totalResults: number }>('GET', '/clientA/Users?filter=userName eq "only-in-a"')).body.totalResults, 1)
    assert.equal((await h.json<{ totalResults: number }>('GET', '/clientB/Users?filter=userName eq "only-in-a"')).body.totalResults, 0)
    assert.equal((await h.json<{ totalResults: number }>('GET', '/Users?filter=userName eq "only-in-a"')).body.totalResults, 0)
  })
})

describe('authentication', () => {
  test('missing or wrong credentials → 401 with WWW-Authenticate naming every scheme', async () => {
    const h = await harness()
    for (const a of ['', 'Basic Z3dhZG1pbjp3cm9uZw==', 'Bearer nope', 'Basic !!!', 'Digest x', 'Bearer a.b.c']) {
      const r = await h.req('GET', '/Users', undefined, { authorization: a })
      assert.equal(r.status, 401, a)
      const www = r.headers.get('www-authenticate') ?? ''
      assert.match(www, /Basic/)
      assert.match(www, /Bearer/)
      const body = await r.json() as { detail: string }
      assert.equal(body.detail, 'Authorization failed')
    }
  })
  test('readOnly credentials: reads pass, writes answer 405', async () => {
    const h = await harness()
    assert.equal((await h.req('GET', '/Users', undefined, { authorization: READER })).status, 200)
    assert.equal((await h.req('POST', '/Users/.search', { schemas: ['urn:ietf:params:scim:api:messages:2.0:SearchRequest'] }, { authorization: READER })).status, 200)
    for (const [m, p] of [['POST', '/Users'], ['PUT', '/Users/x'], ['PATCH', '/Users/x'], ['DELETE', '/Users/x']] as const) {
      assert.equal((await h.req(m, p, user('x'), { authorization: READER })).status, 405, m)
    }
  })
  test('baseEntities restriction', async () => {
    const h = await harness()
    assert.equal((await h.req('GET', '/clientA/Users', undefined, { authorization: TENANT_A })).status, 200)
    assert.equal((await h.req('GET', '/clientB/Users', undefined, { authorization: TENANT_A })).status, 401)
    assert.equal((await h.req('GET', '/Users', undefined, { authorization: TENANT_A })).status, 401)
  })
})

describe('users CRUD', () => {
  test('create, get, filter, put, patch, delete', async () => {
    const h = await harness()
    const c = await h.json<{ id: string, meta: { location: string, version: string, resourceType: string }, password?: string }>('POST', '/Users', user('alice', { password: 'Secret1!', emails: [{ value: 'a@x.org', type: 'work' }] }))
    assert.equal(c.status, 201)
    assert.equal(c.body.meta.resourceType, 'User')
    assert.equal(c.headers.get('location'), c.body.meta.location)
    assert.match(c.body.meta.location, /^http:\/\/gw\.test\/Users\//)
    assert.equal(c.body.password, undefined, 'password is never returned')
    const id = c.body.id
    const g = await h.json<{ userName: string }>('GET', `/Users/${id}`)
    assert.equal(g.body.userName, 'alice')
    assert.equal(g.headers.get('etag'), c.body.meta.version)
    const f = await h.json<{ totalResults: number, Resources: Array<{ id: string }> }>('GET', '/Users?filter=userName eq "ALICE"')
    assert.equal(f.body.totalResults, 1)
    assert.equal(f.body.Resources[0]?.id, id)
    const p = await h.req('PATCH', `/Users/${id}`, { schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'Replace', path: 'active', value: 'False' }] })
    assert.equal(p.status, 204)
    assert.equal((await h.json<{ active: boolean }>('GET', `/Users/${id}`)).body.active, false)
    const u = await h.json<{ displayName: string, emails?: unknown }>('PUT', `/Users/${id}`, user('alice', { displayName: 'Alice' }))
    assert.equal(u.status, 200)
    assert.equal(u.body.displayName, 'Alice')
    assert.equal(u.body.emails, undefined, 'PUT replaces: emails absent from the body are gone')
    assert.equal((await h.req('DELETE', `/Users/${id}`)).status, 204)
    assert.equal((await h.req('GET', `/Users/${id}`)).status, 404)
    assert.equal((await h.req('DELETE', `/Users/${id}`)).status, 404)
  })
  test('duplicate userName → 409 uniqueness (case-insensitive)', async () => {
    const h = await harness()
    const r = await h.json<{ scimType: string, detail: string }>('POST', '/Users', user('BJENSEN'))
    assert.equal(r.status, 409)
    assert.equal(r.body.scimType, 'uniqueness')
    assert.ok(r.body.detail.length > 0)
  })
  test('PATCH with attributes returns the resource; usePutSoftSync keeps absent attributes', async () => {
    const h = await harness({ options: { usePutSoftSync: true } })
    const c = await h.json<{ id: string }>('POST', '/Users', user('softy', { title: 'Boss', emails: [{ value: 's@x.org', type: 'work' }] }))
    const p = await h.json<{ title: string }>('PATCH', `/Users/${c.body.id}?attributes=title`, { schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'replace', path: 'title', value: 'Chief' }] })
    assert.equal(p.status, 200)
    assert.equal(p.body.title, 'Chief')
    const u = await h.json<{ title: string, emails: Array<{ value: string }> }>('PUT', `/Users/${c.body.id}`, user('softy', { emails: [{ value: 'home@x.org', type: 'home' }] }))
    assert.equal(u.status, 200)
    assert.equal(u.body.title, 'Chief')
    assert.deepEqual(u.body.emails.map(e => e.value).sort(), ['home@x.org', 's@x.org'])
  })
  test('PATCH answers 200 with the resource when Accept names JSON; 204 with Accept */* or none', async () => {
    const h = await harness()
    const c = await h.json<{ id: string }>('POST', '/Users', user('accepty'))
    const op = { schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'replace', path: 'title', value: 'A' }] }
    const withBody = await h.json<{ title: string, id: string }>('PATCH', `/Users/${c.body.id}`, op, { accept: 'application/scim+json' })
    assert.equal(withBody.status, 200)
    assert.equal(withBody.body.title, 'A')
    assert.ok(withBody.headers.get('etag') !== null)
    assert.equal((await h.req('PATCH', `/Users/${c.body.id}`, op, { accept: 'application/json;q=0.9' })).status, 200)
    assert.equal((await h.req('PATCH', `/Users/${c.body.id}`, op, { accept: '*/*' })).status, 204)
    assert.equal((await h.req('PATCH', `/Users/${c.body.id}`, op)).status, 204)
  })
  test('ETag: If-None-Match → 304, stale If-Match → 412', async () => {
    const h = await harness()
    const c = await h.json<{ id: string, meta: { version: string } }>('POST', '/Users', user('etag'))
    const etag = c.body.meta.version
    assert.equal((await h.req('GET', `/Users/${c.body.id}`, undefined, { 'if-none-match': etag })).status, 304)
    const patch = { schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'replace', path: 'title', value: 'x' }] }
    assert.equal((await h.req('PATCH', `/Users/${c.body.id}`, patch, { 'if-match': etag })).status, 204)
    const stale = await h.json<{ status: string }>('PATCH', `/Users/${c.body.id}`, patch, { 'if-match': etag })
    assert.equal(stale.status, 412)
    assert.equal((await h.req('DELETE', `/Users/${c.body.id}`, undefined, { 'if-match': etag })).status, 412)
    assert.equal((await h.req('GET', `/Users/${c.body.id}`)).status, 200, 'not deleted')
  })
  test('list: sort, paging, projection, .search', async () => {
    const h = await harness({ demoData: false })
    for (const n of ['carol', 'alice', 'bob', 'dave']) await h.req('POST', '/Users', user(n, { title: n.toUpperCase() }))
    const s = await h.json<{ totalResults: number, itemsPerPage: number, startIndex: number, Resources: Array<{ userName: string, title?: string, id: string }> }>('GET', '/Users?sortBy=userName&sortOrder=descending&startIndex=2&count=2&attributes=userName')
    assert.equal(s.body.totalResults, 4)
    assert.equal(s.body.itemsPerPage, 2)
    assert.equal(s.body.startIndex, 2)
    assert.deepEqual(s.body.Resources.map(r => r.userName), ['carol', 'bob'])
    assert.equal(s.body.Resources[0]?.title, undefined)
    assert.ok(s.body.Resources[0]?.id !== undefined, 'id always returned')
    const q = await h.json<{ totalResults: number }>('POST', '/Users/.search', { schemas: ['urn:ietf:params:scim:api:messages:2.0:SearchRequest'], filter: 'userName sw "a" or title eq "BOB"', attributes: ['userName'] })
    assert.equal(q.status, 200)
    assert.equal(q.body.totalResults, 2)
    const complex = await h.json<{ totalResults: number }>('GET', `/Users?filter=${encodeURIComponent('(userName eq "alice" or userName eq "dave") and not (title eq "DAVE")')}`)
    assert.equal(complex.body.totalResults, 1)
  })
})

describe('bad input', () => {
  test('malformed JSON, wrong content type, empty body, oversized body, bad filter, bad PATCH', async () => {
    const h = await harness({ options: { maxPayloadBytes: 2048 } })
    const bad = await h.json<{ status: string, scimType: string }>('POST', '/Users', '{"userName": "x",')
    assert.equal(bad.status, 400)
    assert.equal(bad.body.scimType, 'invalidSyntax')
    assert.equal((await h.req('POST', '/Users', 'userName=x', { 'content-type': 'application/x-www-form-urlencoded' })).status, 415)
    assert.equal((await h.req('POST', '/Users', '')).status, 400)
    assert.equal((await h.req('POST', '/Users', user('big', { title: 'x'.repeat(5000) }))).status, 413)
    const f = await h.json<{ scimType: string }>('GET', `/Users?filter=${encodeURIComponent('userName eq')}`)
    assert.equal(f.status, 400)
    assert.equal(f.body.scimType, 'invalidFilter')
    const users = await h.json<{ Resources: Array<{ id: string }> }>('GET', '/Users')
    const id = users.body.Resources[0]?.id ?? ''
    const p = await h.json<{ scimType: string }>('PATCH', `/Users/${id}`, { schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'jump', path: 'title' }] })
    assert.equal(p.status, 400)
    const np = await h.json<{ scimType: string }>('PATCH', `/Users/${id}`, { schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'remove' }] })
    assert.equal(np.status, 400)
    assert.equal(np.body.scimType, 'noTarget')
    const missing = await h.json<{ scimType: string }>('POST', '/Users', { schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], active: true })
    assert.equal(missing.status, 400)
    assert.equal((await h.req('GET', '/Users?startIndex=abc')).status, 400)
    assert.equal((await h.req('GET', '/Users?sortOrder=sideways')).status, 400)
    assert.equal((await h.req('GET', `/Users/${encodeURIComponent('../../etc/passwd')}`)).status, 404)
  })
  test('a plugin exception becomes a 500 SCIM error without internals; a ScimError keeps its status', async () => {
    const h = await harness({
      plugin: {
        name: 'broken',
        async getUsers () { throw new Error('db password=hunter2 exploded at /srv/x.js:10') },
        async getGroups () { const { ScimError } = await import('../../lib/scim/errors.ts'); throw new ScimError(503, undefined, 'endpoint down') }
      }
    })
    const r = await h.json<{ detail: string, status: string }>('GET', '/Users')
    assert.equal(r.status, 500)
    assert.doesNotMatch(JSON.stringify(r.body), /hunter2|x\.js/)
    assert.equal((await h.json('GET', '/Groups')).status, 503)
    assert.equal((await h.json('POST', '/Users', user('x'))).status, 501)
  })
})

describe('bulk', () => {
  test('creates users and a group referencing them by bulkId', async () => {
    const h = await harness({ demoData: false })
    const r = await h.json<{ Operations: Array<{ status: string, location?: string, bulkId?: string }> }>('POST', '/Bulk', {
      schemas: ['urn:ietf:params:scim:api:messages:2.0:BulkRequest'],
      Operations: [
        { method: 'POST', path: '/Groups', bulkId: 'g1', data: { schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], displayName: 'Bulkers', members: [{ value: 'bulkId:u1' }, { value: 'bulkId:u2' }] } },
        { method: 'POST', path: '/Users', bulkId: 'u1', data: user('bulk1') },
        { method: 'POST', path: '/Users', bulkId: 'u2', data: user('bulk2') },
        { method: 'POST', path: '/Users', bulkId: 'dup', data: user('bulk1') }
      ]
    })
    assert.equal(r.status, 200)
    const byId = new Map(r.body.Operations.map(o => [o.bulkId, o]))
    assert.equal(byId.get('u1')?.status, '201')
    assert.equal(byId.get('g1')?.status, '201')
    assert.equal(byId.get('dup')?.status, '409')
    const g = await h.json<{ Resources: Array<{ members: Array<{ value: string }> }> }>('GET', '/Groups?filter=displayName eq "Bulkers"')
    const members = g.body.Resources[0]?.members.map(m => m.value) ?? []
    assert.equal(members.length, 2)
    assert.ok(members.every(v => !v.startsWith('bulkId:')))
  })
})

describe('SCIM 1.1', () => {
  test('/v1 answers in the 1.1 shape', async () => {
    const h = await harness()
    const r = await h.json<{ schemas: string[], Resources: Array<{ schemas: string[] }> }>('GET', '/v1/Users')
    assert.equal(r.status, 200)
    assert.ok(r.body.schemas.includes('urn:scim:schemas:core:1.0'))
    assert.ok(r.body.Resources[0]?.schemas.includes('urn:scim:schemas:core:1.0'))
    const e = await h.json<{ Errors: Array<{ code: string }> }>('GET', '/v1/Users/nope')
    assert.equal(e.status, 404)
    assert.equal(e.body.Errors[0]?.code, '404')
  })
})
