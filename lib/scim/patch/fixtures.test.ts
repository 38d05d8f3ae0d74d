// Table-driven PATCH tests: every case of every fixtures/*.json file goes through one loop:
// body → parsePatchRequest → applyPatch → expected resource or expected ScimError (status, scimType).
// A fixture file is { description, bases?: {name: resource}, cases: [...] }; `resource` and
// `expected` may name a base. A case may give `body` (the raw request) instead of `operations`.
import { test, describe } from 'node:test'
import assert from 'node:assert/strict'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { applyPatch, parsePatchRequest } from './index.ts'
import { coreResourceSchema } from '../schema/resolve.ts'
import { ScimError } from '../errors.ts'
import type { JsonObject, JsonValue, ScimResource } from '../types.ts'
import { isJsonObject } from '../types.ts'

interface Case {
  name: string
  resourceType: 'User' | 'Group'
  resource: JsonObject | string
  operations?: JsonValue[]
  body?: JsonValue
  options?: { allowUnknownAttributes?: boolean }
  expected?: JsonObject | string
  error?: { status: number, scimType?: string }
}
interface FixtureFile { description: string, bases?: Record<string, JsonObject>, cases: Case[] }

const dir = join(import.meta.dirname, 'fixtures')
const files = readdirSync(dir).filter(f => f.endsWith('.json')).sort()

let total = 0
for (const file of files) {
  const fixture = JSON.parse(readFileSync(join(dir, file), 'utf8')) as FixtureFile
  const bases = fixture.bases ?? {}
  const pick = (v: JsonObject | string): JsonObject => {
    if (typeof v !== 'string') return v
    const b = bases[v]
    if (b === undefined) throw new Error(`${file}: unknown base "${v}"`)
    return b
  }
  describe(`${file}: ${fixture.description}`, () => {
    for (const c of fixture.cases) {
      total++
      test(c.name, () => {
        assert.ok((c.expected === undefined) !== (c.error === undefined), 'a case has exactly one of expected / error')
        const resource = structuredClone(pick(c.resource)) as ScimResource
        const snapshot = structuredClone(resource)
        const body = c.body ?? { schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: c.operations ?? [] }
        const run = (): ScimResource => applyPatch(resource, parsePatchRequest(body), coreResourceSchema(c.resourceType), c.options)
        if (c.error !== undefined) {
          const err = c.error
          assert.throws(run, (e: unknown) => {
            assert.ok(e instanceof ScimError, `expected a ScimError, got ${String(e)}`)
            assert.equal(e.status, err.status)
            assert.equal(e.scimType, err.scimType)
            return true
          })
        } else {
          const out = run()
          assert.deepEqual(out, pick(c.expected as JsonObject | string))
          assert.ok(isJsonObject(out) && out !== resource, 'a new object is returned')
        }
        assert.deepEqual(resource, snapshot, 'the input resource is not mutated')
      })
    }
  })
}

test('fixture tables hold at least 100 cases', () => {
  assert.ok(total >= 100, `only ${total} cases`)
})
