// lifecycleOf from the fixture table (fixtures/lifecycle.yaml): every dated case in every date
// format, and SuccessFactors-shaped persons with several employments.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { parse } from 'yaml'
import type { JsonObject, JsonValue } from '../../../scim/types.ts'
import { lifecycleOf, HrRecordError, DEFAULT_START_DATE_PATH, DEFAULT_END_DATE_PATH, type HrLifecycleState } from './index.ts'

interface Table {
  start_formats: JsonValue[]
  end_formats: JsonValue[]
  dated: Array<{ now: string, pre: number, end: 'none' | 'set', state: HrLifecycleState }>
  persons: Array<{ name: string, now: string, pre: number, employments: JsonObject[], state?: HrLifecycleState, error?: string }>
}

const table = parse(readFileSync(new URL('./fixtures/lifecycle.yaml', import.meta.url), 'utf8')) as Table

const expectFor = (state: HrLifecycleState): { state: HrLifecycleState, active: boolean, include: boolean } =>
  ({ state, active: state === 'active' || state === 'preactive', include: state !== 'future' })

for (const row of table.dated) {
  test(`flat record, now ${row.now}, pre_activate_days ${row.pre}, end ${row.end} → ${row.state} (every format)`, () => {
    const ends = row.end === 'none' ? [undefined, null, ''] : table.end_formats
    let n = 0
    for (const start of table.start_formats) {
      for (const end of ends) {
        const person: JsonObject = { startDate: start, ...(end !== undefined ? { endDate: end } : {}) }
        const got = lifecycleOf(person, { startDatePath: 'startDate', endDatePath: 'endDate', preActivateDays: row.pre, now: new Date(row.now) })
        assert.deepEqual(got, expectFor(row.state), `start ${JSON.stringify(start)}, end ${JSON.stringify(end)}`)
        n++
      }
    }
    assert.ok(n >= table.start_formats.length * 3)
  })
}

for (const row of table.persons) {
  test(`employments: ${row.name}`, () => {
    const person: JsonObject = { personIdExternal: '1', employmentNav: { results: row.employments } }
    const run = (): unknown => lifecycleOf(person, { startDatePath: DEFAULT_START_DATE_PATH, endDatePath: DEFAULT_END_DATE_PATH, preActivateDays: row.pre, now: new Date(row.now) })
    if (row.error !== undefined) {
      assert.throws(run, (err: Error) => err instanceof HrRecordError && err.message === row.error)
    } else {
      assert.deepEqual(run(), expectFor(row.state ?? 'active'))
    }
  })
}

test('index selectors pick one employment: the first one only', () => {
  const person: JsonObject = { employmentNav: { results: [{ startDate: '2020-01-01', endDate: '2020-12-31' }, { startDate: '2021-01-01' }] } }
  const opts = { startDatePath: 'employmentNav.results[0].startDate', endDatePath: 'employmentNav.results[0].endDate', preActivateDays: 0, now: new Date('2022-01-01T00:00:00Z') }
  assert.equal(lifecycleOf(person, opts).state, 'left')
  assert.equal(lifecycleOf(person, { ...opts, startDatePath: DEFAULT_START_DATE_PATH, endDatePath: DEFAULT_END_DATE_PATH }).state, 'active')
})
