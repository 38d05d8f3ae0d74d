// Tests of runBulk: the failOnErrors/error-mapping table from fixtures/run.json, and an end-to-end run
// of the RFC 7644 §3.7.2 example against an in-memory executor that creates ids.
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { ScimError, NotFoundError } from '../errors.ts'
import { isJsonObject, type JsonObject } from '../types.ts'
import { parseBulkRequest } from './parse.ts'
import { runBulk, type BulkExecutor } from './run.ts'
import { BULK_RESPONSE_SCHEMA, type ResolvedBulkOperation } from './types.ts'

interface RunCase {
  name: string
  request: unknown
  expect: Array<{ method: string, status: string, bulkId?: string, scimType?: string, detail?: string }>
  mustNotContain?: string
}

const cases = JSON.parse(readFileSync(new URL('./fixtures/run.json', import.meta.url), 'utf8')) as RunCase[]
const LIMITS = { maxOperations: 100, maxPayloadSize: 1 << 20 }

/** In-memory store: POST creates `<type>-<n>`; other methods need an existing id. */
function memoryStore (): { execute: BulkExecutor, store: Map<string, JsonObject>, seen: ResolvedBulkOperation[] } {
  const store = new Map<string, JsonObject>()
  const seen: ResolvedBulkOperation[] = []
  let n = 0
  const execute: BulkExecutor = async (op) => {
    seen.push(op)
    const data = op.data ?? {}
    const fail = data._fail
    if (isJsonObject(fail)) throw new ScimError(Number(fail.status), fail.scimType === 'uniqueness' ? 'uniqueness' : 'invalidValue', String(fail.detail))
    if (typeof data._crash === 'string') throw new Error(data._crash)
    if (typeof data._status === 'number') return { status: data._status }
    if (op.path.includes('/missing')) throw new NotFoundError(`${op.path} not found`)
    if (op.method === 'POST') {
      const type = op.path.split('/').pop() ?? 'X'
      const id = `${type.toLowerCase()}-${++n}`
      store.set(`/${type}/${id}`, { ...data, id })
      return { location: `https://example.com/v2/${type}/${id}`, version: `W/"${n}"` }
    }
    if (op.method === 'DELETE') { store.delete(op.path); return {} }
    store.set(op.path, { ...data })
    return { location: `https://example.com/v2${op.path}` }
  }
  return { execute, store, seen }
}

describe('runBulk (fixtures/run.json)', () => {
  for (const c of cases) {
    it(c.name, async () => {
      const req = parseBulkRequest(c.request, LIMITS, 0)
      const res = await runBulk(req, memoryStore().execute)
      assert.deepEqual(res.schemas, [BULK_RESPONSE_SCHEMA])
      assert.equal(res.Operations.length, c.expect.length, JSON.stringify(res.Operations))
      res.Operations.forEach((got, i) => {
        const want = c.expect[i]
        assert.ok(want !== undefined)
        assert.equal(got.method, want.method)
        assert.equal(got.status, want.status)
        assert.equal(got.bulkId, want.bulkId)
        if (Number(got.status) >= 400) {
          const body = got.response
          assert.ok(body !== undefined, 'error entries carry a response body')
          assert.deepEqual(body.schemas, ['urn:ietf:params:scim:api:messages:2.0:Error'])
          assert.equal(body.status, want.status)
          assert.equal(body.scimType, want.scimType)
          if (want.detail !== undefined) assert.ok(String(body.detail).includes(want.detail), String(body.detail))
        } else {
          assert.equal(got.response, undefined)
        }
      })
      if (c.mustNotContain !== undefined) assert.ok(!JSON.stringify(res).includes(c.mustNotContain))
    })
  }
})

describe('runBulk end to end', () => {
  it('runs the RFC 7644 §3.7.2 example sent group-first and resolves every bulkId', async () => {
    const body = {
      schemas: ['urn:ietf:params:scim:api:messages:2.0:BulkRequest'],
      Operations: [
        {
          method: 'POST',
          path: '/Groups',
          bulkId: 'ijuhyg',
          data: { displayName: 'Tour Guides', members: [{ type: 'User', value: 'bulkId:qwerty' }, { type: 'User', value: 'bulkId:ytrewq' }] }
        },
        { method: 'POST', path: '/Users', bulkId: 'qwerty', data: { userName: 'Alice' } },
        { method: 'POST', path: '/Users', bulkId: 'ytrewq', data: { userName: 'Bob', manager: { $ref: 'https://example.com/v2/Users/bulkId:qwerty' } } },
        { method: 'PATCH', path: '/Groups/bulkId:ijuhyg', data: { Operations: [{ op: 'replace', path: 'displayName', value: 'Guides' }] } },
        { method: 'DELETE', path: '/Users/bulkId:ytrewq' }
      ]
    }
    const { execute, store, seen } = memoryStore()
    const res = await runBulk(parseBulkRequest(body, LIMITS, JSON.stringify(body).length), execute)

    assert.deepEqual(seen.map(op => op.index), [1, 2, 0, 3, 4])
    assert.deepEqual(res.Operations, [
      { method: 'POST', bulkId: 'qwerty', status: '201', location: 'https://example.com/v2/Users/users-1', version: 'W/"1"' },
      { method: 'POST', bulkId: 'ytrewq', status: '201', location: 'https://example.com/v2/Users/users-2', version: 'W/"2"' },
      { method: 'POST', bulkId: 'ijuhyg', status: '201', location: 'https://example.com/v2/Groups/groups-3', version: 'W/"3"' },
      { method: 'PATCH', status: '200', location: 'https://example.com/v2/Groups/groups-3' },
      { method: 'DELETE', status: '204' }
    ])
    assert.deepEqual(seen[2]?.data?.members, [{ type: 'User', value: 'users-1' }, { type: 'User', value: 'users-2' }])
    assert.equal(store.has('/Groups/groups-3'), true)
    assert.deepEqual(seen[1]?.data?.manager, { $ref: 'https://example.com/v2/Users/users-1' })
    assert.equal(seen[3]?.path, '/Groups/groups-3')
    assert.equal(seen[4]?.path, '/Users/users-2')
    assert.equal(store.has('/Users/users-2'), false)
    assert.deepEqual(body.Operations[0]?.data?.members?.[0], { type: 'User', value: 'bulkId:qwerty' }, 'request left unchanged')
  })

  it('takes the created id from result.id, then response.id, then the location', async () => {
    const body = {
      schemas: ['urn:ietf:params:scim:api:messages:2.0:BulkRequest'],
      Operations: [
        { method: 'POST', path: '/Users', bulkId: 'a', data: {} },
        { method: 'POST', path: '/Users', bulkId: 'b', data: {} },
        { method: 'POST', path: '/Users', bulkId: 'c', data: {} },
        { method: 'PATCH', path: '/Users/bulkId:a', data: { v: ['bulkId:b', 'bulkId:c'] } }
      ]
    }
    const seen: ResolvedBulkOperation[] = []
    const res = await runBulk(parseBulkRequest(body, LIMITS, 0), async op => {
      seen.push(op)
      if (op.bulkId === 'a') return { id: 'ID-A', location: 'https://h/Users/ignored' }
      if (op.bulkId === 'b') return { response: { id: 'ID-B', userName: 'b' } }
      if (op.bulkId === 'c') return { location: 'https://h/Users/ID%20C/' }
      return {}
    })
    assert.equal(seen[3]?.path, '/Users/ID-A')
    assert.deepEqual(seen[3]?.data, { v: ['ID-B', 'ID C'] })
    assert.deepEqual(res.Operations[1]?.response, { id: 'ID-B', userName: 'b' }, 'a success body is passed through')
  })

  it('fails dependents with 409 when a POST succeeds without reporting an id', async () => {
    const body = {
      schemas: ['urn:ietf:params:scim:api:messages:2.0:BulkRequest'],
      Operations: [{ method: 'POST', path: '/Users', bulkId: 'a', data: {} }, { method: 'DELETE', path: '/Users/bulkId:a' }]
    }
    let calls = 0
    const res = await runBulk(parseBulkRequest(body, LIMITS, 0), async () => { calls++; return {} })
    assert.equal(calls, 1)
    assert.deepEqual(res.Operations.map(o => o.status), ['201', '409'])
  })

  it('stops and rejects with the reason when the signal aborts', async () => {
    const body = {
      schemas: ['urn:ietf:params:scim:api:messages:2.0:BulkRequest'],
      Operations: [
        { method: 'DELETE', path: '/Users/1' }, { method: 'DELETE', path: '/Users/2' }, { method: 'DELETE', path: '/Users/3' }
      ]
    }
    const ac = new AbortController()
    const reason = new Error('client went away')
    const ran: string[] = []
    await assert.rejects(runBulk(parseBulkRequest(body, LIMITS, 0), async (op, ctx) => {
      assert.equal(ctx.signal, ac.signal, 'the executor gets the signal')
      ran.push(op.path)
      if (op.path === '/Users/2') ac.abort(reason)
      return {}
    }, { signal: ac.signal }), (e: unknown) => e === reason)
    assert.deepEqual(ran, ['/Users/1', '/Users/2'])
  })
})
