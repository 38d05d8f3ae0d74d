// The Entra collector with the documented mapper and stream-rule forms, end to end: Graph emulator
// (real HTTP, with the directory audit log) → the service in process (builtin nats-server child) →
// a contract-checking subscriber on ENTRA.>. Messages carry the initiator the audit log names (not
// always scim-stream); a rule on initiatedByUpn keeps Entra Connect (Sync_) changes out of the AD
// channel; `user.roles.<Enterprise application object id>` and an unquoted application name with
// spaces select roles; a rule naming the Employees group by its object id matches although the
// published group value is its display name (the documented default); the -exclude modifier provisions group members without the group; the user
// is built by the built-in Entra mapper merged with the tenant's documented-shape entries. Hot
// reload with typos is refused with their paths; the start and the reload say what was translated.
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { readFile, rm, writeFile } from 'node:fs/promises'
import { startService, type StreamService } from '../../lib/collector/service.ts'
import { createMemoryLogger } from '../../lib/logging/index.ts'
import { startGraphEmulator, type GraphEmulator } from '../support/graph-emulator.ts'
import { freePort, makeWorkDir, subscribe, writeConfig, type ContractSubscriber, type Received } from './support.ts'

const APP = 'a12f063b-1c8b-40e0-9988-01b46f478349'
const ROLE_ADMIN = 'bbbbbbbb-0000-0000-0000-000000000001'
const EMPLOYEES = 'dc474382-b3b6-4d7b-a6da-e9721c4ba150'
const ADMIN = { id: '7c1f0f7a-0000-4000-8000-000000000001', upn: 'admin@contoso.test' }
const SYNC = { id: '7c1f0f7a-0000-4000-8000-000000000002', upn: 'Sync_DC01_3f6b@contoso.onmicrosoft.com' }

describe('Entra collector with the documented mapper and rule forms (Graph emulator with audit log, builtin NATS)', () => {
  let dir: string
  let file: string
  let graph: GraphEmulator
  let svc: StreamService | undefined
  let sub: ContractSubscriber
  const log = createMemoryLogger()

  before(async () => {
    dir = await makeWorkDir()
    graph = await startGraphEmulator({
      users: [
        { id: 'u1', userPrincipalName: 'ann@contoso.test', displayName: 'Ann Able', givenName: 'Ann', surname: 'Able', mail: 'ann@contoso.test', jobTitle: 'Analyst', accountEnabled: true },
        { id: 'u2', userPrincipalName: 'bob@contoso.test', displayName: 'Bob Baker', givenName: 'Bob', surname: 'Baker', jobTitle: 'Buyer', accountEnabled: true }
      ],
      groups: [{ id: EMPLOYEES, displayName: 'Employees', members: ['u1', 'u2'] }],
      servicePrincipals: [{ id: APP, displayName: 'Payroll App', appRoles: [{ id: ROLE_ADMIN, displayName: 'Admin', value: 'payroll.admin' }] }],
      assignments: [{ userId: 'u1', resourceId: APP, appRoleId: ROLE_ADMIN }]
    })
    graph.audit({ targetUserIds: ['u1'], initiator: ADMIN, activity: 'Update user' })
    graph.audit({ targetUserIds: ['u2'], initiator: SYNC, activity: 'Update user' })
    file = await writeConfig(dir, config(graph, await freePort()))
    svc = await startService({ configFile: file, log, runAtStart: false, watch: false, env: { ...process.env, SEED: 'documented-entra' } })
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

  it('at start: the translation of the documented mapper and the default-mapper merge are said once each', () => {
    const infos = log.lines.map(l => l.message)
    assert.ok(infos.some(m => m.startsWith('entra.contoso.mapper: documented mapper shape translated: "- <source>: { map_to }" → { source, map_to } ×2')), infos.join('\n'))
    assert.ok(infos.some(m => m.startsWith('entra.contoso.mapper: built-in Entra mapper (31 entries) merged with 3 tenant entries: 1 replace a default, 1 ignored (fixed)')), infos.join('\n'))
    assert.ok(log.lines.some(l => l.level === 'warn' && /entra\.contoso\.mapper\.user\[2\]: "jobTitle" → displayName ignored/.test(l.message)))
  })

  it('full load: initiator from the audit log; Sync_ changes kept out of AD; roles by object id and by spaced name; -exclude', async () => {
    await (svc as StreamService).runNow('contoso')
    const got = await sub.take({ expectAtLeast: 5 })
    const rows = got.map(m => [m.subject, m.body.targetUpn, m.body.initiatedByUpn]).sort()
    assert.deepEqual(rows, [
      ['ENTRA.AD', 'ann@contoso.test', ADMIN.upn],
      ['ENTRA.APP1', 'ann@contoso.test', ADMIN.upn],
      ['ENTRA.PAYROLL', 'ann@contoso.test', ADMIN.upn]
    ].concat([['ENTRA.ALL', 'ann@contoso.test', ADMIN.upn], ['ENTRA.ALL', 'bob@contoso.test', SYNC.upn]]).sort())
    const ad = pick(got, 'ENTRA.AD', 'ann@contoso.test')
    assert.equal(ad.body.initiatedById, ADMIN.id)
    assert.deepEqual(ad.body.user.groups ?? [], [], '-exclude: provisioned for Employees, the group is not sent')
    const app1 = pick(got, 'ENTRA.APP1', 'ann@contoso.test')
    assert.deepEqual(app1.body.user.roles, [{ type: 'Payroll App', display: 'Admin', value: 'payroll.admin' }])
    assert.ok(!JSON.stringify(app1.body).includes('@roleApps'), 'the application map is for the rules only')
    const all = pick(got, 'ENTRA.ALL', 'bob@contoso.test')
    assert.equal(all.body.initiatedById, SYNC.id)
    // the built-in mapper + the tenant's entries
    const ann = pick(got, 'ENTRA.ALL', 'ann@contoso.test').body.user
    assert.equal(ann.externalId, 'u1', 'tenant entry id → externalId replaces mailNickname → externalId')
    assert.deepEqual(ann.name, { givenName: 'Ann', familyName: 'Able', formatted: 'Ann Able' })
    assert.deepEqual(ann.emails, [{ type: 'work', value: 'ann@contoso.test' }])
    assert.equal(ann.displayName, 'Ann Able', 'the fixed displayName entry stays')
    assert.equal(ann.nickName, 'Able, Ann')
    assert.deepEqual(ann.groups, [{ value: 'Employees', display: 'Employees' }], 'group values are display names by default (use_original_group_id false), as documented')
    assert.ok(!JSON.stringify(got.map(m => m.body)).includes(EMPLOYEES), 'the object id is for the rules only')
  })

  it('a change made by Entra Connect sync: the message says so, and AD does not get it back', async () => {
    graph.setUser({ id: 'u1', jobTitle: 'Lead Analyst' })
    graph.audit({ targetUserIds: ['u1'], initiator: SYNC, activity: 'Update user' })
    await (svc as StreamService).runNow('contoso')
    const got = await sub.take({ expectAtLeast: 4, waitMs: 3000 })
    const bySubject = new Map(got.map(m => [m.subject, m]))
    const all = bySubject.get('ENTRA.ALL')
    assert.ok(all !== undefined)
    assert.equal(all.body.activityOperation, 'modifyUser')
    assert.equal(all.body.initiatedByUpn, SYNC.upn)
    assert.deepEqual(all.body.Operations, [{ op: 'replace', path: 'title', value: 'Lead Analyst' }])
    const ad = bySubject.get('ENTRA.AD')
    assert.ok(ad !== undefined, 'the user no longer qualifies for AD (initiated by Sync_): the channel is told')
    assert.equal(ad.body.initiatedByUpn, SYNC.upn)
  })

  it('hot reload with typos is refused with every path and a "did you mean"; the running config stays', async () => {
    const good = await readFile(file, 'utf8')
    await writeFile(file, good.replace('collect_interval: 3600', 'collect_intervall: 3600').replace('map_to: externalId', 'map_to: externalIdd'))
    assert.equal(await (svc as StreamService).reload(), false)
    const rejected = log.lines.filter(l => l.level === 'error' && l.message.startsWith('configuration change rejected')).at(-1)?.message ?? ''
    assert.match(rejected, /entra\.contoso\.general\.collect_intervall: unknown key \(did you mean "collect_interval"\?\)/)
    assert.match(rejected, /entra\.contoso\.mapper\.user\[0\]\.map_to: unknown SCIM attribute "externalIdd" \(did you mean "externalId"\?\)/)
    log.clear()
    await writeFile(file, good)
    assert.equal(await (svc as StreamService).reload(), true)
    assert.ok(log.lines.some(l => l.message.startsWith('entra.contoso.mapper: documented mapper shape translated')), 'said again on reload')
  })
})

function pick (got: Received[], subject: string, upn: string): Received {
  const m = got.find(x => x.subject === subject && x.body.targetUpn === upn)
  assert.ok(m !== undefined, `${subject} for ${upn} in ${JSON.stringify(got.map(x => [x.subject, x.body.targetUpn]))}`)
  return m
}

function config (graph: GraphEmulator, port: number): string {
  return `# documented mapper and rule forms
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
      select: [ id, userPrincipalName, displayName, givenName, surname, mail, jobTitle, accountEnabled ]
      app_role_resources: [ ${APP} ]
    mapper:
      user:
        - id:
            map_to: externalId
        - Join([name.familyName], ", ", [name.givenName]):
            map_to: nickName
        - { source: jobTitle, map_to: displayName }
    streams:
      - channel: APP1
        rules:
          - filter: (user.roles.${APP}.value -match ".*")
      - channel: PAYROLL
        rules:
          - filter: (user.roles.Payroll App.value -match "admin")
      - channel: AD
        rules:
          - filter: (user.groups.value -match "${EMPLOYEES}" -exclude) and (initiatedByUpn -match "(?!Sync_.*)")
      - channel: ALL
        rules:
          - filter: (.*)
nats:
  server:
    host: 127.0.0.1
    port: ${port}
log:
  console: false
`
}
