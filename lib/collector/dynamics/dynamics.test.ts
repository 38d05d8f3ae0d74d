// Table-driven tests of dynamics (fixtures/dynamics.yaml, fixtures/errors.yaml), plus apply/revoke
// over two evaluations and the input-not-modified guarantee.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { parse } from 'yaml'
import { applyDynamics, compileDynamics, type DynamicDef } from './index.ts'
import { isConfigError } from '../../config/errors.ts'
import type { JsonObject } from '../../scim/types.ts'

const load = (name: string): unknown => parse(readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8'))

interface Case { name: string, dynamics?: DynamicDef[], user: JsonObject, expect: JsonObject, ids: string[] }
const { base, cases } = load('dynamics.yaml') as { base: { dynamics: DynamicDef[] }, cases: Case[] }

test('the dynamics table has at least 20 cases', () => {
  assert.ok(cases.length >= 20, `only ${cases.length}`)
})

for (const c of cases) {
  test(`dynamics: ${c.name}`, () => {
    const compiled = compileDynamics(c.dynamics ?? base.dynamics)
    const snapshot = JSON.stringify(c.user)
    const { user, dynamicIds } = applyDynamics(c.user, compiled)
    assert.deepEqual(user, c.expect)
    assert.deepEqual(dynamicIds, c.ids)
    assert.equal(JSON.stringify(c.user), snapshot, 'the input user is not modified')
  })
}

interface ErrCase { name: string, dynamics: DynamicDef[], problems: string[] }
for (const c of load('errors.yaml') as ErrCase[]) {
  test(`dynamics config error: ${c.name}`, () => {
    assert.throws(() => compileDynamics(c.dynamics), (err: unknown) => {
      assert.ok(isConfigError(err))
      assert.deepEqual(err.problems.map(p => `${p.path}: ${p.message}`), c.problems)
      return true
    })
  })
}

test('apply, then revoke: the second evaluation no longer adds what stopped holding', () => {
  const compiled = compileDynamics(base.dynamics)
  assert.deepEqual(compiled.ids, ['it-staff', 'norway', 'managers', 'it-managers', 'contractors'])
  const first = applyDynamics({ userName: 'a', department: 'IT' }, compiled)
  assert.deepEqual(first.dynamicIds, ['it-staff'])
  assert.deepEqual(first.user.groups, [{ value: 'grp-it', display: 'IT Staff' }])
  // The source changes: the user moved to Sales. Evaluated again from the source user, not from `first.user`.
  const second = applyDynamics({ userName: 'a', department: 'Sales' }, compiled)
  assert.deepEqual(second.dynamicIds, [])
  assert.equal(second.user.groups, undefined)
  assert.equal(second.user.dynamicIds, undefined)
})
