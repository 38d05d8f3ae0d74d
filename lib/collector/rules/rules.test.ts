// Table-driven tests of stream rules (fixtures/streams.yaml, fixtures/errors.yaml) and a few
// properties the table cannot show (input not modified, other attributes passed through).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { parse } from 'yaml'
import { compileStreamRules, type RuleMessage, type StreamDef } from './index.ts'
import { isConfigError } from '../../config/errors.ts'
import { isJsonObject, type JsonObject, type JsonValue } from '../../scim/types.ts'

const load = (name: string): unknown => parse(readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8'))

interface Case { name: string, filter?: string, streams?: StreamDef[], message: RuleMessage, expect: Record<string, { groups: string[] | null, roles: string[] | null }> }
const { base, cases } = load('streams.yaml') as { base: { message: RuleMessage }, cases: Case[] }

test('the stream-rule table has at least 40 cases', () => {
  assert.ok(cases.length >= 40, `only ${cases.length}`)
})

const field = (user: JsonObject, name: string, sub: string): string[] | null => {
  const list = user[name]
  if (list === undefined) return null
  assert.ok(Array.isArray(list))
  return list.map(e => { assert.ok(isJsonObject(e)); return e[sub] as string })
}

for (const c of cases) {
  test(`streams: ${c.name}`, () => {
    const streams = c.streams ?? [{ channel: 'C', rules: [{ filter: c.filter as string }] }]
    const snapshot = JSON.stringify(c.message)
    const got = compileStreamRules(streams).evaluate(c.message)
    const actual: Record<string, { groups: string[] | null, roles: string[] | null }> = {}
    for (const r of got) actual[r.channel] = { groups: field(r.user, 'groups', 'display'), roles: field(r.user, 'roles', 'value') }
    assert.deepEqual(actual, c.expect)
    assert.equal(JSON.stringify(c.message), snapshot, 'the message is not modified')
  })
}

interface ErrCase { name: string, streams: StreamDef[], problems: string[] }
for (const c of load('errors.yaml') as ErrCase[]) {
  test(`streams config error: ${c.name}`, () => {
    assert.throws(() => compileStreamRules(c.streams), (err: unknown) => {
      assert.ok(isConfigError(err))
      assert.deepEqual(err.problems.map(p => `${p.path}: ${p.message}`), c.problems)
      return true
    })
  })
}

test('a channel user keeps every other attribute as it is and reports the rules that held', () => {
  const streams = compileStreamRules([{ channel: 'AD', rules: [{ filter: '(user.department -match "HR")' }, { filter: '(user.groups.display -match "^Sales$")' }] }])
  const [only, ...rest] = streams.evaluate(base.message)
  assert.equal(rest.length, 0)
  assert.ok(only !== undefined)
  assert.deepEqual(only.matchedRules, [1])
  const { groups, roles, ...others } = only.user
  const { groups: _g, roles: _r, ...orig } = base.message.user
  assert.deepEqual(others, orig as Record<string, JsonValue>)
  assert.deepEqual(groups, [{ value: 'g4', display: 'Sales' }])
  assert.deepEqual(roles, [])
  assert.deepEqual(streams.channels, ['AD'])
})

// The documented forms (SCIM Stream's configuration reference), same table format.
const documented = load('documented.yaml') as { cases: Case[] }
for (const c of documented.cases) {
  test(`streams (documented form): ${c.name}`, () => {
    const streams = c.streams ?? [{ channel: 'C', rules: [{ filter: c.filter as string }] }]
    const got = compileStreamRules(streams).evaluate(c.message)
    const actual: Record<string, { groups: string[] | null, roles: string[] | null }> = {}
    for (const r of got) actual[r.channel] = { groups: field(r.user, 'groups', 'display'), roles: field(r.user, 'roles', 'value') }
    assert.deepEqual(actual, c.expect)
  })
}
