// Table-driven tests of scimgateway's type-converted form (fixtures/typeconvert.json): round trips,
// the inverse on hand-written input, and modifications (ops applied by the PATCH engine, then turned
// into the changed attributes with delete markers), plus a fast-check round-trip property.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import fc from 'fast-check'
import { fromTypeConverted, operationsToTypeConverted, toTypeConverted } from './typeconvert.ts'
import { coreResourceSchema } from '../schema/resolve.ts'
import { applyPatch } from '../patch/index.ts'
import type { PatchOperation } from '../types.ts'
import type { JsonObject, ScimResource } from '../types.ts'

interface Pair { name: string, resource: ScimResource, converted: JsonObject }
interface Mod { name: string, type: 'User' | 'Group', ops: PatchOperation[], withBefore: unknown, withoutBefore: unknown }
interface Fixture { roundTrips: Pair[], fromOnly: Pair[], beforeUser: ScimResource, beforeGroup: ScimResource, modifications: Mod[] }
const fx = JSON.parse(readFileSync(new URL('../fixtures/typeconvert.json', import.meta.url), 'utf8')) as Fixture

for (const c of fx.roundTrips) {
  test(`type-convert round trip: ${c.name}`, () => {
    const before = JSON.stringify(c.resource)
    assert.deepEqual(toTypeConverted(c.resource), c.converted)
    assert.deepEqual(fromTypeConverted(c.converted), c.resource)
    assert.equal(JSON.stringify(c.resource), before)
  })
}
for (const c of fx.fromOnly) {
  test(`fromTypeConverted: ${c.name}`, () => assert.deepEqual(fromTypeConverted(c.converted), c.resource))
}
for (const c of fx.modifications) {
  test(`operationsToTypeConverted: ${c.name}`, () => {
    const before = c.type === 'User' ? fx.beforeUser : fx.beforeGroup
    const after = applyPatch(before, c.ops, coreResourceSchema(c.type))
    assert.deepEqual(operationsToTypeConverted(c.ops, after, before), c.withBefore, 'with the before state')
    assert.deepEqual(operationsToTypeConverted(c.ops, after), c.withoutBefore, 'from the operations alone')
  })
}

test('attribute list is configurable', () => {
  const r = { emails: [{ value: 'a', type: 'work' }], members: [{ value: 'u', type: 'User' }] }
  assert.deepEqual(toTypeConverted(r, { attributes: ['members'] }), { emails: [{ value: 'a', type: 'work' }], members: { User: { value: 'u', type: 'User' } } })
})

test('output shares nothing with the input', () => {
  const r = { emails: [{ value: 'a', type: 'work' }], name: { givenName: 'x' } }
  const c = toTypeConverted(r)
  assert.notEqual(c.name, r.name)
  const back = fromTypeConverted(c)
  assert.notEqual(back.name, c.name)
})

test('property: fromTypeConverted(toTypeConverted(r)) equals r', () => {
  const el = fc.record({ value: fc.string(), type: fc.option(fc.constantFrom('work', 'home', 'other', ''), { nil: undefined }), primary: fc.option(fc.boolean(), { nil: undefined }) }, { requiredKeys: ['value'] })
  const res = fc.record({
    userName: fc.string(),
    emails: fc.array(el, { maxLength: 4 }),
    phoneNumbers: fc.array(el, { maxLength: 3 }),
    members: fc.array(el, { maxLength: 3 })
  })
  fc.assert(fc.property(res, r => {
    const clean = JSON.parse(JSON.stringify(r)) as ScimResource
    assert.deepEqual(fromTypeConverted(toTypeConverted(clean)), clean)
  }), { numRuns: 300 })
})
