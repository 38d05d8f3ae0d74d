// Table-driven tests of diffResources (fixtures/diff/cases.json): the exact operations expected for
// before → after, and that applying them to `before` gives `after` (ignoring `schemas`, which
// applyPatch keeps in step with the extensions present), up to key case and element order.
import { test, describe } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { applyPatch, diffResources } from './index.ts'
import { coreResourceSchema } from '../schema/resolve.ts'
import type { JsonObject, JsonValue, ScimResource } from '../types.ts'

interface DiffCase {
  name: string
  resourceType?: 'User' | 'Group'
  before: ScimResource
  after: ScimResource
  operations: JsonValue[]
  /** The operations cannot reproduce `after` on purpose (ignored attributes differ). */
  skipApply?: boolean
}

const table = JSON.parse(readFileSync(join(import.meta.dirname, 'fixtures', 'diff', 'cases.json'), 'utf8')) as { description: string, cases: DiffCase[] }

/** Equality up to what diffResources treats as no difference: key case, order of multi-valued elements. */
function canon (v: JsonValue | undefined): JsonValue | undefined {
  if (Array.isArray(v)) return v.map(x => JSON.stringify(canon(x))).sort().map(x => JSON.parse(x) as JsonValue)
  if (v !== null && typeof v === 'object') {
    const out: JsonObject = {}
    for (const k of Object.keys(v).sort()) out[k.toLowerCase()] = canon(v[k])
    return out
  }
  return v
}

function withoutSchemas (r: JsonObject): JsonObject {
  const { schemas: _ignored, ...rest } = r
  return rest
}

describe(`diff/cases.json: ${table.description}`, () => {
  for (const c of table.cases) {
    test(c.name, () => {
      const schema = coreResourceSchema(c.resourceType ?? 'User')
      const ops = diffResources(c.before, c.after, schema)
      assert.deepEqual(ops, c.operations)
      if (c.skipApply !== true) {
        const result = applyPatch(c.before, ops, schema)
        assert.deepEqual(canon(withoutSchemas(result)), canon(withoutSchemas(c.after)))
      }
    })
  }
})
