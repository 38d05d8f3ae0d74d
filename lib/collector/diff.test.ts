// Change detection and the published state: createUser operations equal diffResources({}, user);
// unchanged views publish nothing; modify/leave/delete; the state file survives reopening, a torn
// last line, and compaction.
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { appendFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { diffResources } from '../scim/index.ts'
import type { JsonObject, ScimResource } from '../scim/types.ts'
import { composeView, deleteUser, diffView, leaveChannel, membershipOf, prepareUser } from './diff.ts'
import { openTenantState } from './state.ts'
import { desiredGroups, groupsToLeave } from '../stream/apply/groups.ts'
import type { StreamOperation } from '../stream/message.ts'

const ENT = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User'
const user: JsonObject = {
  schemas: ['urn:ietf:params:scim:schemas:core:2.0:User', ENT],
  externalId: 'e1',
  userName: 'ann@x.test',
  name: { givenName: 'Ann', familyName: 'Lee' },
  emails: [{ type: 'work', value: 'ann@x.test' }],
  [ENT]: { department: 'IT', manager: { value: 'e0' }, costCenter: '' },
  title: '',
  active: true,
  groups: [{ value: 'g1', display: 'G1' }],
  roles: []
}

const grp = (d: string): JsonObject => ({ value: `id-${d}`, display: d })

describe('diff', () => {
  it('createUser: operations as diffResources({}, user), user text equals the view', () => {
    const c = diffView(undefined, prepareUser(user), membershipOf(user))
    assert.ok(c)
    assert.equal(c.activityOperation, 'createUser')
    const ops = JSON.parse(c.operationsJson) as unknown[]
    assert.deepEqual(ops, diffResources({}, user as ScimResource))
    const { roles: _r, ...withoutEmptyRoles } = user
    assert.deepEqual(JSON.parse(c.userJson), withoutEmptyRoles)
  })

  it('an unchanged view publishes nothing; a changed one gives the minimal operations', () => {
    const first = diffView(undefined, prepareUser(user), membershipOf(user))!
    assert.equal(diffView(first.nextState, prepareUser(structuredClone(user)), membershipOf(user)), undefined)
    const moved = { ...structuredClone(user), [ENT]: { department: 'Sales', manager: { value: 'e0' }, costCenter: '' }, groups: [{ value: 'g1', display: 'G1' }, { value: 'g2', display: 'G2' }] }
    const c = diffView(first.nextState, prepareUser(moved), membershipOf(moved))!
    assert.equal(c.activityOperation, 'modifyUser')
    assert.deepEqual(JSON.parse(c.operationsJson), [
      { op: 'replace', path: `${ENT}:department`, value: 'Sales' },
      { op: 'add', path: 'groups', value: [{ value: 'g2', display: 'G2' }] }
    ])
  })

  it('leaving a channel removes its groups/roles; deleteUser carries the last view', () => {
    const first = diffView(undefined, prepareUser(user), membershipOf(user))!
    const leave = leaveChannel(first.nextState)!
    assert.equal(leave.activityOperation, 'modifyUser')
    assert.deepEqual(JSON.parse(leave.operationsJson), [{ op: 'remove', path: 'groups', value: [{ value: 'g1', display: 'G1', id: 'g1' }] }])
    // the last group went: the body says so (deployed subscribers' deleteUserOnLastGroupRoleRemoval)
    assert.deepEqual((JSON.parse(leave.userJson) as JsonObject).groups, [])
    assert.equal(leave.nextState, undefined)
    assert.equal(leaveChannel(undefined), undefined)
    const del = deleteUser(first.nextState!)
    assert.equal(del.activityOperation, 'deleteUser')
    assert.equal(del.userJson, composeView(first.nextState!))
  })

  it('leaving group B of A,B,C: one operation removing B only, and the subscriber leaves only B', () => {
    const abc = { ...structuredClone(user), groups: [grp('A'), grp('B'), grp('C')] }
    const ac = { ...structuredClone(user), groups: [grp('A'), grp('C')] }
    const first = diffView(undefined, prepareUser(abc), membershipOf(abc))!
    const c = diffView(first.nextState, prepareUser(ac), membershipOf(ac))!
    const ops = JSON.parse(c.operationsJson) as StreamOperation[]
    assert.deepEqual(ops, [{ op: 'remove', path: 'groups', value: [{ value: 'id-B', display: 'B', id: 'id-B' }] }])
    assert.deepEqual((JSON.parse(c.userJson) as JsonObject).groups, [grp('A'), grp('C')])
    // The gateway subscriber's own reading of these operations (lib/stream/apply/groups.ts): of the
    // user's endpoint groups A, B, C and Manual (joined outside the stream), only B is left.
    const endpoint = ['A', 'B', 'C', 'Manual'].map(d => ({ id: `e-${d}`, displayName: d, ...(d === 'Manual' ? {} : { externalId: `id-${d}` }) }))
    const left = groupsToLeave(ops, endpoint, desiredGroups(JSON.parse(c.userJson) as JsonObject, true), true)
    assert.deepEqual(left.map(g => g.displayName), ['B'])
  })

  it('leaving the last group names it; a whole-attribute remove is never emitted', () => {
    const a = { ...structuredClone(user), groups: [grp('A')] }
    const none = { ...structuredClone(user), groups: [] }
    const first = diffView(undefined, prepareUser(a), membershipOf(a))!
    const c = diffView(first.nextState, prepareUser(none), membershipOf(none))!
    const ops = JSON.parse(c.operationsJson) as StreamOperation[]
    assert.deepEqual(ops, [{ op: 'remove', path: 'groups', value: [{ value: 'id-A', display: 'A', id: 'id-A' }] }])
    assert.deepEqual((JSON.parse(c.userJson) as JsonObject).groups, [], 'the body carries groups: [] when the last one went')
    const endpoint = [{ id: 'e-A', displayName: 'A', externalId: 'id-A' }, { id: 'e-M', displayName: 'Manual' }]
    assert.deepEqual(groupsToLeave(ops, endpoint, [], true).map(g => g.displayName), ['A'])
  })

  it('roles: a removed role is named by value and application; a renamed group is left and joined anew', () => {
    const before = { ...structuredClone(user), groups: [grp('A')], roles: [{ type: 'CRM', display: 'Admin', value: 'r1' }, { type: 'ERP', display: 'Admin', value: 'r1' }] }
    const after = { ...structuredClone(user), groups: [{ value: 'id-A', display: 'A renamed' }], roles: [{ type: 'ERP', display: 'Admin', value: 'r1' }] }
    const first = diffView(undefined, prepareUser(before), membershipOf(before))!
    const c = diffView(first.nextState, prepareUser(after), membershipOf(after))!
    const ops = JSON.parse(c.operationsJson) as StreamOperation[]
    assert.deepEqual(ops, [
      { op: 'remove', path: 'groups', value: [{ value: 'id-A', display: 'A', id: 'id-A' }] },
      { op: 'remove', path: 'roles', value: [{ type: 'CRM', display: 'Admin', value: 'r1' }] },
      { op: 'add', path: 'groups', value: [{ value: 'id-A', display: 'A renamed' }] }
    ])
    const endpoint = [
      { id: 'e1', displayName: 'A', externalId: 'id-A' },
      { id: 'e2', displayName: 'CRM - Admin', externalId: 'r1' },
      { id: 'e3', displayName: 'ERP - Admin', externalId: 'r1' },
      { id: 'e4', displayName: 'Manual' }
    ]
    const left = groupsToLeave(ops, endpoint, desiredGroups(JSON.parse(c.userJson) as JsonObject, true), true)
    assert.deepEqual(left.map(g => g.displayName), ['A', 'CRM - Admin'])
  })

  it('a leaver of a channel gets one named remove per group and role', () => {
    const both = { ...structuredClone(user), groups: [grp('A'), grp('B')], roles: [{ type: 'CRM', display: 'Admin', value: 'r1' }] }
    const first = diffView(undefined, prepareUser(both), membershipOf(both))!
    assert.deepEqual(JSON.parse(leaveChannel(first.nextState)!.operationsJson), [
      { op: 'remove', path: 'groups', value: [{ value: 'id-A', display: 'A', id: 'id-A' }, { value: 'id-B', display: 'B', id: 'id-B' }] },
      { op: 'remove', path: 'roles', value: [{ type: 'CRM', display: 'Admin', value: 'r1' }] }
    ])
    const body = JSON.parse(leaveChannel(first.nextState)!.userJson) as JsonObject
    assert.deepEqual([body.groups, body.roles], [[], []])
  })

  it('dynamicIds stay out of user and Operations', () => {
    const withIds = { ...structuredClone(user), dynamicIds: ['d1'] }
    const first = diffView(undefined, prepareUser(withIds), membershipOf(withIds))!
    assert.equal('dynamicIds' in (JSON.parse(first.userJson) as JsonObject), false)
    assert.equal(first.operationsJson.includes('dynamicIds'), false)
    // a record written before (with the key) gives no `remove dynamicIds`
    const old = { base: JSON.stringify({ ...JSON.parse(first.nextState!.base) as JsonObject, dynamicIds: ['d1'] }), gr: first.nextState!.gr }
    const c = diffView(old, prepareUser({ ...withIds, title: 'x' }), membershipOf(withIds))!
    assert.equal(c.operationsJson.includes('dynamicIds'), false)
    assert.equal(c.userJson.includes('dynamicIds'), false)
  })

  it('the same membership in another key order is recorded, not published', () => {
    const x = { ...structuredClone(user), groups: [{ value: 'id-A', display: 'A' }] }
    const y = { ...structuredClone(user), groups: [{ display: 'A', value: 'id-A' }] }
    const first = diffView(undefined, prepareUser(x), membershipOf(x))!
    const c = diffView(first.nextState, prepareUser(y), membershipOf(y))!
    assert.equal(c.recordOnly, true)
    assert.equal(c.operationsJson, '[]')
  })

  it('a damaged previous record is published afresh instead of failing', () => {
    const c = diffView({ base: '{"userName":"ann', gr: '' }, prepareUser(user), membershipOf(user))
    assert.equal(c?.activityOperation, 'createUser')
  })
})

describe('published state (local store)', () => {
  let dir: string
  before(async () => { dir = await mkdtemp(join(tmpdir(), 'scim-stream-state-')) })
  after(async () => { await rm(dir, { recursive: true, force: true }) })

  it('survives reopening, shares the base text between channels, ignores a torn last line', async () => {
    const s = await openTenantState(dir, 'acme')
    const p = prepareUser(user)
    s.set('A', 'e1', { base: p.base, gr: '"groups":[{"value":"g1"}]' })
    s.set('B', 'e1', { base: p.base, gr: '' })
    s.set('A', 'e2', { base: '{"userName":"bob"}', gr: '' })
    s.set('A', 'e2', undefined)
    await s.flush()
    await appendFile(join(dir, 'acme.state.jsonl'), '"A"\t"e3"\t{"userName":"tor')
    const r = await openTenantState(dir, 'acme')
    assert.equal(r.size(), 2)
    assert.equal(r.get('A', 'e1')?.gr, '"groups":[{"value":"g1"}]')
    assert.equal(r.get('B', 'e1')?.base, p.base)
    assert.equal(r.get('A', 'e2'), undefined)
    assert.equal(r.get('A', 'e3'), undefined, 'torn line ignored')
    assert.deepEqual(r.channels().sort(), ['A', 'B'])
  })

  it('compacts a log much longer than its live entries', async () => {
    const s = await openTenantState(dir, 'big')
    for (let i = 0; i < 3000; i++) s.set('A', 'k', { base: `{"n":${i}}`, gr: '' })
    await s.flush()
    const before = (await readFile(join(dir, 'big.state.jsonl'), 'utf8')).split('\n').length
    const r = await openTenantState(dir, 'big')
    const afterLines = (await readFile(join(dir, 'big.state.jsonl'), 'utf8')).split('\n').filter(l => l !== '').length
    assert.ok(before > 3000)
    assert.equal(afterLines, 1)
    assert.equal(r.get('A', 'k')?.base, '{"n":2999}')
  })

  it('a missing file is an empty state', async () => {
    await writeFile(join(dir, 'note.txt'), 'x')
    const s = await openTenantState(dir, 'none')
    assert.equal(s.size(), 0)
  })
})
