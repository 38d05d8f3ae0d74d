// SCIM Stream end to end with the real Entra collector: the Graph emulator (real HTTP) → the service
// in process (default sources, builtin nats-server child) → a contract-checking JetStream subscriber
// on ENTRA.>. Full load: createUser per user with the groups/roles the channel rule selects; a change
// in the directory → one modifyUser with the right Operations (read through the stored delta link);
// group membership and app role changes without any user property change (groups/delta,
// appRoleAssignedTo) → one modifyUser with per-element group/role Operations; a role granted to a
// group → one modifyUser adding it for each of its members; a removed user →
// deleteUser; the client secret is encrypted in the config file.
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { readdir, readFile, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { startService, type StreamService } from '../../lib/collector/service.ts'
import { createMemoryLogger } from '../../lib/logging/index.ts'
import { startGraphEmulator, type GraphEmulator } from '../support/graph-emulator.ts'
import { freePort, makeWorkDir, subscribe, writeConfig, type ContractSubscriber, type Received } from './support.ts'

const APP = 'sp-payroll'
const ROLE_ADMIN = 'aaaaaaaa-0000-0000-0000-000000000001'
const ROLE_USER = 'aaaaaaaa-0000-0000-0000-000000000002'
const ROLE_AUDIT = 'aaaaaaaa-0000-0000-0000-000000000003'

describe('SCIM Stream with the Entra collector (Graph emulator, builtin NATS)', () => {
  let dir: string
  let file: string
  let graph: GraphEmulator
  let svc: StreamService | undefined
  let sub: ContractSubscriber
  const log = createMemoryLogger()

  before(async () => {
    dir = await makeWorkDir()
    graph = await startGraphEmulator({
      pageSize: 2,
      users: [
        { id: 'u1', userPrincipalName: 'ann@contoso.test', givenName: 'Ann', surname: 'Able', jobTitle: 'Analyst', accountEnabled: true },
        { id: 'u2', userPrincipalName: 'bob@contoso.test', givenName: 'Bob', surname: 'Baker', jobTitle: 'Buyer', accountEnabled: true },
        { id: 'u3', userPrincipalName: 'cy@contoso.test', givenName: 'Cy', surname: 'Cole', accountEnabled: true }
      ],
      groups: [
        { id: 'g-app-a', displayName: 'App_A', members: ['u1', 'u2'] },
        { id: 'g-staff', displayName: 'Staff', members: ['u1', 'u2', 'u3'] },
        { id: 'g-app-b', displayName: 'App_B', members: [] }
      ],
      servicePrincipals: [{ id: APP, displayName: 'Payroll', appRoles: [{ id: ROLE_ADMIN, displayName: 'Admin', value: 'payroll.admin' }, { id: ROLE_USER, displayName: 'User', value: 'payroll.user' }, { id: ROLE_AUDIT, displayName: 'Audit', value: 'payroll.audit' }] }],
      assignments: [{ userId: 'u1', resourceId: APP, appRoleId: ROLE_ADMIN }]
    })
    file = await writeConfig(dir, `# e2e
entra:
  contoso:
    auth:
      tenant_id: "${graph.tenantId}"
      client_id: app-1
      client_secret: secret-1
      login_url: ${graph.url}
      graph_url: ${graph.url}
    general:
      collect_interval: 3600
      max_concurrency: 4
    mapper:
      user:
        - { source: id, map_to: externalId }
        - { source: userPrincipalName, map_to: userName }
        - { source: givenName, map_to: name.givenName }
        - { source: surname, map_to: name.familyName }
        - { source: jobTitle, map_to: title }
        - { source: accountEnabled, map_to: active }
        - { source: memberOf, map_to: groups }
        - { source: appRoles, map_to: roles }
    streams:
      - channel: APPS
        comment: App_ groups and Payroll roles only, for users that have any
        rules:
          - filter: '(user.groups.display -match "^App_")'
          - filter: '(user.roles.Payroll.value -match "^payroll\\.")'
nats:
  server:
    host: 127.0.0.1
    port: ${await freePort()}
log:
  console: false
`)
    svc = await startService({ configFile: file, log, runAtStart: false, watch: false, env: { ...process.env, SEED: 'entra-e2e' } })
    const nats = svc.nats.builtin
    assert.ok(nats !== undefined)
    sub = await subscribe(nats, 'contoso', 'entra', 'ENTRA.>')
  })

  after(async () => {
    await sub?.close()
    await svc?.stop()
    await graph?.stop()
    await rm(dir, { recursive: true, force: true })
  })

  it('full load: createUser for each qualifying user with only the selected groups and roles; secret encrypted in place', async () => {
    const stats = await (svc as StreamService).runNow('contoso')
    assert.equal(stats.persons, 3)
    const got = await sub.take({ expectAtLeast: 2 })
    assert.deepEqual(got.map(m => [m.subject, m.body.activityOperation, m.body.targetUpn]).sort(), [
      ['ENTRA.APPS', 'createUser', 'ann@contoso.test'],
      ['ENTRA.APPS', 'createUser', 'bob@contoso.test']
    ])
    const ann = byUpn(got, 'ann@contoso.test')
    assert.equal(ann.body.targetId, 'u1')
    assert.deepEqual(ann.body.user.groups, [{ value: 'App_A', display: 'App_A' }], 'group value = displayName (use_original_group_id false, the documented default)')
    assert.deepEqual(ann.body.user.roles, [{ type: 'Payroll', display: 'Admin', value: 'payroll.admin' }])
    assert.equal((ann.body.user.name as { givenName?: string }).givenName, 'Ann')
    assert.equal(ann.body.user.active, true)
    assert.ok(!JSON.stringify(byUpn(got, 'bob@contoso.test').body.user.groups).includes('Staff'))
    assert.ok(!(await readFile(file, 'utf8')).includes('secret-1'), 'client_secret encrypted in the file')
    assert.ok((await readdir(join(dir, 'state'))).includes('contoso.entra.jsonl'), 'delta link stored in the state dir')
  })

  it('a change in Entra → one modifyUser with the minimal Operations, read incrementally', async () => {
    graph.setUser({ id: 'u2', jobTitle: 'Head Buyer' })
    graph.resetCounters()
    await (svc as StreamService).runNow('contoso')
    assert.ok(graph.log[0]?.includes('$deltatoken='), 'the stored delta link was used')
    assert.ok(!graph.log.some(p => p.startsWith('/v1.0/users/u1/')), 'unchanged users are not re-read')
    const got = await sub.take({ expectAtLeast: 1, waitMs: 3000 })
    assert.equal(got.length, 1)
    const m = got[0] as Received
    assert.equal(m.body.activityOperation, 'modifyUser')
    assert.equal(m.body.targetUpn, 'bob@contoso.test')
    assert.deepEqual(m.body.Operations, [{ op: 'replace', path: 'title', value: 'Head Buyer' }])
  })

  it('a user added to a group (no property change) → one modifyUser adding the group; removed again → a per-element remove', async () => {
    graph.addMember('g-app-b', 'u2')
    graph.resetCounters()
    const stats = await (svc as StreamService).runNow('contoso')
    assert.equal(stats.persons, 3)
    assert.ok(graph.log.some(p => p.startsWith('/v1.0/groups/delta?$deltatoken=')), 'the stored groups delta link was used')
    assert.deepEqual(graph.log.filter(p => p.startsWith('/v1.0/users/') && !p.startsWith('/v1.0/users/delta')).map(p => p.split('?')[0]), ['/v1.0/users/u2/memberOf'], 'only bob is read again')
    const added = await sub.take({ expectAtLeast: 1, waitMs: 3000 })
    assert.equal(added.length, 1)
    const a = added[0] as Received
    assert.equal(a.body.activityOperation, 'modifyUser')
    assert.equal(a.body.targetUpn, 'bob@contoso.test')
    assert.deepEqual(a.body.Operations, [{ op: 'add', path: 'groups', value: [{ value: 'App_B', display: 'App_B' }] }])

    graph.removeMember('g-app-b', 'u2')
    await (svc as StreamService).runNow('contoso')
    const removed = await sub.take({ expectAtLeast: 1, waitMs: 3000 })
    assert.equal(removed.length, 1)
    const r = removed[0] as Received
    assert.equal(r.body.activityOperation, 'modifyUser')
    assert.equal(r.body.targetUpn, 'bob@contoso.test')
    assert.deepEqual(r.body.Operations, [{ op: 'remove', path: 'groups[value eq "App_B"]' }])
  })

  it('an app role granted in Entra (no property change) → one modifyUser adding the role', async () => {
    graph.assign({ userId: 'u2', resourceId: APP, appRoleId: ROLE_USER })
    graph.resetCounters()
    await (svc as StreamService).runNow('contoso')
    assert.ok(graph.log.some(p => p.startsWith(`/v1.0/servicePrincipals/${APP}/appRoleAssignedTo`)), 'the application\'s assignments were compared')
    const got = await sub.take({ expectAtLeast: 1, waitMs: 3000 })
    assert.equal(got.length, 1)
    const m = got[0] as Received
    assert.equal(m.body.activityOperation, 'modifyUser')
    assert.equal(m.body.targetUpn, 'bob@contoso.test')
    assert.deepEqual(m.body.Operations, [{ op: 'add', path: 'roles', value: [{ type: 'Payroll', display: 'User', value: 'payroll.user' }] }])
  })

  it('an app role granted to a group → one modifyUser adding the role for each of its members', async () => {
    graph.assign({ userId: 'g-app-a', resourceId: APP, appRoleId: ROLE_AUDIT, principalType: 'Group' })
    graph.resetCounters()
    await (svc as StreamService).runNow('contoso')
    assert.ok(!graph.log.some(p => /^\/v1\.0\/users\/u\d\//.test(p)), 'no per-user request: the group\'s members are stored')
    const got = await sub.take({ expectAtLeast: 2, waitMs: 3000 })
    assert.deepEqual(got.map(m => [m.body.activityOperation, m.body.targetUpn]).sort(), [['modifyUser', 'ann@contoso.test'], ['modifyUser', 'bob@contoso.test']])
    for (const m of got) assert.deepEqual(m.body.Operations, [{ op: 'add', path: 'roles', value: [{ type: 'Payroll', display: 'Audit', value: 'payroll.audit' }] }], m.body.targetUpn as string)
  })

  it('a user removed in Entra → deleteUser; nobody else is touched', async () => {
    graph.removeUser('u1')
    const stats = await (svc as StreamService).runNow('contoso')
    assert.equal(stats.deletionSkipped, false)
    const got = await sub.take({ expectAtLeast: 1, waitMs: 3000 })
    assert.deepEqual(got.map(m => [m.body.activityOperation, m.body.targetUpn, m.body.targetId]), [['deleteUser', 'ann@contoso.test', 'u1']])
  })
})

function byUpn (got: Received[], upn: string): Received {
  const m = got.find(r => r.body.targetUpn === upn)
  assert.ok(m !== undefined, `a message for ${upn}`)
  return m
}
