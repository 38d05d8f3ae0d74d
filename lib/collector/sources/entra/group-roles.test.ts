// App roles assigned to a group are held by its direct members (Microsoft: "all direct members of the
// group will be considered assigned"; the assignment "doesn't cascade to nested groups"): on the full
// read, when a user joins or leaves such a group, when a role is granted to or revoked from a group,
// deduplicated with the user's own assignments, with direct and transitive group_membership, across
// instances (state file) and with a bounded number of requests. Against the Graph emulator over real
// HTTP; each test its own emulator.
import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { silentLogger } from '../../../logging/types.ts'
import type { JsonObject } from '../../../scim/types.ts'
import { startGraphEmulator, type GraphEmulator, type GraphEmulatorOptions, type GraphUser } from '../../../../test/support/graph-emulator.ts'
import { createEntraCollector, type EntraCollector } from './index.ts'

const emulators: GraphEmulator[] = []
const dirs: string[] = []
after(async () => {
  await Promise.all(emulators.map(async e => { await e.stop() }))
  await Promise.all(dirs.map(async d => { await rm(d, { recursive: true, force: true }) }))
})

const APP = 'sp-payroll'
const CRM = 'c0ffee00-0000-4000-8000-000000000001' // configurable: a GUID
const ADMIN = 'aaaaaaaa-0000-0000-0000-000000000001'
const VIEWER = 'aaaaaaaa-0000-0000-0000-000000000002'
const SALES = 'cccccccc-0000-0000-0000-000000000001'
const R_ADMIN = { type: 'Payroll', display: 'Payroll Admin', value: 'payroll.admin' }
const R_VIEWER = { type: 'Payroll', display: 'Viewer', value: 'payroll.viewer' }
const R_SALES = { type: 'CRM', display: 'Sales', value: 'crm.sales' }

function people (n: number): GraphUser[] {
  return Array.from({ length: n }, (_, i) => {
    const k = String(i + 1).padStart(3, '0')
    return { id: `u${k}`, userPrincipalName: `user${k}@contoso.test`, displayName: `User ${k}`, accountEnabled: true }
  })
}

// g-finance (Viewer) has u001, u002 and the nested group g-audit (u003); u001 also holds Viewer and
// Admin itself. g-sales carries no role yet; CRM is an application only groups get roles of.
async function emulator (o: GraphEmulatorOptions = {}): Promise<GraphEmulator> {
  const e = await startGraphEmulator({
    users: people(5),
    groups: [
      { id: 'g-finance', displayName: 'Finance', members: ['u001', 'u002', 'g-audit'] },
      { id: 'g-audit', displayName: 'Audit', members: ['u003'] },
      { id: 'g-sales', displayName: 'Sales', members: ['u004'] }
    ],
    servicePrincipals: [
      { id: APP, displayName: 'Payroll', appRoles: [{ id: ADMIN, displayName: 'Payroll Admin', value: 'payroll.admin' }, { id: VIEWER, displayName: 'Viewer', value: 'payroll.viewer' }] },
      { id: CRM, displayName: 'CRM', appRoles: [{ id: SALES, displayName: 'Sales', value: 'crm.sales' }] }
    ],
    assignments: [
      { userId: 'u001', resourceId: APP, appRoleId: ADMIN },
      { userId: 'u001', resourceId: APP, appRoleId: VIEWER },
      { userId: 'g-finance', resourceId: APP, appRoleId: VIEWER, principalType: 'Group' }
    ],
    ...o
  })
  emulators.push(e)
  return e
}

function section (e: GraphEmulator, general: Record<string, unknown> = {}): { auth: Record<string, unknown>, general: Record<string, unknown> } {
  return { auth: { tenant_id: e.tenantId, client_id: 'app-1', client_secret: 'secret-1', login_url: e.url, graph_url: e.url }, general: withIds(general) }
}

async function loaded (e: GraphEmulator, general: Record<string, unknown> = {}, stateDir?: string): Promise<{ entra: EntraCollector, before: JsonObject[] }> {
  const entra = createEntraCollector(section(e, general), { log: silentLogger, ...(stateDir !== undefined ? { stateDir, tenant: 'contoso' } : {}) })
  const r = await entra.collect()
  assert.equal(r.info?.mode, 'full')
  e.resetCounters()
  return { entra, before: r.persons }
}

function roles (persons: JsonObject[], id: string): unknown {
  const p = persons.find(x => x.id === id)
  assert.ok(p !== undefined, `person ${id}`)
  return p.appRoles
}

/** Per-user reads since the last reset, as `<user>/<relation>`. */
function userCalls (e: GraphEmulator): string[] {
  return [...new Set(e.log.map(p => p.split('?')[0] ?? '').filter(p => /^\/v1\.0\/users\/[^/]+\//.test(p)).map(p => p.split('/').slice(3).join('/')))].sort()
}

function calls (e: GraphEmulator, prefix: string): number {
  return e.log.filter(p => p.startsWith(prefix)).length
}

test('full read: direct members of a role-carrying group hold its role, deduplicated with their own; nested members do not (direct and transitive)', async () => {
  for (const membership of ['direct', 'transitive']) {
    const e = await emulator({ linkPageSize: 1 })
    const entra = createEntraCollector(section(e, { group_membership: membership }), { log: silentLogger })
    const r = await entra.collect()
    assert.deepEqual(roles(r.persons, 'u001'), [R_ADMIN, R_VIEWER], `${membership}: Viewer held directly and through Finance: once`)
    assert.deepEqual(roles(r.persons, 'u002'), [R_VIEWER], `${membership}: through Finance`)
    assert.deepEqual(roles(r.persons, 'u003'), [], `${membership}: Audit is nested in Finance: the assignment does not cascade`)
    assert.deepEqual(roles(r.persons, 'u004'), [])
    assert.equal(r.info?.groupRoles, 1)
    assert.ok(r.persons.every(p => !('@directRoles' in p) && !('@assignments' in p)), 'bookkeeping is not given to the mapper')
    // Bounded: one appRoleAssignedTo chain per application, one members chain per role-carrying group;
    // nothing per user and group.
    assert.equal(calls(e, `/v1.0/servicePrincipals/${APP}/appRoleAssignedTo`), 3, '3 assignments at 1 per page')
    assert.equal(calls(e, '/v1.0/groups/g-finance/members/microsoft.graph.user'), 2, '2 user members at 1 per page')
    assert.equal(e.log.filter(p => /^\/v1\.0\/groups\/[^/]+\/(members|appRoleAssignments)/.test(p) && !p.startsWith('/v1.0/groups/g-finance/')).length, 0)
  }
})

test('a user joins a role-carrying group: gets its role without a roles read; leaves: loses it unless held directly', async () => {
  const e = await emulator()
  const { entra, before } = await loaded(e)
  e.addMember('g-finance', 'u004')
  const joined = await entra.collect()
  assert.deepEqual(roles(joined.persons, 'u004'), [R_VIEWER])
  assert.deepEqual(userCalls(e), ['u004/memberOf'], 'its groups are read again, its roles need no request')
  assert.equal(joined.info?.groupMembersRead, 0, 'members known from groups/delta')
  for (const id of ['u001', 'u002', 'u003', 'u005']) assert.deepEqual(roles(joined.persons, id), roles(before, id), id)

  e.resetCounters()
  e.removeMember('g-finance', 'u004')
  e.removeMember('g-finance', 'u001')
  const left = await entra.collect()
  assert.deepEqual(roles(left.persons, 'u004'), [])
  assert.deepEqual(roles(left.persons, 'u001'), [R_ADMIN, R_VIEWER], 'still held directly')
  assert.deepEqual(roles(left.persons, 'u002'), [R_VIEWER])

  // A nested group joining a role-carrying group gives its members nothing.
  e.resetCounters()
  e.addMember('g-finance', 'g-sales')
  const nested = await entra.collect()
  assert.deepEqual(roles(nested.persons, 'u004'), [])
})

test('a role granted to a group: every direct member gets it (nested ones not); revoked: they lose it — no per-user requests', async () => {
  for (const membership of ['direct', 'transitive']) {
    const e = await emulator()
    const { entra, before } = await loaded(e, { group_membership: membership })
    e.assign({ userId: 'g-finance', resourceId: APP, appRoleId: ADMIN, principalType: 'Group' })
    const granted = await entra.collect()
    assert.deepEqual(roles(granted.persons, 'u002'), [R_ADMIN, R_VIEWER], membership)
    assert.deepEqual(roles(granted.persons, 'u001'), [R_ADMIN, R_VIEWER])
    assert.deepEqual(roles(granted.persons, 'u003'), [], `${membership}: nested member of Finance`)
    assert.deepEqual(userCalls(e), [], 'nobody\'s memberships are read')
    assert.equal(granted.info?.groupMembersRead, 0, 'Finance\'s members are stored')

    e.resetCounters()
    e.unassign('g-finance', APP, VIEWER)
    e.unassign('g-finance', APP, ADMIN)
    const revoked = await entra.collect()
    assert.deepEqual(roles(revoked.persons, 'u002'), [])
    assert.deepEqual(roles(revoked.persons, 'u001'), [R_ADMIN, R_VIEWER], 'its own assignments stay')
    assert.equal(revoked.info?.groupRoles, 0)
    assert.deepEqual(userCalls(e), [])
    for (const id of ['u003', 'u004', 'u005']) assert.deepEqual(roles(revoked.persons, id), roles(before, id), id)
  }
})

test('a group that newly carries a role: its members are read once; an application only groups have roles of is tracked once known or configured', async () => {
  const e = await emulator()
  const { entra } = await loaded(e, { app_role_resources: [CRM] })
  e.assign({ userId: 'g-sales', resourceId: CRM, appRoleId: SALES, principalType: 'Group' })
  const r = await entra.collect()
  assert.deepEqual(roles(r.persons, 'u004'), [R_SALES])
  assert.equal(r.info?.groupMembersRead, 1)
  assert.equal(calls(e, '/v1.0/groups/g-sales/members/microsoft.graph.user'), 1)
  // From now on CRM is tracked through the stored group even without the configuration.
  const dir = await mkdtemp(join(tmpdir(), 'entra-group-roles-'))
  dirs.push(dir)
  const plain = await loaded(e)
  assert.deepEqual(roles(plain.before, 'u004'), [], 'CRM is neither configured nor held by any user: unknown on a full read')
  const withCrm = await loaded(e, { app_role_resources: [CRM] }, dir)
  assert.deepEqual(roles(withCrm.before, 'u004'), [R_SALES])
  e.addMember('g-sales', 'u005')
  const again = await createEntraCollector(section(e), { log: silentLogger, stateDir: dir, tenant: 'contoso' }).collect()
  assert.equal(again.info?.mode, 'delta')
  assert.deepEqual(roles(again.persons, 'u005'), [R_SALES], 'CRM stays tracked through the stored group without the configuration')
})

test('a deleted role-carrying group: its members lose its role', async () => {
  const e = await emulator()
  const { entra } = await loaded(e)
  e.removeGroup('g-finance')
  const r = await entra.collect()
  assert.deepEqual(roles(r.persons, 'u002'), [])
  assert.deepEqual(roles(r.persons, 'u001'), [R_ADMIN, R_VIEWER])
  assert.equal(r.info?.groupRoles, 0)
})

test('a rejected groups delta link: the rebaseline round gives the members of role-carrying groups', async () => {
  const e = await emulator({ memberChunk: 1 })
  const { entra } = await loaded(e)
  e.addMember('g-finance', 'u005')
  e.expireDeltaLinks(410, 'groups')
  const r = await entra.collect()
  assert.equal(r.info?.groups, 'rebaseline')
  assert.equal(r.info?.groupMembersRead, 0)
  assert.deepEqual(roles(r.persons, 'u005'), [R_VIEWER])
})

test('state: role-carrying groups stored in <tenant>.entra.jsonl; another instance continues; an older state (v2) means one full read', async () => {
  const e = await emulator()
  const dir = await mkdtemp(join(tmpdir(), 'entra-group-roles-'))
  dirs.push(dir)
  await loaded(e, {}, dir)
  const file = join(dir, 'contoso.entra.jsonl')
  const lines = (await readFile(file, 'utf8')).trim().split('\n')
  assert.ok(lines.includes(JSON.stringify({ '@group': 'g-finance', assignments: [{ resourceId: APP, appRoleId: VIEWER }], roles: [R_VIEWER], members: ['u001', 'u002'] })))
  assert.match(lines[1] ?? '', /"@directRoles":\[/)
  e.addMember('g-finance', 'u004')
  const next = await createEntraCollector(section(e), { log: silentLogger, stateDir: dir, tenant: 'contoso' }).collect()
  assert.equal(next.info?.mode, 'delta')
  assert.deepEqual(roles(next.persons, 'u004'), [R_VIEWER])
  assert.deepEqual(userCalls(e), ['u004/memberOf'])

  const [header, ...rest] = (await readFile(file, 'utf8')).trim().split('\n')
  const h = JSON.parse(header ?? '{}') as { fingerprint: string }
  await writeFile(file, [JSON.stringify({ ...h, fingerprint: h.fingerprint.replace('"v3"', '"v2"') }), ...rest].join('\n') + '\n')
  const upgraded = await createEntraCollector(section(e), { log: silentLogger, stateDir: dir, tenant: 'contoso' }).collect()
  assert.equal(upgraded.info?.mode, 'full')
})

/** These tests follow groups by id: the documented default (value = displayName) is tested in options.test.ts. */
function withIds (general: Record<string, unknown>): Record<string, unknown> {
  return { ...general, entra: { use_original_group_id: true, ...(general.entra as Record<string, unknown> | undefined) } }
}
