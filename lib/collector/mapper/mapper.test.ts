// Table-driven tests of whole mapper.user lists (fixtures/mapper.yaml), of config errors
// (fixtures/config-errors.yaml) and of parseHrDate / mostCurrent (fixtures/hr-dates.yaml).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { parse } from 'yaml'
import { compileMapper, mostCurrent, parseHrDate, type MapperEntry, type MapperError } from './index.ts'
import { isConfigError } from '../../config/errors.ts'
import type { JsonObject, JsonValue } from '../../scim/types.ts'

const load = (name: string): unknown => parse(readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8'))
const NOW = new Date('2024-06-15T12:00:00Z')

interface MapRow { name: string, entries: MapperEntry[], source: JsonObject, user: JsonObject, errors?: MapperError[], now?: string }
for (const row of load('mapper.yaml') as MapRow[]) {
  test(`mapper: ${row.name}`, () => {
    const now = row.now !== undefined ? new Date(row.now) : NOW
    const snapshot = JSON.stringify(row.source)
    const { user, errors } = compileMapper(row.entries, { now: () => now }).map(row.source)
    assert.deepEqual(user, row.user)
    assert.deepEqual(errors, row.errors ?? [])
    assert.equal(JSON.stringify(row.source), snapshot, 'the source is not modified')
  })
}

interface ErrRow { name: string, entries: MapperEntry[], problems: string[] }
for (const row of load('config-errors.yaml') as ErrRow[]) {
  test(`mapper config error: ${row.name}`, () => {
    assert.throws(() => compileMapper(row.entries), (err: unknown) => {
      assert.ok(isConfigError(err))
      assert.deepEqual(err.problems.map(p => `${p.path}: ${p.message}`), row.problems)
      return true
    })
  })
}

interface DateRow { in: JsonValue, out: string | null }
for (const row of load('hr-dates.yaml') as DateRow[]) {
  test(`parseHrDate(${JSON.stringify(row.in)})`, () => {
    const d = parseHrDate(row.in)
    assert.equal(d === undefined ? null : d.toISOString(), row.out)
  })
}

test('mostCurrent follows the injected clock: the same list gives different employments over time', () => {
  const list = [
    { id: 'a', startDate: '2020-01-01', endDate: '2024-01-01' },
    { id: 'b', startDate: '2024-01-01' },
  ]
  assert.equal(mostCurrent(list, 'startDate', 'endDate', new Date('2023-12-31T23:59:59Z'))?.id, 'a')
  assert.equal(mostCurrent(list, 'startDate', 'endDate', new Date('2024-01-01T00:00:00Z'))?.id, 'b')
  assert.equal(mostCurrent(list, 'startDate', 'endDate', new Date('2019-06-01T00:00:00Z')), undefined)
})

test('compileMapper reads the clock once per mapped user', () => {
  let calls = 0
  const mapper = compileMapper([{ source: 'Now()', map_to: 'a' }, { source: 'Now()', map_to: 'b' }], { now: () => { calls++; return NOW } })
  const { user } = mapper.map({})
  assert.equal(calls, 1)
  assert.equal(user.a, user.b)
})

test('SelectUniqueValue uses the injected uniqueness check, in order', () => {
  const taken = new Set(['jdoe'])
  const seen: string[] = []
  const mapper = compileMapper([{ source: 'SelectUniqueValue(Join("", Left([g], 1), [s]), Join("", Left([g], 2), [s]))', map_to: 'userName' }], {
    isUnique: (mapTo, v) => { seen.push(`${mapTo}=${v}`); return !taken.has(v) },
  })
  assert.equal(mapper.map({ g: 'jo', s: 'doe' }).user.userName, 'jodoe')
  assert.deepEqual(seen, ['userName=jdoe', 'userName=jodoe'])
  const noCheck = compileMapper([{ source: 'SelectUniqueValue([a])', map_to: 'userName' }]).map({ a: 'x' })
  assert.match(noCheck.errors[0]?.message ?? '', /needs a uniqueness check/)
})
