// The Entra collector against the Graph emulator over real HTTP: client credentials (token cached,
// wrong secret → clear error without the secret), users/delta paging, incremental rounds, @removed,
// an expired delta link (410 and 400 syncStateNotFound) → full read, 429 with Retry-After, groups and
// app roles shaping, the concurrency bound, and the delta link kept in the state dir across instances.
import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createMemoryLogger } from '../../../logging/index.ts'
import { silentLogger } from '../../../logging/types.ts'
import { startGraphEmulator, type GraphEmulator, type GraphEmulatorOptions, type GraphUser } from '../../../../test/support/graph-emulator.ts'
import { createEntraCollector, isRestError, parseEntraConfig, EntraConfigError, type EntraCollectorDeps } from './index.ts'

const emulators: GraphEmulator[] = []
const dirs: string[] = []
after(async () => {
  await Promise.all(emulators.map(async e => { await e.stop() }))
  await Promise.all(dirs.map(async d => { await rm(d, { recursive: true, force: true }) }))
})

const APP = 'sp-payroll'
const ROLE_ADMIN = 'aaaaaaaa-0000-0000-0000-000000000001'
const ROLE_NOVALUE = 'aaaaaaaa-0000-0000-0000-000000000002'
const DEFAULT_ACCESS = '00000000-0000-0000-0000-000000000000'

function people (n: number): GraphUser[] {
  return Array.from({ length: n }, (_, i) => {
    const k = String(i + 1).padStart(3, '0')
    return { id: `u${k}`, userPrincipalName: `user${k}@contoso.test`, givenName: `Given${k}`, surname: `Sur${k}`, displayName: `User ${k}`, accountEnabled: true, department: 'IT' }
  })
}

async function emulator (o: GraphEmulatorOptions = {}): Promise<GraphEmulator> {
  const e = await startGraphEmulator({
    users: people(5),
    groups: [
      { id: 'g-staff', displayName: 'Staff', members: ['u001', 'u002', 'g-it'] },
      { id: 'g-it', displayName: 'IT', members: ['u001'] },
      { id: 'g-all', displayName: 'All', members: ['g-staff'] }
    ],
    directoryRoles: [{ id: 'dr-1', displayName: 'Global Reader', members: ['u001'] }],
    servicePrincipals: [{ id: APP, displayName: 'Payroll', appRoles: [{ id: ROLE_ADMIN, displayName: 'Payroll Admin', value: 'payroll.admin' }, { id: ROLE_NOVALUE, displayName: 'Viewer', value: null }] }],
    assignments: [
      { userId: 'u001', resourceId: APP, appRoleId: ROLE_ADMIN },
      { userId: 'u001', resourceId: APP, appRoleId: ROLE_NOVALUE },
      { userId: 'u002', resourceId: APP, appRoleId: DEFAULT_ACCESS }
    ],
    ...o
  })
  emulators.push(e)
  return e
}

function section (e: GraphEmulator, general: Record<string, unknown> = {}, secret = 'secret-1'): { auth: Record<string, unknown>, general: Record<string, unknown> } {
  return { auth: { tenant_id: e.tenantId, client_id: 'app-1', client_secret: secret, login_url: e.url, graph_url: e.url }, general: withIds(general) }
}

const noSleep: EntraCollectorDeps['sleep'] = async () => {}

test('full read: every user over several pages, groups (not directory roles) and app roles shaped for the mapper', async () => {
  const e = await emulator({ pageSize: 2, linkPageSize: 1 })
  const entra = createEntraCollector(section(e), { log: silentLogger })
  const r = await entra.collect()
  assert.equal(r.complete, true)
  assert.equal(r.info?.mode, 'full')
  assert.deepEqual(r.persons.map(p => p.id), ['u001', 'u002', 'u003', 'u004', 'u005'])
  assert.equal(e.log.filter(p => p.startsWith('/v1.0/users/delta')).length, 3, '5 users at 2 per page')
  assert.ok(e.log[0]?.includes('$select=id,userPrincipalName,givenName,surname,displayName,mail,jobTitle,department,accountEnabled,employeeId'))
  const u1 = r.persons[0] ?? {}
  assert.equal(u1.userPrincipalName, 'user001@contoso.test')
  assert.deepEqual(u1.memberOf, [{ value: 'g-staff', display: 'Staff' }, { value: 'g-it', display: 'IT' }])
  assert.deepEqual(u1.appRoles, [
    { type: 'Payroll', display: 'Payroll Admin', value: 'payroll.admin' },
    { type: 'Payroll', display: 'Viewer', value: ROLE_NOVALUE }
  ])
  assert.deepEqual(r.persons[1]?.appRoles, [{ type: 'Payroll', display: 'Default Access', value: DEFAULT_ACCESS }])
  assert.deepEqual(r.persons[2]?.memberOf, [])
  assert.equal(e.log.filter(p => p.startsWith('/v1.0/servicePrincipals/') && !p.includes('/appRoleAssignedTo')).length, 1, 'the service principal is read once per run')
  assert.equal(e.tokenRequests, 1, 'one token for the whole run')
})

test('transitive membership includes nested groups; group_membership none and app_roles false skip the calls', async () => {
  const e = await emulator()
  const t = await createEntraCollector(section(e, { group_membership: 'transitive' }), { log: silentLogger }).collect()
  assert.deepEqual((t.persons[0]?.memberOf as Array<{ value: string }>).map(g => g.value).sort(), ['g-all', 'g-it', 'g-staff'])
  e.resetCounters()
  const n = await createEntraCollector(section(e, { group_membership: 'none', app_roles: false, select: ['userPrincipalName'] }), { log: silentLogger }).collect()
  assert.equal(n.persons[0]?.memberOf, undefined)
  assert.equal(n.persons[0]?.appRoles, undefined)
  assert.deepEqual(Object.keys(n.persons[0] ?? {}).sort(), ['id', 'userPrincipalName'])
  assert.deepEqual(e.log.map(p => p.split('?')[0]), ['/v1.0/users/delta', '/v1.0/auditLogs/directoryAudits'])
})

test('incremental: only changed users are re-read; the collection stays whole and complete; @removed users drop out', async () => {
  const e = await emulator({ pageSize: 2 })
  const entra = createEntraCollector(section(e), { log: silentLogger })
  await entra.collect()
  e.setUser({ id: 'u002', jobTitle: 'Engineer', department: 'R&D' })
  e.setUser({ id: 'u006', userPrincipalName: 'user006@contoso.test', givenName: 'New' })
  e.removeUser('u003')
  e.removeUser('u004', 'changed') // soft delete
  e.resetCounters()
  const r = await entra.collect()
  assert.equal(r.info?.mode, 'delta')
  assert.equal(r.complete, true)
  assert.deepEqual(r.persons.map(p => p.id), ['u001', 'u002', 'u005', 'u006'])
  assert.equal(r.info?.removed, 2)
  assert.equal(r.info?.changed, 2)
  const u2 = r.persons[1] ?? {}
  assert.equal(u2.jobTitle, 'Engineer')
  assert.equal(u2.givenName, 'Given002', 'unchanged properties are kept')
  assert.deepEqual(u2.memberOf, [{ value: 'g-staff', display: 'Staff' }])
  assert.ok(e.log[0]?.includes('$deltatoken='), 'the stored delta link is used')
  const memberCalls = e.log.filter(p => p.includes('/memberOf')).map(p => p.split('/')[3])
  assert.deepEqual(memberCalls.sort(), ['u002', 'u006'], 'memberships read for the changed users only')
  // Nothing changed: the same set again, without any per-user call; the fixed cost of a run is the
  // two delta rounds and one appRoleAssignedTo read per application some user has a role of.
  e.resetCounters()
  const same = await entra.collect()
  assert.deepEqual(same.persons, r.persons)
  // + the audit log (initiatedBy) and the application's name for user.roles.<object id> rules
  assert.deepEqual(e.log.map(p => p.split('?')[0]), ['/v1.0/users/delta', '/v1.0/auditLogs/directoryAudits', '/v1.0/groups/delta', `/v1.0/servicePrincipals/${APP}/appRoleAssignedTo`, `/v1.0/servicePrincipals/${APP}`])
})

test('an expired delta link (410 Gone or 400 syncStateNotFound) falls back to a full read', async () => {
  for (const mode of [410, 400] as const) {
    const e = await emulator()
    const log = createMemoryLogger()
    const entra = createEntraCollector(section(e), { log })
    await entra.collect()
    e.removeUser('u005')
    e.expireDeltaLinks(mode)
    const r = await entra.collect()
    assert.equal(r.info?.mode, 'full', `mode ${mode}`)
    assert.match(r.info?.fullReason ?? '', mode === 410 ? /410/ : /syncStateNotFound/)
    assert.equal(r.complete, true)
    assert.deepEqual(r.persons.map(p => p.id), ['u001', 'u002', 'u003', 'u004'])
    assert.ok(log.lines.some(l => l.level === 'warn' && /delta link no longer valid/.test(l.message)))
    const again = await entra.collect()
    assert.equal(again.info?.mode, 'delta', 'the new delta link is used afterwards')
  }
})

test('do_initial_load reads everything once although a delta link is stored, then goes incremental', async () => {
  const e = await emulator()
  const dir = await tempDir()
  await createEntraCollector(section(e), { log: silentLogger, stateDir: dir, tenant: 'contoso' }).collect()
  const entra = createEntraCollector(section(e, { do_initial_load: true }), { log: silentLogger, stateDir: dir, tenant: 'contoso' })
  assert.equal((await entra.collect()).info?.mode, 'full')
  assert.equal((await entra.collect()).info?.mode, 'delta')
})

test('the delta link and users are kept in <state dir>/<tenant>.entra.jsonl across instances; a changed select means a full read', async () => {
  const e = await emulator()
  const dir = await tempDir()
  await createEntraCollector(section(e), { log: silentLogger, stateDir: dir, tenant: 'contoso' }).collect()
  const text = await readFile(join(dir, 'contoso.entra.jsonl'), 'utf8')
  assert.match(text.split('\n')[0] ?? '', /"deltaLink":"http:\/\/127\.0\.0\.1:\d+\/v1\.0\/users\/delta\?\$deltatoken=/)
  assert.equal(text.trim().split('\n').length, 6)
  e.setUser({ id: 'u001', surname: 'Changed' })
  const next = await createEntraCollector(section(e), { log: silentLogger, stateDir: dir, tenant: 'contoso' }).collect()
  assert.equal(next.info?.mode, 'delta')
  assert.equal(next.persons.length, 5)
  assert.equal(next.persons[0]?.surname, 'Changed')
  const other = await createEntraCollector(section(e, { select: ['userPrincipalName', 'mail'] }), { log: silentLogger, stateDir: dir, tenant: 'contoso' }).collect()
  assert.equal(other.info?.mode, 'full')
})

test('client credentials: token cached across runs, renewed after a 401; a wrong secret is a clear error that never shows the secret', async () => {
  const e = await emulator()
  const entra = createEntraCollector(section(e), { log: silentLogger })
  await entra.collect()
  await entra.collect()
  assert.equal(e.tokenRequests, 1)
  e.revokeTokens()
  await entra.collect()
  assert.equal(e.tokenRequests, 2, 'one new token after the 401')

  const log = createMemoryLogger()
  const bad = createEntraCollector(section(e, {}, 'Sup3r-S3cret-value'), { log, tenant: 'contoso' })
  await assert.rejects(bad.collect(), (err: Error) => {
    assert.ok(isRestError(err) && err.kind === 'auth', String(err))
    assert.match(err.message, /invalid_client: AADSTS7000215/)
    assert.match(err.message, /client_secret/)
    assert.ok(!err.message.includes('Sup3r-S3cret-value'))
    return true
  })
  assert.ok(!JSON.stringify(log.lines).includes('Sup3r-S3cret-value'))
})

test('429 and 503 honour Retry-After with bounded retries; no token or secret in the log lines', async () => {
  const e = await emulator()
  const log = createMemoryLogger()
  const waits: number[] = []
  const entra = createEntraCollector(section(e, { max_retries: 2 }), { log, sleep: async (ms) => { waits.push(ms) } })
  e.throttle(2, 7)
  const r = await entra.collect()
  assert.equal(r.persons.length, 5)
  assert.equal(waits.length, 2)
  assert.ok(waits.every(w => w >= 7000 && w <= 7700), `Retry-After plus at most 10 % jitter: ${waits.join(', ')}`)
  assert.equal(log.lines.filter(l => /answered 429; retry/.test(l.message)).length, 2)
  assert.ok(!JSON.stringify(log.lines).includes('secret-1'))
  assert.ok(!/eyJ0eXAi/.test(JSON.stringify(log.lines)), 'no access token logged')

  e.throttle(3, 1, 503)
  await assert.rejects(entra.collect(), (err: Error) => isRestError(err) && err.status === 503)
})

test('per-user requests stay within max_concurrency', async () => {
  const many = people(40)
  const e = await emulator({ users: many, pageSize: 100, delayMs: 15 })
  const r = await createEntraCollector(section(e, { max_concurrency: 3 }), { log: silentLogger, sleep: noSleep }).collect()
  assert.equal(r.persons.length, 40)
  assert.ok(e.maxConcurrent <= 3, `at most 3 requests at once, saw ${e.maxConcurrent}`)
  assert.ok(e.maxConcurrent >= 2, 'requests do overlap')
})

test('an aborted run stores nothing: the next run repeats the same round', async () => {
  const e = await emulator()
  const entra = createEntraCollector(section(e), { log: silentLogger })
  const ctl = new AbortController()
  const s = entra.stream(ctl.signal)
  for await (const _ of s.persons) { ctl.abort(); break }
  assert.equal(s.complete(), false)
  assert.equal((await entra.collect()).info?.mode, 'full')
})

test('config: every problem with its path', () => {
  assert.throws(() => parseEntraConfig({ auth: { tenant_id: 't', client_id: '', graph_url: 'ftp://x' }, general: { select: ['id', 'manager', 3], group_membership: 'all', max_concurrency: 0 } }), (err: Error) => {
    assert.ok(err instanceof EntraConfigError)
    assert.deepEqual(err.problems.map(p => p.path), ['auth.client_id', 'auth.client_secret', 'auth.graph_url', 'general.select[1]', 'general.select[2]', 'general.group_membership', 'general.max_concurrency'])
    return true
  })
  assert.throws(() => parseEntraConfig({ auth: { tenant_id: 't', client_id: 'c', client_secret: 's' }, general: { app_role_resources: ['payroll', 7] } }), (err: Error) => {
    assert.deepEqual((err as EntraConfigError).problems.map(p => p.path), ['general.app_role_resources[0]', 'general.app_role_resources[1]'])
    return true
  })
  assert.throws(() => parseEntraConfig({ auth: { tenant_id: 't', client_id: 'c', client_secret: 's' }, general: { app_role_resources: { a: 1 } } }), /general\.app_role_resources: must be a list/)
  const roles = parseEntraConfig({ auth: { tenant_id: 't', client_id: 'c', client_secret: 's' }, general: { app_role_resources: '6E7B768E-0000-4000-8000-000000000001, 6e7b768e-0000-4000-8000-000000000001,bbbbbbbb-0000-4000-8000-000000000002' } })
  assert.deepEqual(roles.general.app_role_resources, ['6E7B768E-0000-4000-8000-000000000001', 'bbbbbbbb-0000-4000-8000-000000000002'])
  const ok = parseEntraConfig({ auth: { tenant_id: 't', client_id: 'c', client_secret: 's' }, general: { select: 'mail, userPrincipalName' } })
  assert.equal(ok.auth.login_url, 'https://login.microsoftonline.com')
  assert.equal(ok.auth.graph_url, 'https://graph.microsoft.com')
  assert.deepEqual(ok.general.select, ['id', 'mail', 'userPrincipalName', 'userType'])
  assert.equal(ok.general.max_concurrency, 8)
  assert.deepEqual(ok.general.app_role_resources, [])
})

async function tempDir (): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'entra-collector-'))
  dirs.push(d)
  return d
}

test('service hook: an entra section without auth is not collected; a partial auth lists its problems with full paths', async () => {
  const { entraConfigProblems } = await import('./definition.ts')
  const { defaultSources } = await import('../registry.ts')
  assert.deepEqual(entraConfigProblems('entra.acme', { auth: {} }), [])
  const handle = defaultSources('acme', 'entra', { auth: {}, general: {} } as never, silentLogger)
  assert.match(handle.unavailable ?? '', /no auth configured/)
  assert.deepEqual(entraConfigProblems('entra.acme', { auth: { tenant_id: 't' } }).map(p => p.path), ['entra.acme.auth.client_id', 'entra.acme.auth.client_secret'])
  const e = await emulator()
  const collecting = defaultSources('contoso', 'entra', section(e) as never, silentLogger, {})
  assert.equal(collecting.unavailable, undefined)
  const run = collecting.collect(new AbortController().signal)
  let n = 0
  for await (const _ of run.persons) n++
  assert.equal(n, 5)
  assert.equal(run.complete(), true)
})

/** These tests follow groups by id: the documented default (value = displayName) is tested in options.test.ts. */
function withIds (general: Record<string, unknown>): Record<string, unknown> {
  return { ...general, entra: { use_original_group_id: true, ...(general.entra as Record<string, unknown> | undefined) } }
}
