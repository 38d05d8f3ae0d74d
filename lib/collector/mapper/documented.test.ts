// Table-driven tests of documented-shape mapper sections (fixtures/documented.yaml): the translated
// sources and the user the compiled entries map from a sample person.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { parse } from 'yaml'
import { compileMapper } from './index.ts'
import { normalizeMapper } from './entries.ts'
import type { JsonObject } from '../../scim/types.ts'

interface Row { name: string, mapper: JsonObject, sources: string[], person: JsonObject, user: JsonObject }
const rows = parse(readFileSync(new URL('./fixtures/documented.yaml', import.meta.url), 'utf8')) as Row[]
const NOW = new Date('2024-06-15T12:00:00Z')

for (const row of rows) {
  test(`documented mapper: ${row.name}`, () => {
    const m = normalizeMapper(row.mapper, 'mapper')
    assert.deepEqual(m.problems, [])
    assert.deepEqual(m.user.map(e => e.source), row.sources)
    const { user, errors } = compileMapper(m.user, { now: () => NOW }).map(row.person)
    assert.deepEqual(errors, [])
    assert.deepEqual(user, row.user)
  })
}
