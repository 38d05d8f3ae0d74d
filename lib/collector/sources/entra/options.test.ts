// The Entra collector's documented options against the Graph emulator over real HTTP:
// auth.oauth.clients[] with general.entra.tenant_id (several app registrations used round-robin, a
// refused one skipped), include_guest_users, skip_upn_startswith, and use_original_group_id (group
// values are display names by default, ids when set).
import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import { silentLogger } from '../../../logging/types.ts'
import { startGraphEmulator, type GraphEmulator } from '../../../../test/support/graph-emulator.ts'
import { createEntraCollector, parseEntraConfig, EntraConfigError } from './index.ts'
import type { JsonObject } from '../../../scim/types.ts'

const emulators: GraphEmulator[] = []
after(async () => { await Promise.all(emulators.map(async e => { await e.stop() })) })

async function emulator (): Promise<GraphEmulator> {
  const e = await startGraphEmulator({
    pageSize: 2,
    clients: [{ client_id: 'app-1', client_secret: 's1' }, { client_id: 'app-2', client_secret: 's2' }, { client_id: 'app-3', client_secret: 's3' }],
    users: [
      { id: 'u1', userPrincipalName: 'ann@contoso.test', userType: 'Member', accountEnabled: true },
      { id: 'u2', userPrincipalName: 'svc-backup@contoso.test', userType: 'Member', accountEnabled: true },
      { id: 'u3', userPrincipalName: 'SVC-print@contoso.test', userType: 'Member', accountEnabled: true },
      { id: 'u4', userPrincipalName: 'guest_fabrikam.test#EXT#@contoso.test', userType: 'Guest', accountEnabled: true },
      { id: 'u5', userPrincipalName: 'bob@contoso.test', userType: 'Member', accountEnabled: true }
    ],
    groups: [{ id: 'g-1', displayName: 'App1_Employees', members: ['u1', 'u4'] }]
  })
  emulators.push(e)
  return e
}

/** The documented shape: clients under auth.oauth, the tenant under general.entra. */
function documented (e: GraphEmulator, entra: Record<string, unknown> = {}, clients = [{ client_id: 'app-1', client_secret: 's1' }, { client_id: 'app-2', client_secret: 's2' }]): Record<string, unknown> {
  return {
    auth: { oauth: { clients }, login_url: e.url, graph_url: e.url },
    general: { collect_interval: 5, entra: { tenant_id: e.tenantId, ...entra } }
  }
}

const upns = (persons: JsonObject[]): string[] => persons.map(p => p.userPrincipalName as string).sort()

test('auth.oauth.clients with general.entra.tenant_id: requests are spread round-robin over the clients', async () => {
  const e = await emulator()
  const entra = createEntraCollector(documented(e, { include_guest_users: true }), { log: silentLogger })
  const r = await entra.collect()
  assert.equal(r.persons.length, 5)
  const a = e.requestsByClient.get('app-1') ?? 0
  const b = e.requestsByClient.get('app-2') ?? 0
  assert.ok(a > 0 && b > 0, `both clients used (${a}/${b})`)
  assert.ok(Math.abs(a - b) <= 1, `evenly spread (${a}/${b})`)
  assert.equal(e.tokenRequests, 2, 'one token per client, cached')
})

test('a client whose secret is refused is skipped; the others carry the load', async () => {
  const e = await emulator()
  const entra = createEntraCollector(documented(e, {}, [{ client_id: 'app-1', client_secret: 'wrong' }, { client_id: 'app-3', client_secret: 's3' }]), { log: silentLogger })
  const r = await entra.collect()
  assert.equal(r.persons.length, 4)
  assert.equal(e.requestsByClient.get('app-1'), undefined)
  assert.ok((e.requestsByClient.get('app-3') ?? 0) > 0)
})

test('every client refused: the run fails with the token endpoint\'s reason', async () => {
  const e = await emulator()
  const entra = createEntraCollector(documented(e, {}, [{ client_id: 'app-1', client_secret: 'x' }, { client_id: 'app-2', client_secret: 'y' }]), { log: silentLogger })
  await assert.rejects(entra.collect(), /AADSTS7000215/)
})

test('include_guest_users: guests are left out by default, collected when true', async () => {
  const e = await emulator()
  const without = await createEntraCollector(documented(e), { log: silentLogger }).collect()
  assert.ok(!upns(without.persons).some(u => u.includes('#EXT#')))
  assert.equal(without.info?.excluded, 1)
  assert.equal(without.complete, true)
  const withGuests = await createEntraCollector(documented(e, { include_guest_users: true }), { log: silentLogger }).collect()
  assert.ok(upns(withGuests.persons).includes('guest_fabrikam.test#EXT#@contoso.test'))
})

test('skip_upn_startswith: users whose UPN starts with a prefix (any case) are not collected', async () => {
  const e = await emulator()
  const r = await createEntraCollector(documented(e, { skip_upn_startswith: ['svc'] }), { log: silentLogger }).collect()
  assert.deepEqual(upns(r.persons), ['ann@contoso.test', 'bob@contoso.test'])
  const str = await createEntraCollector(documented(e, { skip_upn_startswith: 'svc-b, bob' }), { log: silentLogger }).collect()
  assert.deepEqual(upns(str.persons), ['SVC-print@contoso.test', 'ann@contoso.test'])
})

test('use_original_group_id: group value is the displayName by default, the Graph id when true', async () => {
  const e = await emulator()
  const byName = await createEntraCollector(documented(e), { log: silentLogger }).collect()
  const ann = byName.persons.find(p => p.id === 'u1')
  assert.deepEqual(ann?.memberOf, [{ value: 'App1_Employees', display: 'App1_Employees' }])
  assert.deepEqual(ann?.groups, ann?.memberOf, 'also under the documented source name "groups"')
  const byId = await createEntraCollector(documented(e, { use_original_group_id: true }), { log: silentLogger }).collect()
  assert.deepEqual(byId.persons.find(p => p.id === 'u1')?.memberOf, [{ value: 'g-1', display: 'App1_Employees' }])
})

test('config: the documented and the flat shape read alike; mistakes have paths', () => {
  const flat = parseEntraConfig({ auth: { tenant_id: 't', client_id: 'c', client_secret: 's' } })
  const doc = parseEntraConfig({ auth: { oauth: { clients: [{ client_id: 'c', client_secret: 's' }] } }, general: { entra: { tenant_id: 't' } } })
  assert.deepEqual(doc.auth, flat.auth)
  assert.deepEqual(doc.general.skip_upn_startswith, [])
  assert.equal(doc.general.include_guest_users, false)
  assert.equal(doc.general.use_original_group_id, false)
  assert.throws(() => parseEntraConfig({ auth: { oauth: { clients: [{ client_id: 'c' }, 'x'] } }, general: { entra: { include_guest_users: 'yes', skip_upn_startswith: [''] } } }), (err: Error) => {
    assert.ok(err instanceof EntraConfigError)
    assert.deepEqual(err.problems.map(p => p.path), ['general.entra.tenant_id', 'auth.oauth.clients[0].client_secret', 'auth.oauth.clients[1]', 'auth.oauth.clients[1].client_id', 'auth.oauth.clients[1].client_secret', 'general.entra.include_guest_users', 'general.entra.skip_upn_startswith[0]'])
    return true
  })
  assert.throws(() => parseEntraConfig({ auth: { oauth: { clients: [] }, client_id: 'c' }, general: { entra: { tenant_id: 't' } } }), /not both[\s\S]*auth\.oauth\.clients: must be a non-empty list/)
})

test('manager: $expand=manager gives the id; upn and displayName come from the collected users and follow changes', async () => {
  const e = await startGraphEmulator({
    users: [
      { id: 'm1', userPrincipalName: 'boss@contoso.test', displayName: 'The Boss', userType: 'Member' },
      { id: 'm2', userPrincipalName: 'other@contoso.test', displayName: 'Other Boss', userType: 'Member' },
      { id: 'u1', userPrincipalName: 'ann@contoso.test', displayName: 'Ann', userType: 'Member', manager: 'm1' }
    ]
  })
  emulators.push(e)
  const entra = createEntraCollector({ auth: { tenant_id: e.tenantId, client_id: 'app-1', client_secret: 'secret-1', login_url: e.url, graph_url: e.url } }, { log: silentLogger })
  const first = await entra.collect()
  assert.ok(e.log[0]?.includes('$expand=manager'))
  const ann = (r: typeof first): JsonObject | undefined => r.persons.find(p => p.id === 'u1')
  assert.deepEqual(ann(first)?.manager, { id: 'm1', userPrincipalName: 'boss@contoso.test', displayName: 'The Boss' })
  assert.equal(ann(first)?.['@managerId'], undefined, 'no bookkeeping key for the mapper')
  assert.equal(first.persons.find(p => p.id === 'm1')?.manager, undefined)

  e.setUser({ id: 'm1', displayName: 'The Big Boss' })
  const renamed = await entra.collect()
  assert.equal(renamed.info?.mode, 'delta')
  assert.deepEqual(ann(renamed)?.manager, { id: 'm1', userPrincipalName: 'boss@contoso.test', displayName: 'The Big Boss' }, 'the manager\'s rename reaches the report')

  e.setUser({ id: 'u1', manager: 'm2' })
  assert.equal((ann(await entra.collect())?.manager as JsonObject | undefined)?.userPrincipalName, 'other@contoso.test')
  e.setUser({ id: 'u1', manager: null })
  assert.equal(ann(await entra.collect())?.manager, undefined, 'manager removed')
})
