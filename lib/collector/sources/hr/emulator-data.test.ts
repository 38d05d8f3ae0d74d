// The HR emulator's generated persons: deterministic, every Joiner-Mover-Leaver case present in the
// documented proportions, and `revision` changing exactly the 1% the incremental benchmark expects.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { generatePerson } from '../../../../test/support/hr-emulator.ts'
import { lifecycleOf, DEFAULT_START_DATE_PATH, DEFAULT_END_DATE_PATH, type HrLifecycleState } from './index.ts'

const ref = new Date('2025-01-01T00:00:00Z')

test('same options, same person; another seed, another person', () => {
  assert.deepEqual(generatePerson(42, { referenceDate: ref }), generatePerson(42, { referenceDate: ref }))
  assert.notDeepEqual(generatePerson(42, { referenceDate: ref, seed: 2 }), generatePerson(42, { referenceDate: ref }))
})

test('the lifecycle mix: 1 in 20 future joiners, 1 in 20 leavers, the rest active', () => {
  const counts: Record<HrLifecycleState, number> = { future: 0, preactive: 0, active: 0, left: 0 }
  for (let i = 0; i < 2000; i++) {
    const st = lifecycleOf(generatePerson(i, { referenceDate: ref }), { startDatePath: DEFAULT_START_DATE_PATH, endDatePath: DEFAULT_END_DATE_PATH, preActivateDays: 0, now: ref })
    counts[st.state]++
  }
  assert.deepEqual(counts, { future: 100, preactive: 0, active: 1800, left: 100 })
})

test('revision changes the department of every 100th person and nothing else', () => {
  let changed = 0
  for (let i = 0; i < 1000; i++) {
    const a = JSON.stringify(generatePerson(i, { referenceDate: ref }))
    const b = JSON.stringify(generatePerson(i, { referenceDate: ref, revision: 1 }))
    if (a !== b) {
      changed++
      assert.equal(i % 100, 0)
      assert.match(b, /"department":"[A-Za-z]+ r1"/)
    }
  }
  assert.equal(changed, 10)
})
