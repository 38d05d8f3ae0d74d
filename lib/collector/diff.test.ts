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
    assert.deepEqual(JSON.parse(leave.operationsJson), [{ op: 'remove', path: 'groups' }])
    assert.equal(leave.nextState, undefined)
    assert.equal(leaveChannel(undefined), undefined)
    const del = deleteUser(first.nextState!)
    assert.equal(del.activityOperation, 'deleteUser')
    assert.equal(del.userJson, composeView(first.nextState!))
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
