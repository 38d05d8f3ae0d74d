// Table-driven tests of the mapper functions (fixtures/functions.yaml): every row is one expression
// mapped through compileMapper, so parsing, compilation, evaluation and writing are all exercised.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { parse } from 'yaml'
import { compileMapper } from './index.ts'
import { isConfigError } from '../../config/errors.ts'
import type { JsonObject, JsonValue } from '../../scim/types.ts'

interface Row {
  name: string
  expr: string
  source: JsonObject
  expect?: JsonValue
  expectMatch?: string
  absent?: boolean
  error?: string
  compileError?: string
  now?: string
}

const rows = parse(readFileSync(new URL('./fixtures/functions.yaml', import.meta.url), 'utf8')) as Row[]

test('the function table has at least 80 cases', () => {
  assert.ok(rows.length >= 80, `only ${rows.length} rows`)
})

for (const row of rows) {
  test(`function: ${row.name}`, () => {
    const now = new Date(row.now ?? '2024-06-15T12:00:00Z')
    const entries = [{ source: row.expr, map_to: 'result' }]
    if (row.compileError !== undefined) {
      assert.throws(() => compileMapper(entries, { now: () => now }), (err: unknown) => {
        assert.ok(isConfigError(err), 'a ConfigError')
        assert.match(err.message, /mapper\.user\[0\]\.source: /)
        assert.ok(err.message.includes(row.compileError as string), `${err.message} should include ${row.compileError}`)
        return true
      })
      return
    }
    const { user, errors } = compileMapper(entries, { now: () => now }).map(row.source)
    if (row.error !== undefined) {
      assert.equal(errors.length, 1, 'one error')
      assert.equal(errors[0]?.index, 0)
      assert.ok(errors[0]?.message.includes(row.error), `${errors[0]?.message} should include ${row.error}`)
      assert.equal(user.result, undefined)
      return
    }
    assert.deepEqual(errors, [])
    if (row.absent === true) assert.equal(Object.hasOwn(user, 'result'), false, `unexpected value ${JSON.stringify(user.result)}`)
    else if (row.expectMatch !== undefined) {
      assert.equal(typeof user.result, 'string')
      assert.match(user.result as string, new RegExp(row.expectMatch))
    } else assert.deepEqual(user.result, row.expect)
  })
}
