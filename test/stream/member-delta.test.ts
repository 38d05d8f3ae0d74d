// The member-delta path the subscriber's joins and leaves (and Entra ID's HTTP PATCHes) take: a Group
// PATCH of only add/remove members reaches the plugin as a delta, without the group being read or
// rewritten; the result equals the general PATCH path's; preconditions still hold; groupMemberOfUser
// changes only the affected users; plugin-loki journals and replays deltas.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { randomUUID } from 'node:crypto'
import { ScimService } from '../../lib/core/service.ts'
import { memberDeltaOf } from '../../lib/core/member-delta.ts'
import { createLokiPlugin } from '../../lib/plugins/plugin-loki.ts'
import type { GetQuery, Modification, PatchOperation, ScimPlugin, ScimResource } from '../../lib/plugins/types.ts'
import { NotFoundError, isScimError } from '../../lib/scim/errors.ts'
import { isJsonObject, type JsonObject } from '../../lib/scim/types.ts'
import { silentLogger } from '../../lib/logging/types.ts'
import { applyStreamMessage, createKeyedSerializer, parseStreamMessage } from '../../lib/stream/apply/index.ts'
import { newContext } from '../../lib/stream/apply/test-support.ts'
import { harness } from '../core/support.ts'

const rc = newContext()

/** plugin-loki (memory) with its calls observed; `delta: false` hides the capability (general path). */
async function observed (opts: { delta?: boolean, file?: string } = {}): Promise<{ plugin: ScimPlugin, mods: Modification[], groupReads: number[] }> {
  const loki = createLokiPlugin({ persistence: opts.file === undefined ? 'memory' : { file: opts.file, fsync: false }, demoData: false })
  await loki.start?.(silentLogger)
  const mods: Modification[] = []
  const groupReads = [0]
  const plugin: ScimPlugin = {
    ...loki,
    name: loki.name,
    capabilities: { filter: 'simple', groupMemberDelta: opts.delta !== false },
    async getGroups (q, ctx) { groupReads[0] = (groupReads[0] ?? 0) + 1; return await must(loki.getGroups)(q, ctx) },
    async modifyGroup (id, mod, ctx) { mods.push(mod); return await must(loki.modifyGroup)(id, mod, ctx) }
  }
  return { plugin, mods, groupReads }
}

function serviceOf (plugin: ScimPlugin, extra: { groupMemberOfUser?: boolean, skipTypeConvert?: boolean } = {}): ScimService {
  return new ScimService({ plugin, usePutSoftSync: false, skipMetaLocation: true, defaultCount: 100, maxResults: 1000, ...extra })
}

function must<F> (f: F | undefined): F {
  if (f === undefined) throw new Error('method missing')
  return f
}

/** Members as comparable `value[/display]` strings, sorted. */
function members (g: ScimResource): string[] {
  return (Array.isArray(g.members) ? g.members : []).filter(isJsonObject).map(m => `${String(m.value)}${m.display === undefined ? '' : `/${String(m.display)}`}`).sort()
}

// ---- which PATCHes are member deltas -------------------------------------------------------------

const CASES: Array<{ name: string, ops: PatchOperation[], delta?: { add: JsonObject[], remove: string[] } }> = [
  { name: 'Entra add with value list', ops: [{ op: 'add', path: 'members', value: [{ value: 'a' }, { value: 'b', display: 'B' }] }], delta: { add: [{ value: 'a' }, { value: 'b', display: 'B' }], remove: [] } },
  { name: 'bare ids and a single object', ops: [{ op: 'add', path: 'members', value: ['a'] }, { op: 'add', path: 'Members', value: { value: 'b' } }], delta: { add: [{ value: 'a' }, { value: 'b' }], remove: [] } },
  { name: 'remove by filter', ops: [{ op: 'remove', path: 'members[value eq "x"]' }], delta: { add: [], remove: ['x'] } },
  { name: 'Entra remove with value list', ops: [{ op: 'remove', path: 'members', value: [{ value: 'x' }, { value: 'y' }] }], delta: { add: [], remove: ['x', 'y'] } },
  { name: 'schema-qualified path', ops: [{ op: 'add', path: 'urn:ietf:params:scim:schemas:core:2.0:Group:members', value: [{ value: 'a' }] }], delta: { add: [{ value: 'a' }], remove: [] } },
  { name: 'add then remove of one member: only the removal', ops: [{ op: 'add', path: 'members', value: [{ value: 'a' }] }, { op: 'remove', path: 'members[value eq "A"]' }], delta: { add: [], remove: ['A'] } },
  { name: 'remove then add of one member: both (remove applies first)', ops: [{ op: 'remove', path: 'members[value eq "a"]' }, { op: 'add', path: 'members', value: [{ value: 'a', display: 'A' }] }], delta: { add: [{ value: 'a', display: 'A' }], remove: ['a'] } },
  { name: 'repeated member: first wins, later fills in', ops: [{ op: 'add', path: 'members', value: [{ value: 'c' }, { value: 'C', display: 'cc' }] }], delta: { add: [{ value: 'c', display: 'cc' }], remove: [] } },
  { name: 'remove of every member is not a delta', ops: [{ op: 'remove', path: 'members' }] },
  { name: 'replace is not a delta', ops: [{ op: 'replace', path: 'members', value: [{ value: 'a' }] }] },
  { name: 'another attribute is not a delta', ops: [{ op: 'add', path: 'members', value: [{ value: 'a' }] }, { op: 'replace', path: 'displayName', value: 'X' }] },
  { name: 'a non-eq filter is not a delta', ops: [{ op: 'remove', path: 'members[value co "x"]' }] },
  { name: 'a member with type is not a delta', ops: [{ op: 'add', path: 'members', value: [{ value: 'a', type: 'User' }] }] },
  { name: 'an empty value is not a delta', ops: [{ op: 'add', path: 'members', value: [{ value: '' }] }] },
  { name: 'no operations is not a delta', ops: [] }
]

for (const c of CASES) {
  test(`memberDeltaOf: ${c.name}`, () => {
    assert.deepEqual(memberDeltaOf(c.ops), c.delta)
  })
}

// ---- same result as the general path -------------------------------------------------------------

test('every member-delta case gives the group the general PATCH path gives it', async () => {
  for (const c of CASES.filter(x => x.delta !== undefined)) {
    const results: string[][] = []
    for (const delta of [true, false]) {
      const { plugin } = await observed({ delta })
      const service = serviceOf(plugin)
      const g = await service.create('Groups', { displayName: 'G', members: [{ value: 'a' }, { value: 'x', display: 'X' }, { value: 'keep' }] }, rc)
      await service.patch('Groups', String(g.id), c.ops, rc)
      results.push(members(await service.get('Groups', String(g.id), rc)))
    }
    assert.deepEqual(results[0], results[1], c.name)
  }
})

// ---- large groups ----------------------------------------------------------------------------------

test('a join and a leave of a group with 5,000 members reach the plugin as a delta without reading the group', async () => {
  const { plugin, mods, groupReads } = await observed()
  const service = serviceOf(plugin)
  const big = Array.from({ length: 5000 }, (_, i) => ({ value: `u${i}` }))
  const g = await service.create('Groups', { displayName: 'Employees', members: big }, rc)
  const id = String(g.id)
  const reads = groupReads[0]
  assert.equal(await service.patch('Groups', id, [{ op: 'add', path: 'members', value: [{ value: 'new' }] }], rc, {}, { returnResource: false }), undefined)
  await service.patch('Groups', id, [{ op: 'remove', path: 'members[value eq "u17"]' }], rc, {}, { returnResource: false })
  assert.equal(groupReads[0], reads, 'no group read for a member delta')
  assert.equal(mods.length, 2)
  assert.deepEqual(mods[0], { resource: { id }, operations: [{ op: 'add', path: 'members', value: [{ value: 'new' }] }], members: { add: [{ value: 'new' }], remove: [] } })
  assert.deepEqual(mods[1]?.members, { add: [], remove: ['u17'] })
  const after = await service.get('Groups', id, rc)
  const values = members(after)
  assert.equal(values.length, 5000)
  assert.ok(values.includes('new') && !values.includes('u17'))
  // a delta that changes nothing keeps the version (no write)
  const version = after.meta?.version
  await service.patch('Groups', id, [{ op: 'add', path: 'members', value: [{ value: 'NEW' }] }, { op: 'remove', path: 'members[value eq "gone"]' }], rc)
  assert.equal((await service.get('Groups', id, rc)).meta?.version, version)
})

test('scimgateway\'s type-converted form (skipTypeConvert: false, the config default) gets the delta too, converted', async () => {
  const { plugin, mods, groupReads } = await observed()
  const service = serviceOf(plugin, { skipTypeConvert: false })
  const g = await service.create('Groups', { displayName: 'G', members: Array.from({ length: 2000 }, (_, i) => ({ value: `u${i}` })) }, rc)
  const reads = groupReads[0]
  await service.patch('Groups', String(g.id), [{ op: 'add', path: 'members', value: [{ value: 'x', display: 'X' }] }, { op: 'remove', path: 'members[value eq "u1"]' }], rc, {}, { returnResource: false })
  assert.equal(groupReads[0], reads)
  assert.deepEqual(mods.at(-1)?.typeConverted, { members: [{ value: 'x', display: 'X' }, { value: 'u1', operation: 'delete' }] })
  assert.deepEqual(mods.at(-1)?.members, { add: [{ value: 'x', display: 'X' }], remove: ['u1'] })
})

test('3,000 concurrent joins of one group without a serializer: every member kept', async () => {
  const { plugin } = await observed()
  const service = serviceOf(plugin)
  const g = await service.create('Groups', { displayName: 'All', members: [{ value: 'first' }] }, rc)
  await Promise.all(Array.from({ length: 3000 }, async (_, i) =>
    await service.patch('Groups', String(g.id), [{ op: 'add', path: 'members', value: [{ value: `m${i}` }] }], rc, {}, { returnResource: false })))
  assert.equal(members(await service.get('Groups', String(g.id), rc)).length, 3001)
})

test('stream messages of 500 users joining and leaving a group of 2,000 concurrently: nothing lost', async () => {
  const { plugin, mods } = await observed()
  const service = serviceOf(plugin)
  const existing = await Promise.all(Array.from({ length: 2000 }, async (_, i) => await service.create('Users', { userName: `old${i}` }, rc)))
  await service.create('Groups', { displayName: 'Employees', members: existing.map(u => ({ value: String(u.id) })) }, rc)
  const deps = { service, rc, options: {}, subject: 'ENTRA.ALL', serialize: createKeyedSerializer() }
  const msg = (i: number, body: JsonObject): ReturnType<typeof parseStreamMessage> => parseStreamMessage(JSON.stringify(body), { msgId: `m${i}`, subject: 'ENTRA.ALL' })
  const joins = Array.from({ length: 500 }, async (_, i) =>
    await applyStreamMessage(msg(i, { activityOperation: 'createUser', user: { userName: `new${i}`, groups: [{ value: 'Employees', display: 'Employees' }] } }), deps))
  const leaves = Array.from({ length: 500 }, async (_, i) =>
    await applyStreamMessage(msg(1000 + i, { activityOperation: 'modifyUser', Operations: [{ op: 'remove', path: 'groups[value eq "Employees"]' }], user: { userName: `old${i}` } }), deps))
  const results = await Promise.all([...joins, ...leaves])
  assert.deepEqual(new Set(results.map(r => r.action)), new Set(['created', 'modified']))
  const group = (await service.list('Groups', { startIndex: 1, count: 10, attributes: [], excludedAttributes: [] }, rc)).Resources[0]
  assert.ok(group !== undefined)
  assert.equal(members(group).length, 2000)
  assert.ok(mods.every(m => m.members !== undefined), 'every membership change was a delta')
  // applying a join again changes nothing
  const again = await applyStreamMessage(msg(9999, { activityOperation: 'modifyUser', user: { userName: 'new7', groups: [{ value: 'Employees', display: 'Employees' }] } }), deps)
  assert.equal(again.action, 'unchanged')
})

// ---- preconditions -------------------------------------------------------------------------------

test('a member PATCH with If-Match is checked against the version: 412 on mismatch, applied on match', async () => {
  const { plugin } = await observed()
  const service = serviceOf(plugin)
  const g = await service.create('Groups', { displayName: 'G', members: [{ value: 'a' }] }, rc)
  const id = String(g.id)
  const add: PatchOperation[] = [{ op: 'add', path: 'members', value: [{ value: 'b' }] }]
  await assert.rejects(service.patch('Groups', id, add, rc, { ifMatch: 'W/"not-the-version"' }), (e: unknown) => isScimError(e) && e.status === 412)
  assert.deepEqual(members(await service.get('Groups', id, rc)), ['a'])
  const current = await service.get('Groups', id, rc)
  await service.patch('Groups', id, add, rc, { ifMatch: String(current.meta?.version) })
  assert.deepEqual(members(await service.get('Groups', id, rc)), ['a', 'b'])
  await assert.rejects(service.patch('Groups', id, [{ op: 'remove', path: 'members[value eq "a"]' }], rc, { ifMatch: String(current.meta?.version) }), (e: unknown) => isScimError(e) && e.status === 412)
})

test('a member PATCH of an unknown group is 404', async () => {
  const { plugin } = await observed()
  await assert.rejects(serviceOf(plugin).patch('Groups', 'nope', [{ op: 'add', path: 'members', value: [{ value: 'a' }] }], rc), (e: unknown) => isScimError(e) && e.status === 404)
})

// ---- HTTP (Entra ID) -------------------------------------------------------------------------------

test('Entra ID\'s HTTP PATCH adding/removing members reaches the plugin as a delta; If-Match mismatch is 412', async () => {
  const { plugin, mods } = await observed()
  const h = await harness({ plugin, options: { entities: [] } })
  const g = await h.json<{ id: string }>('POST', '/Groups', { displayName: 'Sales', members: [{ value: 'a' }] })
  const body = (op: string, value: unknown): unknown => ({ schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op, path: 'members', value }] })
  const r = await h.json('PATCH', `/Groups/${g.body.id}`, body('Add', [{ value: 'b' }]))
  assert.ok(r.status === 200 || r.status === 204, String(r.status))
  assert.deepEqual(mods.at(-1)?.members, { add: [{ value: 'b' }], remove: [] })
  const stale = await h.req('PATCH', `/Groups/${g.body.id}`, body('Remove', [{ value: 'a' }]), { 'if-match': 'W/"stale"' })
  assert.equal(stale.status, 412)
  await h.json('PATCH', `/Groups/${g.body.id}`, body('Remove', [{ value: 'a' }]))
  const now = await h.json<ScimResource>('GET', `/Groups/${g.body.id}`)
  assert.deepEqual(members(now.body), ['b'])
})

// ---- groupMemberOfUser -----------------------------------------------------------------------------

/** Membership only on users (LDAP memberOf style); groups hold no members. */
function memberOfPlugin (): ScimPlugin & { users: Map<string, ScimResource>, calls: string[] } {
  const users = new Map<string, ScimResource>()
  const groups = new Map<string, ScimResource>()
  const calls: string[] = []
  const byQuery = (store: Map<string, ScimResource>, q: GetQuery): ScimResource[] => {
    if (q.simple?.attribute === 'id') return store.has(q.simple.value) ? [store.get(q.simple.value) as ScimResource] : []
    return [...store.values()]
  }
  return {
    name: 'memberof', users, calls,
    async getUsers (q) { return { Resources: byQuery(users, q) } },
    async createUser (u) { const id = randomUUID(); users.set(id, { ...u, id }); return users.get(id) as ScimResource },
    async modifyUser (id: string, mod: Modification) {
      if (!users.has(id)) throw new NotFoundError(id)
      calls.push(`modifyUser ${String(mod.resource.userName)}`)
      users.set(id, mod.resource)
      return mod.resource
    },
    async getGroups (q) { calls.push(`getGroups ${q.simple?.attribute ?? '*'}`); return { Resources: byQuery(groups, q) } },
    async createGroup (g) { const id = randomUUID(); groups.set(id, { ...g, id }); return groups.get(id) as ScimResource },
    async modifyGroup (id: string, mod: Modification) { calls.push('modifyGroup'); groups.set(id, mod.resource); return mod.resource }
  }
}

test('groupMemberOfUser: a member delta changes only the affected users, without collecting the members', async () => {
  const plugin = memberOfPlugin()
  const service = serviceOf(plugin, { groupMemberOfUser: true })
  const ids: Record<string, string> = {}
  for (const n of ['ann', 'ben', 'cid']) ids[n] = String((await service.create('Users', { userName: n }, rc)).id)
  const g = await service.create('Groups', { displayName: 'Staff', members: [{ value: String(ids.ann) }] }, rc)
  plugin.calls.length = 0
  await service.patch('Groups', String(g.id), [{ op: 'add', path: 'members', value: [{ value: String(ids.ben) }, { value: String(ids.ann) }] }, { op: 'remove', path: `members[value eq "${String(ids.cid)}"]` }], rc, {}, { returnResource: false })
  // ben joins; ann is a member already and cid is none: neither is written; the group is read once, by id
  assert.deepEqual(plugin.calls, ['getGroups id', 'modifyUser ben'])
  const staff = await service.get('Groups', String(g.id), rc)
  assert.deepEqual((staff.members as JsonObject[]).map(m => m.display).sort(), ['ann', 'ben'])
  plugin.calls.length = 0
  await service.patch('Groups', String(g.id), [{ op: 'remove', path: 'members', value: [{ value: String(ids.ann) }] }], rc, {}, { returnResource: false })
  assert.deepEqual(plugin.calls, ['getGroups id', 'modifyUser ann'])
  assert.deepEqual(((await service.get('Groups', String(g.id), rc)).members as JsonObject[]).map(m => m.display), ['ben'])
  await assert.rejects(service.patch('Groups', 'nope', [{ op: 'add', path: 'members', value: [{ value: String(ids.ann) }] }], rc), (e: unknown) => isScimError(e) && e.status === 404)
})

// ---- plugin-loki journal ---------------------------------------------------------------------------

test('plugin-loki journals a member delta as a delta line and replays it', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'member-delta-'))
  const file = join(dir, 'loki.db')
  try {
    const first = await observed({ file })
    const service = serviceOf(first.plugin)
    const g = await service.create('Groups', { displayName: 'Big', members: Array.from({ length: 3000 }, (_, i) => ({ value: `u${i}` })) }, rc)
    const id = String(g.id)
    const before = (await readFile(file, 'utf8')).length
    await service.patch('Groups', id, [{ op: 'add', path: 'members', value: [{ value: 'joiner', display: 'J' }] }], rc)
    await service.patch('Groups', id, [{ op: 'remove', path: 'members[value eq "U5"]' }], rc)
    await service.patch('Groups', id, [{ op: 'remove', path: 'members[value eq "u6"]' }, { op: 'add', path: 'members', value: [{ value: 'u6', display: 'six' }] }], rc)
    await service.patch('Groups', id, [{ op: 'add', path: 'members', value: [{ value: 'u7', display: 'seven' }] }], rc) // fills in an unassigned display
    const lines = (await readFile(file, 'utf8')).slice(before).trim().split('\n')
    assert.equal(lines.length, 4)
    assert.ok(lines.every(l => l.length < 400 && JSON.parse(l).op === 'members'), 'only the delta is journaled')
    // deleting a user takes it out of its groups as member deltas too
    const leaver = await service.create('Users', { userName: 'leaver' }, rc)
    await service.patch('Groups', id, [{ op: 'add', path: 'members', value: [{ value: String(leaver.id) }] }], rc)
    const beforeDelete = (await readFile(file, 'utf8')).length
    await service.delete('Users', String(leaver.id), rc)
    assert.ok((await readFile(file, 'utf8')).length - beforeDelete < 600, 'the user delete journals a delta, not the group')
    const live = await service.get('Groups', id, rc)
    await first.plugin.stop?.()
    const second = await observed({ file })
    const replayed = await serviceOf(second.plugin).get('Groups', id, rc)
    assert.deepEqual(members(replayed), members(live))
    assert.equal(replayed.meta?.version, live.meta?.version)
    assert.ok(members(replayed).includes('u6/six') && members(replayed).includes('u7/seven') && members(replayed).includes('joiner/J') && !members(replayed).includes('u5'))
    assert.ok(!members(replayed).some(m => m.startsWith(String(leaver.id))))
    // the replayed store is frozen and indexed like a live one
    const found = await must(second.plugin.getGroups)({ simple: { attribute: 'members.value', operator: 'eq', value: 'JOINER' }, attributes: [], excludedAttributes: [], startIndex: 1 }, { baseEntity: undefined, log: silentLogger, signal: new AbortController().signal, requestId: 't' })
    assert.equal(found.Resources.length, 1)
    assert.ok(Object.isFrozen(found.Resources[0]?.members))
    assert.equal((await must(second.plugin.getGroups)({ simple: { attribute: 'members.value', operator: 'eq', value: 'u5' }, attributes: [], excludedAttributes: [], startIndex: 1 }, { baseEntity: undefined, log: silentLogger, signal: new AbortController().signal, requestId: 't' })).Resources.length, 0)
    await second.plugin.stop?.()
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
})

test('groupMemberOfUser through the subscriber: joins and leaves land on the user', async () => {
  const plugin = memberOfPlugin()
  const service = serviceOf(plugin, { groupMemberOfUser: true })
  const deps = { service, rc, options: {}, subject: 'ENTRA.ALL' }
  const msg = (i: number, body: JsonObject): ReturnType<typeof parseStreamMessage> => parseStreamMessage(JSON.stringify(body), { msgId: `g${i}`, subject: 'ENTRA.ALL' })
  const staff = { value: 'Staff', display: 'Staff' }
  const ops = { value: 'Ops', display: 'Ops' }
  assert.equal((await applyStreamMessage(msg(1, { activityOperation: 'createUser', user: { userName: 'ann', groups: [staff, ops] } }), deps)).action, 'created')
  const ann = (): ScimResource | undefined => [...plugin.users.values()].find(u => u.userName === 'ann')
  assert.deepEqual((ann()?.groups as JsonObject[]).map(g => g.display).sort(), ['Ops', 'Staff'])
  const left = await applyStreamMessage(msg(2, { activityOperation: 'modifyUser', Operations: [{ op: 'remove', path: 'groups[value eq "Ops"]' }], user: { userName: 'ann', groups: [staff] } }), deps)
  assert.equal(left.action, 'modified')
  assert.deepEqual((ann()?.groups as JsonObject[]).map(g => g.display), ['Staff'])
  const again = await applyStreamMessage(msg(2, { activityOperation: 'modifyUser', Operations: [{ op: 'remove', path: 'groups[value eq "Ops"]' }], user: { userName: 'ann', groups: [staff] } }), deps)
  assert.equal(again.action, 'unchanged')
})
