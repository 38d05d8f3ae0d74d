// plugin-entra-id IGA access packages (endpoint.map.user.entitlements) end to end: a real gateway over
// HTTP in front of the Graph emulator's entitlement management (test/support/graph-iga.ts). A user's
// `entitlements` = licences (type "license", read-only) + access packages (type "AccessPackage");
// package writes become adminAdd / adminRemove assignment requests; GET /Entitlements lists both.
// The real Microsoft Graph is not reachable here: everything runs against the emulator.
import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { tmpdir } from 'node:os'
import { createEntraIdPlugin, entraEndpointSchema } from '../../lib/plugins/plugin-entra-id.ts'
import { validate } from '../../lib/config/schema.ts'
import { silentLogger } from '../../lib/logging/types.ts'
import { basicAuthenticator } from '../../lib/auth/index.ts'
import { startGraphEmulator, type GraphEmulator } from '../support/graph-emulator.ts'
import { startTestGateway, type TestGateway } from '../support/gateway.ts'

const CLIENT = { client_id: 'app-1', client_secret: 'secret-1' }
const USER = 'urn:ietf:params:scim:schemas:core:2.0:User'
const PATCH = 'urn:ietf:params:scim:api:messages:2.0:PatchOp'
const h = { authorization: `Basic ${Buffer.from('gw:pw').toString('base64')}`, 'content-type': 'application/scim+json' }
const PKG = {
  sales: { id: 'a914b616-e04e-476b-aa37-91038f0b165b', displayName: 'Sales Access', policies: [{ id: '2264bf65-76ba-417b-a27d-54d291f0cbc8', displayName: 'Admin direct' }, { id: '2264bf65-76ba-417b-a27d-54d291f0cbc9', displayName: 'Self service' }] },
  finance: { id: 'b914b616-e04e-476b-aa37-91038f0b165b', displayName: 'Finance Reports', policies: [{ id: '3264bf65-76ba-417b-a27d-54d291f0cbc8', displayName: 'Admin direct' }] },
  empty: { id: 'c914b616-e04e-476b-aa37-91038f0b165b', displayName: 'No Policy Yet', policies: [] }
}
const SKU = { skuId: '18181a46-0d4e-45cd-891e-60aabd171b4e', skuPartNumber: 'STANDARDPACK' }

interface Ent { value: string, display?: string, type?: string }
const names = (e: Ent[] | undefined): string[] => (e ?? []).map(x => `${x.value}/${x.type ?? ''}`).sort()

describe('plugin-entra-id with map.user.entitlements: access packages over SCIM HTTP', () => {
  let graph: GraphEmulator
  let gw: TestGateway
  const req = async (method: string, path: string, body?: unknown): Promise<{ status: number, body: Record<string, unknown> }> => {
    const res = await fetch(`${gw.url}${path}`, { method, headers: h, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) })
    const text = await res.text()
    return { status: res.status, body: text === '' ? {} : JSON.parse(text) as Record<string, unknown> }
  }
  const entsOf = async (id: string): Promise<Ent[] | undefined> => (await req('GET', `/Users/${id}`)).body.entitlements as Ent[] | undefined
  const held = (id: string): string[] => graph.iga.assignments(id).map(a => `${a.accessPackageId}/${a.assignmentPolicyId}/${a.state}`).sort()
  const ok = (r: { status: number, body: unknown }): void => { assert.ok(r.status === 200 || r.status === 204, `${r.status} ${JSON.stringify(r.body)}`) }

  before(async () => {
    graph = await startGraphEmulator({ clients: [CLIENT] })
    for (const p of Object.values(PKG)) graph.iga.setPackage(p)
    graph.writes.setSkus([SKU])
    const r = validate(entraEndpointSchema, {
      map: { user: { entitlements: { mapTo: 'entitlements', type: 'array' } } },
      entity: { undefined: { connection: { baseUrls: [`${graph.url}/v1.0`], auth: { type: 'oauth', options: { azureTenantId: graph.tenantId, loginUrl: graph.url, clientId: CLIENT.client_id, clientSecret: CLIENT.client_secret } }, retry: { baseDelayMs: 1, maxDelayMs: 20 } }, userNameDomain: 'contoso.test' } }
    })
    assert.ok(r.ok, JSON.stringify(r.ok ? '' : r.errors))
    gw = await startTestGateway({ plugin: createEntraIdPlugin(r.value, { configDir: tmpdir(), log: silentLogger }), options: { authenticators: [basicAuthenticator([{ username: 'gw', password: 'pw' }])] } })
  })
  after(async () => { await gw.stop(); await graph.stop() })

  it('GET /Entitlements lists the licences and the access packages', async () => {
    const r = await req('GET', '/Entitlements')
    assert.equal(r.status, 200, JSON.stringify(r.body))
    assert.deepEqual(names(r.body.Resources as Ent[]), ['Finance Reports/AccessPackage', 'No Policy Yet/AccessPackage', 'STANDARDPACK/license', 'Sales Access/AccessPackage'])
    assert.equal((r.body.Resources as Array<{ id: string, value: string }>).find(x => x.value === 'Sales Access')?.id, PKG.sales.id)
  })

  it('create with an access package → adminAdd with the package\'s first policy; read back next to the licences', async () => {
    const created = await req('POST', '/Users', { schemas: [USER], userName: 'iga.user', entitlements: [{ value: 'sales access', type: 'AccessPackage' }] })
    assert.equal(created.status, 201, JSON.stringify(created.body))
    const id = String(created.body.id)
    assert.deepEqual(held(id), [`${PKG.sales.id}/${PKG.sales.policies[0]?.id ?? ''}/delivered`])
    assert.deepEqual(names(created.body.entitlements as Ent[]), ['Sales Access/AccessPackage'])
    graph.writes.setLicenses(id, [SKU.skuId])
    assert.deepEqual(names(await entsOf(id)), ['STANDARDPACK/license', 'Sales Access/AccessPackage'])
    // an element without type is an access package; a package named by its id works too
    const byId = await req('POST', '/Users', { schemas: [USER], userName: 'iga.byid', entitlements: [{ value: PKG.finance.id }] })
    assert.equal(byId.status, 201, JSON.stringify(byId.body))
    assert.deepEqual(names(await entsOf(String(byId.body.id))), ['Finance Reports/AccessPackage'])
  })

  it('PATCH add, remove by filter path and by value list; the licences stay', async () => {
    const id = String((await req('POST', '/Users', { schemas: [USER], userName: 'iga.patch' })).body.id)
    graph.writes.setLicenses(id, [SKU.skuId])
    ok(await req('PATCH', `/Users/${id}`, { schemas: [PATCH], Operations: [{ op: 'add', path: 'entitlements', value: [{ value: 'Sales Access', type: 'AccessPackage' }, { value: 'Finance Reports', type: 'AccessPackage' }] }] }))
    assert.deepEqual(names(await entsOf(id)), ['Finance Reports/AccessPackage', 'STANDARDPACK/license', 'Sales Access/AccessPackage'])
    const before = graph.iga.requests
    ok(await req('PATCH', `/Users/${id}`, { schemas: [PATCH], Operations: [{ op: 'remove', path: 'entitlements[value eq "Sales Access"]' }] }))
    assert.equal(graph.iga.requests - before, 1, 'one adminRemove, nothing else')
    assert.deepEqual(names(await entsOf(id)), ['Finance Reports/AccessPackage', 'STANDARDPACK/license'])
    ok(await req('PATCH', `/Users/${id}`, { schemas: [PATCH], Operations: [{ op: 'remove', path: 'entitlements', value: [{ value: 'Finance Reports', type: 'AccessPackage' }] }] }))
    assert.deepEqual(names(await entsOf(id)), ['STANDARDPACK/license'])
    assert.deepEqual(held(id), [])
  })

  it('licences are read-only: adding or removing one is a 400 mutability and nothing changes', async () => {
    const id = String((await req('POST', '/Users', { schemas: [USER], userName: 'iga.lic', entitlements: [{ value: 'Sales Access' }] })).body.id)
    graph.writes.setLicenses(id, [SKU.skuId])
    const add = await req('PATCH', `/Users/${id}`, { schemas: [PATCH], Operations: [{ op: 'add', path: 'entitlements', value: [{ value: 'ENTERPRISEPREMIUM', type: 'license' }, { value: 'Finance Reports', type: 'AccessPackage' }] }] })
    assert.equal(add.status, 400)
    assert.equal(add.body.scimType, 'mutability')
    assert.match(String(add.body.detail), /licences \(type "license"\) are read-only.*only access packages/)
    const remove = await req('PATCH', `/Users/${id}`, { schemas: [PATCH], Operations: [{ op: 'remove', path: 'entitlements[type eq "license"]' }] })
    assert.equal(remove.status, 400)
    assert.equal(remove.body.scimType, 'mutability')
    assert.deepEqual(held(id), [`${PKG.sales.id}/${PKG.sales.policies[0]?.id ?? ''}/delivered`], 'no package change went out either')
    const create = await req('POST', '/Users', { schemas: [USER], userName: 'iga.lic2', entitlements: [{ value: 'STANDARDPACK', type: 'license' }] })
    assert.equal(create.status, 400)
    assert.equal(create.body.scimType, 'mutability')
  })

  it('errors: unknown package → 400 naming it (user not created); a package without policy → 400', async () => {
    const bad = await req('POST', '/Users', { schemas: [USER], userName: 'iga.bad', entitlements: [{ value: 'Moon Base', type: 'AccessPackage' }] })
    assert.equal(bad.status, 400)
    assert.match(String(bad.body.detail), /"Moon Base" is not an access package.*GET \/Entitlements/)
    assert.equal((await req('GET', `/Users?filter=${encodeURIComponent('userName eq "iga.bad"')}`)).body.totalResults, 0)
    const id = String((await req('POST', '/Users', { schemas: [USER], userName: 'iga.nopol' })).body.id)
    const nopol = await req('PATCH', `/Users/${id}`, { schemas: [PATCH], Operations: [{ op: 'add', path: 'entitlements', value: [{ value: 'No Policy Yet' }] }] })
    assert.equal(nopol.status, 400)
    assert.match(String(nopol.body.detail), /"No Policy Yet" has no assignment policy/)
    assert.deepEqual(held(id), [])
  })

  it('an assignment still being delivered counts as held (not requested again); an expired one is not shown', async () => {
    const id = String((await req('POST', '/Users', { schemas: [USER], userName: 'iga.states' })).body.id)
    graph.iga.seed({ targetId: id, accessPackageId: PKG.sales.id, assignmentPolicyId: PKG.sales.policies[0]?.id ?? '', state: 'delivering' })
    graph.iga.seed({ targetId: id, accessPackageId: PKG.finance.id, assignmentPolicyId: PKG.finance.policies[0]?.id ?? '', state: 'expired' })
    assert.deepEqual(names(await entsOf(id)), ['Sales Access/AccessPackage'])
    const before = graph.iga.requests
    ok(await req('PATCH', `/Users/${id}`, { schemas: [PATCH], Operations: [{ op: 'add', path: 'entitlements', value: [{ value: 'Sales Access' }, { value: 'Finance Reports' }] }] }))
    assert.equal(graph.iga.requests - before, 1, 'only Finance Reports was requested')
    assert.deepEqual(names(await entsOf(id)), ['Finance Reports/AccessPackage', 'Sales Access/AccessPackage'])
  })
})
