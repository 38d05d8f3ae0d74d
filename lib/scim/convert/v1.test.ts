// Table-driven tests of SCIM 1.1 ⇄ 2.0 conversion (fixtures/convert-v1.json). PATCH cases also apply
// the produced operations with the 2.0 PATCH engine to check their effect, not just their text.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { listResponseFromV1, listResponseToV1, patchV1ToOperations, resourceFromV1, resourceToV1 } from './v1.ts'
import { coreResourceSchema } from '../schema/resolve.ts'
import { applyPatch } from '../patch/index.ts'
import { ScimError } from '../errors.ts'
import type { JsonObject, ScimResource } from '../types.ts'

type T = 'User' | 'Group'
interface ResCase { name: string, type: T, v1: JsonObject, v2: ScimResource }
interface PatchCase { name: string, type: T, body: unknown, expect?: unknown, after?: unknown, error?: string }
interface Fixture { resources: ResCase[], fromV1: ResCase[], beforeUser: ScimResource, beforeGroup: ScimResource, patches: PatchCase[] }
const fx = JSON.parse(readFileSync(new URL('../fixtures/convert-v1.json', import.meta.url), 'utf8')) as Fixture

for (const c of fx.resources) {
  test(`v1 resource round trip: ${c.name}`, () => {
    assert.deepEqual(resourceToV1(c.v2), c.v1)
    assert.deepEqual(resourceFromV1(c.v1, coreResourceSchema(c.type)), c.v2)
    assert.deepEqual(resourceFromV1(resourceToV1(c.v2), coreResourceSchema(c.type)), c.v2)
  })
}
for (const c of fx.fromV1) {
  test(`resourceFromV1: ${c.name}`, () => assert.deepEqual(resourceFromV1(c.v1, coreResourceSchema(c.type)), c.v2))
}

for (const c of fx.patches) {
  test(`patchV1ToOperations: ${c.name}`, () => {
    const schema = coreResourceSchema(c.type)
    if (c.error !== undefined) {
      assert.throws(() => patchV1ToOperations(c.body, schema), (e: unknown) => e instanceof ScimError && e.status === 400 && e.scimType === c.error)
      return
    }
    const ops = patchV1ToOperations(c.body, schema)
    assert.deepEqual(ops, c.expect)
    if (c.after !== undefined) {
      const before = c.type === 'User' ? fx.beforeUser : fx.beforeGroup
      assert.deepEqual(applyPatch(before, ops, schema), c.after)
    }
  })
}

test('list responses both ways', () => {
  const v2 = {
    schemas: ['urn:ietf:params:scim:api:messages:2.0:ListResponse'], totalResults: 5, itemsPerPage: 1, startIndex: 2,
    Resources: [{ schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], id: 'g', displayName: 'G' }]
  }
  const v1 = listResponseToV1(v2)
  assert.deepEqual(v1, { schemas: ['urn:scim:schemas:core:1.0'], totalResults: 5, itemsPerPage: 1, startIndex: 2, Resources: [{ schemas: ['urn:scim:schemas:core:1.0'], id: 'g', displayName: 'G' }] })
  assert.deepEqual(listResponseFromV1(v1, coreResourceSchema('Group')), v2)
  assert.deepEqual(listResponseFromV1({ Resources: [{ userName: 'x' }, 'junk'] }, coreResourceSchema('User')).Resources, [{ userName: 'x', schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'] }])
  assert.throws(() => listResponseFromV1('nope', coreResourceSchema('User')), ScimError)
})
