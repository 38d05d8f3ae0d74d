// Messages of different users applied concurrently (as a transport with per-user serialisation
// does) with a keyed serializer: shared missing groups, concurrent membership changes of one group
// and GetUniqueValue values must not be duplicated or lost. Across gateways the plugin's 409 is the
// guard and the engine recovers from it.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { applyStreamMessage, createKeyedSerializer, parseStreamMessage } from './index.ts'
import { endpointState, newContext, newService } from './test-support.ts'
import type { JsonObject } from '../../scim/types.ts'
import { ScimService } from '../../core/service.ts'
import { createLokiPlugin } from '../../plugins/plugin-loki.ts'
import type { ScimPlugin } from '../../plugins/types.ts'
import { silentLogger } from '../../logging/types.ts'

const msg = (i: number, user: JsonObject, op = 'createUser'): ReturnType<typeof parseStreamMessage> =>
  parseStreamMessage(JSON.stringify({ activityOperation: op, user }), { msgId: `m${i}`, subject: 'ENTRA.ALL' })

const UNIQUE_MAIL = 'GetUniqueValue(LowerCase([name.familyName]), "@example.com")'

test('concurrent users joining the same missing group, with a serializer: one group, all members', async () => {
  const service = await newService()
  const rc = newContext()
  const deps = { service, rc, options: {}, subject: 'ENTRA.ALL', serialize: createKeyedSerializer() }
  const results = await Promise.all(Array.from({ length: 20 }, (_, i) =>
    applyStreamMessage(msg(i, { userName: `u${i}`, groups: [{ value: 'Employees', display: 'Employees' }], roles: [{ type: 'CRM', display: 'User', value: 'r1' }] }), deps)))
  assert.ok(results.every(r => r.action === 'created'))
  const state = await endpointState(service, rc)
  assert.deepEqual(Object.keys(state.groups).sort(), ['CRM - User', 'Employees'])
  assert.equal(state.groups.Employees?.members instanceof Array ? state.groups.Employees.members.length : 0, 20)
  assert.equal(state.groups['CRM - User']?.members instanceof Array ? state.groups['CRM - User'].members.length : 0, 20)
})

test('a group created by another gateway between lookup and create (409) is joined', async () => {
  // the first group lookup answers from a stale view (as if another gateway created it just after)
  const loki = createLokiPlugin({ persistence: 'memory', demoData: false })
  await loki.start?.(silentLogger)
  const getGroups = loki.getGroups?.bind(loki)
  let stale = 1
  const plugin: ScimPlugin = {
    ...loki,
    name: loki.name,
    async getGroups (q, ctx) {
      if (getGroups === undefined) throw new Error('no getGroups')
      if (stale-- > 0) return { Resources: [] }
      return await getGroups(q, ctx)
    }
  }
  const service = new ScimService({ plugin, usePutSoftSync: false, skipMetaLocation: true, defaultCount: 100, maxResults: 1000 })
  const rc = newContext()
  const bob = await service.create('Users', { userName: 'bob' }, rc)
  await service.create('Groups', { displayName: 'Employees', members: [{ value: String(bob.id) }] }, rc)
  const r = await applyStreamMessage(msg(1, { userName: 'ann', groups: [{ value: 'Employees', display: 'Employees' }] }), { service, rc, options: {}, subject: 'ENTRA.ALL' })
  assert.equal(r.action, 'created')
  const state = await endpointState(service, rc)
  assert.deepEqual(state.groups, { Employees: { displayName: 'Employees', members: ['ann', 'bob'] } })
})

test('concurrent joins of one existing group without a serializer in deps: the per-service default loses no member', async () => {
  const service = await newService()
  const rc = newContext()
  await service.create('Groups', { displayName: 'Employees' }, rc)
  const deps = { service, rc, options: {}, subject: 'ENTRA.ALL' }
  await Promise.all(Array.from({ length: 15 }, (_, i) => applyStreamMessage(msg(i, { userName: `u${i}`, groups: [{ value: 'Employees', display: 'Employees' }] }), deps)))
  const state = await endpointState(service, rc)
  assert.deepEqual(state.groups.Employees?.members, Array.from({ length: 15 }, (_, i) => `u${i}`).sort())
})

test('concurrent GetUniqueValue for different users, with a serializer: distinct values', async () => {
  const service = await newService()
  const rc = newContext()
  const deps = { service, rc, options: {}, subject: 'ENTRA.ALL', serialize: createKeyedSerializer() }
  await Promise.all(Array.from({ length: 5 }, (_, i) =>
    applyStreamMessage(msg(i, { userName: `u${i}`, name: { familyName: 'Doe' }, emails: [{ type: 'work', value: UNIQUE_MAIL }] }), deps)))
  const state = await endpointState(service, rc)
  const mails = Object.values(state.users).map(u => (u.emails as JsonObject[])[0]?.value).sort()
  assert.deepEqual(mails, ['doe2@example.com', 'doe3@example.com', 'doe4@example.com', 'doe5@example.com', 'doe@example.com'])
})

test('the same new user from two gateways at once: one create, the other applies as update', async () => {
  const service = await newService()
  const rc = newContext()
  const deps = { service, rc, options: {}, subject: 'ENTRA.ALL' }
  const user = { userName: 'ann', title: 'Engineer', groups: [{ value: 'Employees', display: 'Employees' }] }
  const results = await Promise.all([applyStreamMessage(msg(1, user), deps), applyStreamMessage(msg(1, user), deps)])
  assert.deepEqual(results.map(r => r.action).sort(), ['created', 'unchanged'])
  assert.deepEqual(await endpointState(service, rc), {
    users: { ann: { userName: 'ann', title: 'Engineer', groups: ['Employees'] } },
    groups: { Employees: { displayName: 'Employees', members: ['ann'] } }
  })
})

test('createKeyedSerializer runs calls of one key in order and keeps going after a failure', async () => {
  const serialize = createKeyedSerializer()
  const order: string[] = []
  const step = (name: string, fail = false) => async (): Promise<string> => {
    order.push(`start ${name}`)
    await new Promise(resolve => setImmediate(resolve))
    order.push(`end ${name}`)
    if (fail) throw new Error(name)
    return name
  }
  const all = await Promise.allSettled([serialize('k', step('a')), serialize('k', step('b', true)), serialize('k', step('c')), serialize('other', step('x'))])
  assert.deepEqual(all.map(r => r.status), ['fulfilled', 'rejected', 'fulfilled', 'fulfilled'])
  const k = order.filter(s => !s.endsWith('x'))
  assert.deepEqual(k, ['start a', 'end a', 'start b', 'end b', 'start c', 'end c'])
})
