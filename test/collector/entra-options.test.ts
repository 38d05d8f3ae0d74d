// The Entra tenant configured in the documented shape, end to end (Graph emulator → service with the
// builtin nats-server → JetStream subscriber): auth.oauth.clients[] with general.entra.tenant_id,
// guests and skip_upn_startswith users not published, group values as display names, and
// do_initial_load_filter — set on a running service (hot reload), it republishes exactly the users
// the filter holds for, then is written back as null; an invalid filter is refused with its path.
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { readFile, rm, writeFile } from 'node:fs/promises'
import { startService, type StreamService } from '../../lib/collector/service.ts'
import { loadStreamConfig } from '../../lib/collector/config.ts'
import { createMemoryLogger } from '../../lib/logging/index.ts'
import { startGraphEmulator, type GraphEmulator } from '../support/graph-emulator.ts'
import { freePort, makeWorkDir, subscribe, waitFor, writeConfig, type ContractSubscriber } from './support.ts'

describe('Entra tenant in the documented shape (Graph emulator, builtin NATS)', () => {
  let dir: string
  let file: string
  let graph: GraphEmulator
  let svc: StreamService | undefined
  let sub: ContractSubscriber

  before(async () => {
    dir = await makeWorkDir()
    graph = await startGraphEmulator({
      clients: [{ client_id: 'app-1', client_secret: 'secret-1' }, { client_id: 'app-2', client_secret: 'secret-2' }],
      users: [
        { id: 'u1', userPrincipalName: 'ann@contoso.test', userType: 'Member', jobTitle: 'Consultant', accountEnabled: true },
        { id: 'u2', userPrincipalName: 'bob@contoso.test', userType: 'Member', jobTitle: 'Buyer', accountEnabled: true },
        { id: 'u3', userPrincipalName: 'svc-sync@contoso.test', userType: 'Member', accountEnabled: true },
        { id: 'u4', userPrincipalName: 'eve_fabrikam.test#EXT#@contoso.test', userType: 'Guest', accountEnabled: true }
      ],
      groups: [{ id: 'g-emp', displayName: 'Employees', members: ['u1', 'u2', 'u4'] }]
    })
    file = await writeConfig(dir, `entra:
  contoso:
    auth:
      oauth:
        clients:
          - client_id: app-1
            client_secret: secret-1
          - client_id: app-2
            client_secret: secret-2
      login_url: ${graph.url}
      graph_url: ${graph.url}
    general:
      collect_interval: 3600
      do_initial_load_filter: null
      entra:
        include_guest_users: false
        skip_upn_startswith: [svc]
        tenant_id: "${graph.tenantId}"
    streams:
      - channel: ALL
        comment: everyone
        rules:
          - filter: (.*)
    mapper:
      user:
        - { source: id, map_to: externalId }
        - { source: userPrincipalName, map_to: userName }
        - { source: jobTitle, map_to: title }
        - { source: memberOf, map_to: groups }
nats:
  server:
    host: 127.0.0.1
    port: ${await freePort()}
log:
  console: false
`)
    svc = await startService({ configFile: file, log: createMemoryLogger(), runAtStart: false, watch: false, env: { ...process.env, SEED: 'entra-options' } })
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

  it('collects with both clients; guests and skipped UPNs are not published; groups by display name', async () => {
    await (svc as StreamService).runNow('contoso')
    const got = await sub.take({ expectAtLeast: 2 })
    assert.deepEqual(got.map(m => [m.body.activityOperation, m.body.targetUpn]).sort(), [['createUser', 'ann@contoso.test'], ['createUser', 'bob@contoso.test']])
    assert.deepEqual(got[0]?.body.user.groups, [{ value: 'Employees', display: 'Employees' }])
    assert.ok((graph.requestsByClient.get('app-1') ?? 0) > 0 && (graph.requestsByClient.get('app-2') ?? 0) > 0, 'round-robin over the clients')
    const text = await readFile(file, 'utf8')
    assert.ok(!text.includes('secret-1') && !text.includes('secret-2'), 'client secrets encrypted in place')
  })

  it('do_initial_load_filter: only the matching users are republished, then the key is set back to null', async () => {
    const text = await readFile(file, 'utf8')
    await writeFile(file, text.replace('do_initial_load_filter: null', 'do_initial_load_filter: (user.title -match "Consult.*")'))
    assert.equal(await (svc as StreamService).reload(), true)
    await waitFor(async () => (await readFile(file, 'utf8')).includes('do_initial_load_filter: null') ? true : undefined, 'the filter written back as null')
    const got = await sub.take({ expectAtLeast: 1, waitMs: 3000 })
    assert.deepEqual(got.map(m => [m.body.activityOperation, m.body.targetUpn]), [['createUser', 'ann@contoso.test']])
    assert.equal(await (svc as StreamService).reload(), true)
    await (svc as StreamService).runNow('contoso')
    assert.deepEqual(await sub.take({ waitMs: 1500 }), [], 'the next run republishes nobody')
  })

  it('an invalid do_initial_load_filter is refused with its path', async () => {
    const bad = await writeConfig(dir, (await readFile(file, 'utf8')).replace('do_initial_load_filter: null', 'do_initial_load_filter: (user.title -matches "x")'), 'bad.yaml')
    await assert.rejects(loadStreamConfig(bad, { encryptInPlace: false, env: { SEED: 'entra-options' } }), /entra\.contoso\.general\.do_initial_load_filter/)
  })
})
