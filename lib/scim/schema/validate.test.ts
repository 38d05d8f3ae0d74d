// Table-driven tests of validateResource (fixtures/validate.json) plus a fast-check property:
// on any JSON input it returns a resource or throws a ScimError, and never mutates its input.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import fc from 'fast-check'
import { validateResource, type ValidationMode } from './validate.ts'
import { coreResourceSchema, createResourceSchema, type ResourceSchema } from './resolve.ts'
import { ScimError } from '../errors.ts'
import type { ResourceTypeDef, SchemaDef } from '../types.ts'

interface Case {
  name: string
  type: 'User' | 'Group' | 'Device'
  mode: ValidationMode
  input: unknown
  expect?: unknown
  error?: { status: number, scimType: string, detail?: string }
}
interface Fixture { cases: Case[], customSchemas: SchemaDef[], customResourceType: ResourceTypeDef }

const fixture = JSON.parse(readFileSync(new URL('../fixtures/validate.json', import.meta.url), 'utf8')) as Fixture
const device = createResourceSchema(fixture.customResourceType, fixture.customSchemas)
const schemaFor = (t: Case['type']): ResourceSchema => t === 'Device' ? device : coreResourceSchema(t)

test('fixture has at least 25 cases', () => {
  assert.ok(fixture.cases.length >= 25, `only ${fixture.cases.length} cases`)
})

for (const c of fixture.cases) {
  test(`validate: ${c.name}`, () => {
    const before = JSON.stringify(c.input)
    if (c.error !== undefined) {
      const want = c.error
      assert.throws(() => validateResource(c.input, schemaFor(c.type), c.mode), (e: unknown) => {
        assert.ok(e instanceof ScimError, `expected ScimError, got ${String(e)}`)
        assert.equal(e.status, want.status)
        assert.equal(e.scimType, want.scimType)
        if (want.detail !== undefined) assert.ok(e.detail.includes(want.detail), `detail "${e.detail}" should mention "${want.detail}"`)
        return true
      })
    } else {
      const out = validateResource(c.input, schemaFor(c.type), c.mode)
      assert.deepEqual(JSON.parse(JSON.stringify(out)), c.expect)
    }
    assert.equal(JSON.stringify(c.input), before, 'input must not be mutated')
  })
}

test('output does not share objects with the input', () => {
  const input = { userName: 'a', name: { givenName: 'A' }, custom: { deep: { x: 1 } } }
  const out = validateResource(input, coreResourceSchema('User'), 'create')
  assert.notEqual(out.name, input.name)
  assert.notEqual(out.custom, input.custom)
})

test('a __proto__ key neither pollutes nor survives', () => {
  const input = JSON.parse('{"userName":"a","__proto__":{"polluted":true},"name":{"__proto__":{"x":1},"givenName":"A"}}') as unknown
  const out = validateResource(input, coreResourceSchema('User'), 'create')
  assert.equal(Object.prototype.hasOwnProperty.call(out, '__proto__'), false)
  assert.equal(({} as Record<string, unknown>).polluted, undefined)
  assert.deepEqual(JSON.parse(JSON.stringify(out.name)), { givenName: 'A' })
})

test('property: random JSON returns a resource or throws ScimError only', () => {
  const schemas = [coreResourceSchema('User'), coreResourceSchema('Group'), device]
  const keys = fc.constantFrom('userName', 'UserName', 'displayName', 'active', 'name', 'emails', 'members', 'schemas', 'meta', 'id',
    'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User', 'urn:x:y', 'serial', 'ports', 'purchased', 'tags', '__proto__', 'value', 'givenName')
  const { tree } = fc.letrec(tie => ({
    tree: fc.oneof({ depthSize: 'small' }, fc.jsonValue({ maxDepth: 2 }), tie('obj'), fc.array(tie('tree'), { maxLength: 3 })),
    obj: fc.dictionary(keys, tie('tree'), { maxKeys: 5 })
  }))
  fc.assert(fc.property(tree, fc.constantFrom(0, 1, 2), fc.constantFrom<ValidationMode>('create', 'replace'), (input, si, mode) => {
    const before = JSON.stringify(input)
    try {
      const out = validateResource(input, schemas[si] as ResourceSchema, mode)
      assert.ok(Array.isArray(out.schemas))
      JSON.stringify(out)
    } catch (e) {
      if (!(e instanceof ScimError)) throw e
      assert.equal(e.status, 400)
    }
    assert.equal(JSON.stringify(input), before)
  }), { numRuns: 600 })
})
