// Table-driven tests of sorting, paging and list-parameter parsing (fixtures/listing.json), and the
// ListResponse envelope for 2.0 and 1.1.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { listResponse, paginate, parseListParams, searchRequestToParams, sortResources, type SortOrder } from './listing.ts'
import { coreResourceSchema } from './schema/resolve.ts'
import { ScimError } from './errors.ts'
import type { ScimResource } from './types.ts'

interface SortCase { name: string, sortBy?: string, sortOrder?: SortOrder, startIndex: number, count?: number, expect: string[] }
interface ParamCase { name: string, query?: Record<string, string>, body?: unknown, expect?: unknown, error?: string }
interface Fixture { resources: ScimResource[], sortPage: SortCase[], listParams: ParamCase[], searchRequests: ParamCase[] }
const fx = JSON.parse(readFileSync(new URL('./fixtures/listing.json', import.meta.url), 'utf8')) as Fixture
const OPTS = { defaultCount: 100, maxCount: 200 }
const user = coreResourceSchema('User')

test('fixture has at least 20 sort/paging cases', () => assert.ok(fx.sortPage.length >= 20))

for (const c of fx.sortPage) {
  test(`sort/page: ${c.name}`, () => {
    const before = fx.resources.map(r => r.id)
    const sorted = sortResources(fx.resources, c.sortBy, c.sortOrder, user)
    assert.deepEqual(paginate(sorted, c.startIndex, c.count).map(r => r.id), c.expect)
    assert.deepEqual(fx.resources.map(r => r.id), before, 'input order must not change')
  })
}

function expectParams (c: ParamCase, run: () => unknown): void {
  if (c.error !== undefined) {
    assert.throws(run, (e: unknown) => e instanceof ScimError && e.status === 400 && e.scimType === c.error)
  } else {
    assert.deepEqual(run(), c.expect)
  }
}
for (const c of fx.listParams) test(`parseListParams: ${c.name}`, () => expectParams(c, () => parseListParams(c.query ?? {}, OPTS)))
for (const c of fx.searchRequests) test(`searchRequestToParams: ${c.name}`, () => expectParams(c, () => searchRequestToParams(c.body, OPTS)))

test('default count never exceeds maxCount', () => {
  assert.equal(parseListParams({}, { defaultCount: 500, maxCount: 50 }).count, 50)
})

test('sortBy that is not an attribute path → 400', () => {
  assert.throws(() => sortResources(fx.resources, 'emails[', 'ascending', user), (e: unknown) => e instanceof ScimError && e.status === 400)
})

test('listResponse 2.0 and 1.1', () => {
  const page = [{ id: 'a' }, { id: 'b' }]
  assert.deepEqual(listResponse(page, { totalResults: 10, startIndex: 3 }), {
    schemas: ['urn:ietf:params:scim:api:messages:2.0:ListResponse'], totalResults: 10, itemsPerPage: 2, startIndex: 3, Resources: page
  })
  const v1 = listResponse(page, { version: '1.1' })
  assert.deepEqual(v1.schemas, ['urn:scim:schemas:core:1.0'])
  assert.equal(v1.totalResults, 2)
  assert.equal(v1.startIndex, 1)
  assert.deepEqual(listResponse([]).Resources, [])
})

test('sorting many resources stays stable', () => {
  const many: ScimResource[] = Array.from({ length: 500 }, (_, i) => ({ id: String(i), title: i % 3 === 0 ? 'x' : 'y' }))
  const sorted = sortResources(many, 'title', 'descending', user)
  const ys = sorted.slice(0, many.filter(r => r.title === 'y').length)
  assert.ok(ys.every(r => r.title === 'y'))
  const ids = ys.map(r => Number(r.id))
  assert.deepEqual(ids, [...ids].sort((a, b) => a - b))
})
