// Incremental runs of the Entra collector pick up group membership and app role assignment changes
// that users/delta does not report (no property of the user changed): groups/delta members@delta,
// renamed and deleted groups, nested groups with transitive membership, appRoleAssignedTo of the
// tracked applications, a rejected groups delta link (whole round compared, no spurious changes),
// and group_membership none. Against the Graph emulator over real HTTP; each test its own emulator.
import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createMemoryLogger } from '../../../logging/index.ts'
import { silentLogger } from '../../../logging/types.ts'
import type { JsonObject } from '../../../scim/types.ts'
import { startGraphEmulator, type GraphEmulator, type GraphEmulatorOptions, type GraphUser } from '../../../../test/support/graph-emulator.ts'
import { createEntraCollector, type EntraCollector, type EntraCollectorDeps } from './index.ts'

const emulators: GraphEmulator[] = []
const dirs: string[] = []
after(async () => {
  await Promise.all(emulators.map(async e => { await e.stop() }))
  await Promise.all(dirs.map(async d => { await rm(d, { recursive: true, force: true }) }))
})

const APP = 'sp-payroll'
const CRM = 'c0ffee00-0000-4000-8000-000000000001' // a service principal object id
const CRM_APP_ID = 'c0ffee00-0000-4000-8000-0000000000aa' // its application (client) id
const ROLE_ADMIN = 'aaaaaaaa-0000-0000-0000-000000000001'
const ROLE_VIEWER = 'aaaaaaaa-0000-0000-0000-000000000002'
const CRM_SALES = 'cccccccc-0000-0000-0000-000000000001'

function people (n: number): GraphUser[] {
  return Array.from({ length: n }, (_, i) => {
    const k = String(i + 1).padStart(3, '0')
    return { id: `u${k}`, userPrincipalName: `user${k}@contoso.test`, displayName: `User ${k}`, accountEnabled: true }
  })
}

async function emulator (o: GraphEmulatorOptions = {}): Promise<GraphEmulator> {
  const e = await startGraphEmulator({
    users: people(5),
    groups: [
      { id: 'g-staff', displayName: 'Staff', members: ['u001', 'u002', 'g-it'] },
      { id: 'g-it', displayName: 'IT', members: ['u001'] },
      { id: 'g-all', displayName: 'All', members: ['g-staff'] },
      { id: 'g-ext', displayName: 'External', members: ['u004'] }
    ],
    servicePrincipals: [
      { id: APP, displayName: 'Payroll', appRoles: [{ id: ROLE_ADMIN, displayName: 'Payroll Admin', value: 'payroll.admin' }, { id: ROLE_VIEWER, displayName: 'Viewer', value: 'payroll.viewer' }] },
      { id: CRM, appId: CRM_APP_ID, displayName: 'CRM', appRoles: [{ id: CRM_SALES, displayName: 'Sales', value: 'crm.sales' }] }
    ],
    assignments: [
      { userId: 'u001', resourceId: APP, appRoleId: ROLE_ADMIN },
      { userId: 'u001', resourceId: APP, appRoleId: ROLE_VIEWER },
      { userId: 'g-it', resourceId: APP, appRoleId: ROLE_VIEWER, principalType: 'Group' }
    ],
    ...o
  })
  emulators.push(e)
  return e
}

function section (e: GraphEmulator, general: Record<string, unknown> = {}): { auth: Record<string, unknown>, general: Record<string, unknown> } {
  return { auth: { tenant_id: e.tenantId, client_id: 'app-1', client_secret: 'secret-1', login_url: e.url, graph_url: e.url }, general: withIds(general) }
}

/** A collector after its full load, with the emulator's counters reset. */
async function loaded (e: GraphEmulator, general: Record<string, unknown> = {}, deps: Partial<EntraCollectorDeps> = {}): Promise<{ entra: EntraCollector, before: JsonObject[] }> {
  const entra = createEntraCollector(section(e, general), { log: silentLogger, ...deps })
  const r = await entra.collect()
  assert.equal(r.info?.mode, 'full')
  e.resetCounters()
  return { entra, before: r.persons }
}

/** Per-user reads since the last reset, as `<user>/<relation>` (each read once, whatever its pages). */
function userCalls (e: GraphEmulator): string[] {
  return [...new Set(e.log.map(p => p.split('?')[0] ?? '').filter(p => /^\/v1\.0\/users\/[^/]+\//.test(p)).map(p => p.split('/').slice(3).join('/')))].sort()
}

function byId (persons: JsonObject[], id: string): JsonObject {
  const p = persons.find(x => x.id === id)
  assert.ok(p !== undefined, `person ${id}`)
  return p
}

function groupIds (p: JsonObject): string[] {
  return (p.memberOf as Array<{ value: string }>).map(g => g.value).sort()
}

/** Every person but `changed` is the same as before. */
function othersUnchanged (before: JsonObject[], after: JsonObject[], changed: string[]): void {
  assert.deepEqual(after.map(p => p.id), before.map(p => p.id))
  for (const p of after) if (!changed.includes(p.id as string)) assert.deepEqual(p, byId(before, p.id as string), `${String(p.id)} unchanged`)
}

test('a user added to a group: only that user\'s memberOf is read again, its groups updated', async () => {
  const e = await emulator({ pageSize: 2, memberChunk: 1 })
  const { entra, before } = await loaded(e)
  e.addMember('g-it', 'u003')
  const r = await entra.collect()
  assert.equal(r.info?.mode, 'delta')
  assert.equal(r.info?.changed, 0, 'nothing in users/delta')
  assert.equal(r.info?.groups, 'delta')
  assert.equal(r.info?.groupsReread, 1)
  assert.equal(r.complete, true)
  assert.deepEqual(userCalls(e), ['u003/memberOf'], 'neither other users nor u003\'s app roles are read')
  assert.deepEqual(byId(r.persons, 'u003').memberOf, [{ value: 'g-it', display: 'IT' }])
  othersUnchanged(before, r.persons, ['u003'])
  // The change is consumed: the next run reads nobody.
  e.resetCounters()
  const again = await entra.collect()
  assert.deepEqual(userCalls(e), [])
  assert.deepEqual(again.persons, r.persons)
})

test('a user removed from a group: its groups lose that group', async () => {
  const e = await emulator()
  const { entra, before } = await loaded(e)
  e.removeMember('g-staff', 'u002')
  const r = await entra.collect()
  assert.deepEqual(userCalls(e), ['u002/memberOf'])
  assert.deepEqual(byId(r.persons, 'u002').memberOf, [])
  othersUnchanged(before, r.persons, ['u002'])
})

test('a renamed group: its members\' group display changes without any per-user request', async () => {
  const e = await emulator()
  const { entra, before } = await loaded(e)
  e.renameGroup('g-it', 'IT Operations')
  const r = await entra.collect()
  assert.deepEqual(userCalls(e), [])
  assert.deepEqual(byId(r.persons, 'u001').memberOf, [{ value: 'g-staff', display: 'Staff' }, { value: 'g-it', display: 'IT Operations' }])
  othersUnchanged(before, r.persons, ['u001'])
  // Stored renamed: nothing more next time.
  const again = await entra.collect()
  assert.deepEqual(again.persons, r.persons)
})

test('a deleted group: its members are read again and lose it', async () => {
  const e = await emulator()
  const { entra, before } = await loaded(e)
  e.removeGroup('g-it')
  const r = await entra.collect()
  assert.deepEqual(userCalls(e), ['u001/memberOf'])
  assert.deepEqual(byId(r.persons, 'u001').memberOf, [{ value: 'g-staff', display: 'Staff' }])
  othersUnchanged(before, r.persons, ['u001'])
})

test('transitive: a group nested into another gives its members the parents; taken out again, they lose them', async () => {
  const e = await emulator({ linkPageSize: 1 })
  const { entra, before } = await loaded(e, { group_membership: 'transitive' })
  assert.deepEqual(groupIds(byId(before, 'u004')), ['g-ext'])
  e.addMember('g-staff', 'g-ext') // u004 is now below Staff and All
  const r = await entra.collect()
  assert.ok(e.log.some(p => p.startsWith('/v1.0/groups/g-ext/transitiveMembers/microsoft.graph.user')), 'the nested group\'s users are read')
  assert.deepEqual(userCalls(e), ['u004/transitiveMemberOf'])
  assert.deepEqual(groupIds(byId(r.persons, 'u004')), ['g-all', 'g-ext', 'g-staff'])
  othersUnchanged(before, r.persons, ['u004'])

  e.resetCounters()
  e.removeMember('g-staff', 'g-ext')
  const back = await entra.collect()
  assert.deepEqual(userCalls(e), ['u004/transitiveMemberOf'])
  assert.deepEqual(back.persons, before)

  // A user added to a nested group gains the parents too; a deleted parent is dropped from everyone below it.
  e.resetCounters()
  e.addMember('g-it', 'u005')
  e.removeGroup('g-all')
  const more = await entra.collect()
  assert.deepEqual(groupIds(byId(more.persons, 'u005')), ['g-it', 'g-staff'])
  assert.deepEqual(groupIds(byId(more.persons, 'u001')), ['g-it', 'g-staff'])
  assert.deepEqual(groupIds(byId(more.persons, 'u002')), ['g-staff'])
  assert.deepEqual(userCalls(e), ['u001/transitiveMemberOf', 'u002/transitiveMemberOf', 'u005/transitiveMemberOf'])
})

test('direct: a nested group change reads nobody (direct memberOf does not list parents)', async () => {
  const e = await emulator()
  const { entra, before } = await loaded(e)
  e.addMember('g-staff', 'g-ext')
  const r = await entra.collect()
  assert.deepEqual(userCalls(e), [])
  assert.ok(!e.log.some(p => p.includes('/transitiveMembers/')))
  assert.deepEqual(r.persons, before)
})

test('app roles: a granted and a revoked assignment are noticed through appRoleAssignedTo; only those users\' roles are read', async () => {
  const e = await emulator({ linkPageSize: 1 })
  const { entra, before } = await loaded(e)
  e.assign({ userId: 'u003', resourceId: APP, appRoleId: ROLE_VIEWER })
  e.unassign('u001', APP, ROLE_ADMIN)
  const r = await entra.collect()
  assert.equal(r.info?.applications, 1)
  assert.equal(r.info?.rolesReread, 2)
  assert.equal(e.log.filter(p => p.startsWith(`/v1.0/servicePrincipals/${APP}/appRoleAssignedTo`)).length, 3, 'paged: 3 assignments at 1 per page (the group assignment included)')
  assert.deepEqual(userCalls(e), ['u001/appRoleAssignments', 'u003/appRoleAssignments'])
  assert.deepEqual(byId(r.persons, 'u003').appRoles, [{ type: 'Payroll', display: 'Viewer', value: 'payroll.viewer' }])
  assert.deepEqual(byId(r.persons, 'u001').appRoles, [{ type: 'Payroll', display: 'Viewer', value: 'payroll.viewer' }])
  othersUnchanged(before, r.persons, ['u001', 'u003'])
  assert.ok(r.persons.every(p => !('@assignments' in p)), 'the stored assignment ids are not given to the mapper')
  // The last holder of a role losing it keeps the application tracked until nobody has any role of it.
  e.resetCounters()
  e.unassign('u001', APP, ROLE_VIEWER)
  e.unassign('u003', APP, ROLE_VIEWER)
  const none = await entra.collect()
  assert.deepEqual(byId(none.persons, 'u001').appRoles, [{ type: 'Payroll', display: 'Viewer', value: 'payroll.viewer' }], 'still held through g-it')
  assert.deepEqual(byId(none.persons, 'u003').appRoles, [])
})

test('app_role_resources: an application nobody had a role of is tracked when configured (by appId or object id)', async () => {
  for (const key of [CRM_APP_ID, CRM]) {
    const e = await emulator()
    const plain = await loaded(e)
    const configured = await loaded(e, { app_role_resources: [key] })
    e.assign({ userId: 'u005', resourceId: CRM, appRoleId: CRM_SALES })
    e.resetCounters()
    const unnoticed = await plain.entra.collect()
    assert.deepEqual(byId(unnoticed.persons, 'u005').appRoles, [], 'without the key: an untracked application')
    e.resetCounters()
    const r = await configured.entra.collect()
    assert.equal(r.info?.applications, 2, key)
    assert.deepEqual(userCalls(e), ['u005/appRoleAssignments'])
    assert.deepEqual(byId(r.persons, 'u005').appRoles, [{ type: 'CRM', display: 'Sales', value: 'crm.sales' }])
  }
  // An unknown id: one warning, the run goes on.
  const e = await emulator()
  const log = createMemoryLogger()
  const { entra } = await loaded(e, { app_role_resources: ['deadbeef-0000-4000-8000-000000000000'] }, { log })
  const r = await entra.collect()
  assert.equal(r.complete, true)
  assert.ok(log.lines.some(l => l.level === 'warn' && /no service principal with id or appId deadbeef/.test(l.message)))
})

test('a rejected groups delta link: a whole groups round compared with the stored memberships, no spurious re-reads', async () => {
  for (const [membership, mode] of [['direct', 410], ['transitive', 400]] as const) {
    const e = await emulator({ pageSize: 2, memberChunk: 1 })
    const log = createMemoryLogger()
    const { entra, before } = await loaded(e, { group_membership: membership }, { log })
    e.expireDeltaLinks(mode, 'groups')
    const same = await entra.collect()
    assert.equal(same.info?.mode, 'delta', 'the users delta link still works')
    assert.equal(same.info?.groups, 'rebaseline')
    assert.deepEqual(userCalls(e), [], `${membership}: nobody read again`)
    assert.deepEqual(same.persons, before)
    assert.ok(log.lines.some(l => l.level === 'warn' && /groups delta link no longer valid/.test(l.message)))

    // Changes made while the link was dead are found by the comparison.
    e.addMember('g-it', 'u003')
    e.renameGroup('g-staff', 'Everyone')
    e.expireDeltaLinks(mode, 'groups')
    e.resetCounters()
    const r = await entra.collect()
    assert.equal(r.info?.groups, 'rebaseline')
    const rel = membership === 'transitive' ? 'transitiveMemberOf' : 'memberOf'
    assert.deepEqual(userCalls(e), [`u003/${rel}`])
    assert.deepEqual(groupIds(byId(r.persons, 'u003')), membership === 'transitive' ? ['g-all', 'g-it', 'g-staff'] : ['g-it'])
    assert.deepEqual((byId(r.persons, 'u002').memberOf as Array<{ value: string, display: string }>).find(g => g.value === 'g-staff')?.display, 'Everyone')
    e.resetCounters()
    assert.equal((await entra.collect()).info?.groups, 'delta', 'the new link is used afterwards')
  }
})

test('group_membership none: no groups/delta at all; the members of role-carrying groups are read every run', async () => {
  const e = await emulator()
  const entra = createEntraCollector(section(e, { group_membership: 'none' }), { log: silentLogger })
  const first = await entra.collect()
  const notDelta = (p: string): boolean => p.includes('/groups/') && !p.startsWith('/v1.0/groups/g-it/members/microsoft.graph.user')
  assert.ok(!e.log.some(notDelta), 'no groups/delta')
  assert.deepEqual(byId(first.persons, 'u001').appRoles, [{ type: 'Payroll', display: 'Payroll Admin', value: 'payroll.admin' }, { type: 'Payroll', display: 'Viewer', value: 'payroll.viewer' }])
  e.resetCounters()
  e.addMember('g-it', 'u003')
  const r = await entra.collect()
  assert.equal(r.info?.groups, undefined)
  assert.equal(r.info?.groupMembersRead, 1)
  assert.ok(!e.log.some(p => notDelta(p) || p.includes('memberOf')))
  assert.deepEqual(byId(r.persons, 'u003').appRoles, [{ type: 'Payroll', display: 'Viewer', value: 'payroll.viewer' }], 'the role of g-it, without memberOf')
  othersUnchanged(first.persons, r.persons, ['u003'])
})

test('the groups delta link and the raw assignments are stored next to the users\' delta link', async () => {
  const e = await emulator()
  const dir = await mkdtemp(join(tmpdir(), 'entra-changes-'))
  dirs.push(dir)
  await createEntraCollector(section(e), { log: silentLogger, stateDir: dir, tenant: 'contoso' }).collect()
  const lines = (await readFile(join(dir, 'contoso.entra.jsonl'), 'utf8')).trim().split('\n')
  assert.match(lines[0] ?? '', /"groupsDeltaLink":"http:\/\/127\.0\.0\.1:\d+\/v1\.0\/groups\/delta\?\$deltatoken=/)
  assert.match(lines[1] ?? '', /"@assignments":\[\{"resourceId":"sp-payroll","appRoleId":"aaaaaaaa-0000-0000-0000-000000000001"\}/)
  // Another instance continues from both links.
  e.addMember('g-it', 'u002')
  e.resetCounters()
  const r = await createEntraCollector(section(e), { log: silentLogger, stateDir: dir, tenant: 'contoso' }).collect()
  assert.equal(r.info?.groups, 'delta')
  assert.deepEqual(userCalls(e), ['u002/memberOf'])
})

/** These tests follow groups by id: the documented default (value = displayName) is tested in options.test.ts. */
function withIds (general: Record<string, unknown>): Record<string, unknown> {
  return { ...general, entra: { use_original_group_id: true, ...(general.entra as Record<string, unknown> | undefined) } }
}
