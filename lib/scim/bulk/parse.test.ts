// Table-driven tests of parseBulkRequest from fixtures/parse.json, plus a fast-check robustness property.
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import fc from 'fast-check'
import { ScimError } from '../errors.ts'
import { parseBulkRequest } from './parse.ts'
import type { BulkRequest } from './types.ts'

interface ParseCase {
  name: string
  body: unknown
  limits?: { maxOperations: number, maxPayloadSize: number }
  payloadBytes?: number
  ok?: Partial<BulkRequest>
  error?: { status: number, scimType?: string, detail?: string }
}

const cases = JSON.parse(readFileSync(new URL('./fixtures/parse.json', import.meta.url), 'utf8')) as ParseCase[]
const LIMITS = { maxOperations: 10, maxPayloadSize: 100000 }

describe('parseBulkRequest (fixtures/parse.json)', () => {
  it('has at least 15 validation cases', () => {
    assert.ok(cases.filter(c => c.error !== undefined).length >= 15)
  })
  for (const c of cases) {
    it(c.name, () => {
      const run = (): BulkRequest => parseBulkRequest(c.body, c.limits ?? LIMITS, c.payloadBytes ?? 100)
      if (c.error !== undefined) {
        const want = c.error
        assert.throws(run, (e: unknown) => {
          assert.ok(e instanceof ScimError, 'throws a ScimError')
          assert.equal(e.status, want.status)
          assert.equal(e.scimType, want.scimType)
          if (want.detail !== undefined) assert.ok(e.detail.includes(want.detail), `detail ${JSON.stringify(e.detail)} should include ${JSON.stringify(want.detail)}`)
          return true
        })
        return
      }
      const req = run()
      assert.ok(req.operations.length > 0)
      if (c.ok?.operations !== undefined) assert.deepEqual(req.operations, c.ok.operations)
      assert.equal(req.failOnErrors, c.ok?.failOnErrors)
    })
  }
})

describe('parseBulkRequest properties', () => {
  const method = fc.constantFrom('POST', 'put', 'Patch', 'DELETE', 'GET', '', 42, null)
  const path = fc.oneof(fc.constantFrom('/Users', '/Groups/1', '/Users/bulkId:a', 'Users', '/', '/a//b'), fc.string())
  const validOp = fc.oneof(
    fc.record({ method: fc.constantFrom('DELETE', 'delete'), path: fc.constantFrom('/Users/1', '/Groups/2') }),
    fc.record({ method: fc.constantFrom('PUT', 'PATCH'), path: fc.constant('/Users/1'), data: fc.object({ maxDepth: 1 }) })
  )
  const op = fc.oneof(
    { arbitrary: validOp, weight: 12 },
    { arbitrary: fc.record({
      method,
      path,
      bulkId: fc.option(fc.oneof(fc.constantFrom('a', 'b', 'c'), fc.string(), fc.integer()), { nil: undefined }),
      data: fc.option(fc.oneof(fc.object(), fc.array(fc.integer()), fc.constant(null)), { nil: undefined }),
      version: fc.option(fc.oneof(fc.string(), fc.integer()), { nil: undefined })
    }, { requiredKeys: [] }), weight: 1 },
    { arbitrary: fc.anything(), weight: 1 }
  )
  const body = fc.oneof(
    { arbitrary: fc.record({
      schemas: fc.oneof({ arbitrary: fc.constant(['urn:ietf:params:scim:api:messages:2.0:BulkRequest']), weight: 8 }, { arbitrary: fc.array(fc.string()), weight: 1 }, { arbitrary: fc.anything(), weight: 1 }),
      Operations: fc.oneof({ arbitrary: fc.array(op, { maxLength: 12 }), weight: 8 }, { arbitrary: fc.anything(), weight: 1 }),
      failOnErrors: fc.option(fc.oneof(fc.integer({ min: -2, max: 5 }), fc.double(), fc.string()), { nil: undefined })
    }, { requiredKeys: [] }), weight: 8 },
    { arbitrary: fc.anything(), weight: 1 }
  )

  it('returns a request or throws a ScimError with a 4xx status, nothing else', () => {
    let parsed = 0
    fc.assert(fc.property(body, fc.oneof({ arbitrary: fc.integer({ min: 0, max: 1000 }), weight: 8 }, { arbitrary: fc.integer({ min: 0, max: 200000 }), weight: 1 }), (b, bytes) => {
      try {
        const req = parseBulkRequest(b, LIMITS, bytes)
        parsed++
        assert.ok(req.operations.length >= 1 && req.operations.length <= LIMITS.maxOperations)
        for (const [i, o] of req.operations.entries()) {
          assert.equal(o.index, i)
          assert.ok(['POST', 'PUT', 'PATCH', 'DELETE'].includes(o.method))
          assert.ok(o.path.startsWith('/'))
          if (o.method === 'POST') assert.equal(typeof o.bulkId, 'string')
          if (o.method !== 'DELETE') assert.equal(typeof o.data, 'object')
        }
      } catch (e) {
        assert.ok(e instanceof ScimError, `unexpected ${String(e)}`)
        assert.ok(e.status === 400 || e.status === 413)
      }
    }), { numRuns: 1000 })
    assert.ok(parsed > 0, 'the generator also produces valid requests')
  })
})
