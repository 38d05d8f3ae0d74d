// The three pure stages together (fixtures/pipeline.yaml): a SuccessFactors person through the
// mapper, dynamics and stream rules of one tenant, as the collector chains them.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { parse } from 'yaml'
import { compileMapper, type MapperEntry } from '../mapper/index.ts'
import { compileStreamRules, type StreamDef } from '../rules/index.ts'
import { applyDynamics, compileDynamics, type DynamicDef } from './index.ts'
import type { JsonObject } from '../../scim/types.ts'

interface Fixture {
  now: string
  config: { mapper: { user: MapperEntry[] }, dynamics: DynamicDef[], streams: StreamDef[] }
  person: JsonObject
  expect: { dynamicIds: string[], channels: Record<string, JsonObject> }
}
const fx = parse(readFileSync(new URL('./fixtures/pipeline.yaml', import.meta.url), 'utf8')) as Fixture

test('pipeline: person -> mapper -> dynamics -> per-channel users', () => {
  const now = new Date(fx.now)
  const mapper = compileMapper(fx.config.mapper.user, { now: () => now })
  const dynamics = compileDynamics(fx.config.dynamics)
  const streams = compileStreamRules(fx.config.streams)
  const { user, errors } = mapper.map(fx.person)
  assert.deepEqual(errors, [])
  const d = applyDynamics(user, dynamics)
  assert.deepEqual(d.dynamicIds, fx.expect.dynamicIds)
  const out = streams.evaluate({ user: d.user, activityOperation: 'modifyUser' })
  const byChannel = Object.fromEntries(out.map(c => [c.channel, c.user]))
  assert.deepEqual(byChannel, fx.expect.channels)
})

test('pipeline: when the current employment moves to Finance, IT access is no longer added (revoke)', () => {
  const later = new Date('2030-01-01T00:00:00Z')
  const person = structuredClone(fx.person)
  const results = ((person.employmentNav as JsonObject).results as JsonObject[])
  results.push({ userId: 'u1-fin', startDate: '2029-01-01', jobInfoNav: { results: [{ jobTitle: 'Controller', department: 'Finance' }] } })
  const user = compileMapper(fx.config.mapper.user, { now: () => later }).map(person).user
  const d = applyDynamics(user, compileDynamics(fx.config.dynamics))
  assert.deepEqual(d.dynamicIds, [])
  const channels = compileStreamRules(fx.config.streams).evaluate({ user: d.user }).map(c => c.channel)
  assert.deepEqual(channels, ['FINANCE'])
})
