// plugin-entra-id PIM directory roles (endpoint.map.user.roles) end to end: a real gateway over HTTP
// in front of the Graph emulator's role management (test/support/graph-pim.ts). Users' `roles` are
// `{ value: <role name>, display, type: "Permanent" | "Eligible" }`; writes become adminAssign /
// adminRemove schedule requests; GET /Roles lists the role definitions. Without map.user.roles role
// writes stay refused. The emulator's PIM routes are checked against Graph's documented behaviour
// first. The real Microsoft Graph is not reachable here: everything runs against the emulator.
import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { tmpdir } from 'node:os'
import { createEntraIdPlugin, entraEndpointSchema } from '../../lib/plugins/plugin-entra-id.ts'
import { validate } from '../../lib/config/schema.ts'
import { silentLogger } from '../../lib/logging/types.ts'
import { basicAuthenticator } from '../../lib/auth/index.ts'
import type { ScimPlugin } from '../../lib/plugins/types.ts'
import { startGraphEmulator, type GraphEmulator } from '../support/graph-emulator.ts'
import { startTestGateway, type TestGateway } from '../support/gateway.ts'
import { registerPluginContract } from './contract.ts'

const CLIENT = { client_id: 'app-1', client_secret: 'secret-1' }
const ROLE = {
  globalAdmin: '62e90394-69f5-4237-9190-012177145e10',
  userAdmin: 'fe930be7-5e62-47db-91af-98c3a49a38b1',
  helpdesk: '729827e3-9c14-49f7-bb1b-9608f156bbb8',
  globalReader: 'f2ef992c-3afb-46b9-b7cf-a126ee74c451'
}
const USER = 'urn:ietf:params:scim:schemas:core:2.0:User'
const PATCH = 'urn:ietf:params:scim:api:messages:2.0:PatchOp'
const h = { authorization: `Basic ${Buffer.from('gw:pw').toString('base64')}`, 'content-type': 'application/scim+json' }

interface Role { value: string, display?: string, type?: string }

const PIM_MAP = { user: { roles: { mapTo: 'roles', type: 'array' } } }

function pluginFor (graph: GraphEmulator, map: Record<string, unknown> | undefined, entities = ['undefined']): ScimPlugin {
  const entity = { connection: { baseUrls: [`${graph.url}/v1.0`], auth: { type: 'oauth', options: { azureTenantId: graph.tenantId, loginUrl: graph.url, clientId: CLIENT.client_id, clientSecret: CLIENT.client_secret } }, retry: { baseDelayMs: 1, maxDelayMs: 20 } }, userNameDomain: 'contoso.test' }
  const r = validate(entraEndpointSchema, { ...(map !== undefined ? { map } : {}), entity: Object.fromEntries(entities.map(k => [k, entity])) })
  assert.ok(r.ok, JSON.stringify(r.ok ? '' : r.errors))
  return createEntraIdPlugin(r.value, { configDir: tmpdir(), log: silentLogger })
}

async function gatewayFor (graph: GraphEmulator, map: Record<string, unknown> | undefined): Promise<TestGateway> {
  return await startTestGateway({ plugin: pluginFor(graph, map), options: { authenticators: [basicAuthenticator([{ username: 'gw', password: 'pw' }])] } })
}

// the plugin contract holds with PIM role management on (user reads carry the role instance reads)
registerPluginContract({
  name: 'plugin-entra-id with map.user.roles → Graph emulator',
  factory: async () => {
    const graph = await startGraphEmulator({ clients: [CLIENT] })
    return { plugin: pluginFor(graph, PIM_MAP, ['undefined', 'tenantA']), cleanup: async () => { await graph.stop() } }
  },
  capabilities: {
    baseEntityIsolation: 'every baseEntity here is the same emulated tenant (separate tenants need separate Graph tenants)',
    unknownBaseEntity404: true,
    health: true
  }
})

async function graphToken (graph: GraphEmulator): Promise<string> {
  const res = await fetch(`${graph.url}/${graph.tenantId}/oauth2/v2.0/token`, { method: 'POST', body: new URLSearchParams({ grant_type: 'client_credentials', client_id: CLIENT.client_id, client_secret: CLIENT.client_secret, scope: 'https://graph.microsoft.com/.default' }) })
  return `Bearer ${(await res.json() as { access_token: string }).access_token}`
}

/** Roles as a sorted list of "name/type" for comparisons. */
const names = (roles: Role[] | undefined): string[] => (roles ?? []).map(r => `${r.value}/${r.type ?? ''}`).sort()

describe('Graph emulator: PIM role management as Graph documents it', () => {
  let graph: GraphEmulator
  let auth: string
  let userId: string
  const post = async (kind: 'roleAssignmentScheduleRequests' | 'roleEligibilityScheduleRequests', body: unknown): Promise<{ status: number, body: Record<string, unknown> }> => {
    const res = await fetch(`${graph.url}/v1.0/roleManagement/directory/${kind}`, { method: 'POST', headers: { authorization: auth, 'content-type': 'application/json' }, body: JSON.stringify(body) })
    return { status: res.status, body: await res.json() as Record<string, unknown> }
  }
  const code = (b: Record<string, unknown>): unknown => (b.error as { code?: unknown } | undefined)?.code
  before(async () => {
    graph = await startGraphEmulator({ clients: [CLIENT], users: [{ id: '0b1c2d3e-0000-4000-8000-000000000001', userPrincipalName: 'pim@contoso.test' }] })
    auth = await graphToken(graph)
    userId = '0b1c2d3e-0000-4000-8000-000000000001'
  })
  after(async () => { await graph.stop() })

  it('adminAssign → 201 Provisioned; the same again → 400 RoleAssignmentExists; adminRemove → Revoked; again → 400 RoleAssignmentDoesNotExist', async () => {
    const assign = { action: 'adminAssign', justification: 'test', roleDefinitionId: ROLE.globalReader, directoryScopeId: '/', principalId: userId, scheduleInfo: { startDateTime: new Date().toISOString(), expiration: { type: 'noExpiration' } } }
    const first = await post('roleEligibilityScheduleRequests', assign)
    assert.equal(first.status, 201, JSON.stringify(first.body))
    assert.equal(first.body.status, 'Provisioned')
    const dup = await post('roleEligibilityScheduleRequests', assign)
    assert.equal(dup.status, 400)
    assert.equal(code(dup.body), 'RoleAssignmentExists')
    // the same role as an active assignment is a different thing: allowed
    assert.equal((await post('roleAssignmentScheduleRequests', assign)).status, 201)
    const list = await fetch(`${graph.url}/v1.0/roleManagement/directory/roleEligibilityScheduleInstances?$filter=${encodeURIComponent(`principalId eq '${userId}'`)}`, { headers: { authorization: auth } })
    const inst = (await list.json() as { value: Array<Record<string, unknown>> }).value
    assert.deepEqual(inst.map(i => [i.roleDefinitionId, i.directoryScopeId, i.memberType]), [[ROLE.globalReader, '/', 'Direct']])
    const other = await fetch(`${graph.url}/v1.0/roleManagement/directory/roleEligibilityScheduleInstances?$filter=${encodeURIComponent("principalId eq 'someone-else'")}`, { headers: { authorization: auth } })
    assert.deepEqual((await other.json() as { value: unknown[] }).value, [])
    const remove = { action: 'adminRemove', roleDefinitionId: ROLE.globalReader, directoryScopeId: '/', principalId: userId }
    const removed = await post('roleEligibilityScheduleRequests', remove)
    assert.equal(removed.status, 201)
    assert.equal(removed.body.status, 'Revoked')
    const again = await post('roleEligibilityScheduleRequests', remove)
    assert.equal(again.status, 400)
    assert.equal(code(again.body), 'RoleAssignmentDoesNotExist')
    assert.deepEqual(graph.pim.assignments(userId).map(a => a.kind), ['assignment'])
  })

  it('validation: unknown action, missing scheduleInfo, unknown role definition, unknown principal', async () => {
    const base = { roleDefinitionId: ROLE.helpdesk, directoryScopeId: '/', principalId: userId }
    const badAction = await post('roleAssignmentScheduleRequests', { ...base, action: 'assign' })
    assert.equal(badAction.status, 400)
    const noSchedule = await post('roleAssignmentScheduleRequests', { ...base, action: 'adminAssign' })
    assert.equal(noSchedule.status, 400)
    assert.match(String((noSchedule.body.error as { message: string }).message), /expiration/)
    const noRole = await post('roleAssignmentScheduleRequests', { ...base, roleDefinitionId: '00000000-0000-0000-0000-00000000beef', action: 'adminAssign', scheduleInfo: { expiration: { type: 'noExpiration' } } })
    assert.equal(noRole.status, 400)
    assert.equal(code(noRole.body), 'RoleDefinitionDoesNotExist')
    const noUser = await post('roleAssignmentScheduleRequests', { ...base, principalId: '00000000-0000-0000-0000-00000000f00d', action: 'adminAssign', scheduleInfo: { expiration: { type: 'noExpiration' } } })
    assert.equal(noUser.status, 404)
    const defs = await fetch(`${graph.url}/v1.0/roleManagement/directory/roleDefinitions`, { headers: { authorization: auth } })
    assert.ok((await defs.json() as { value: Array<{ displayName: string }> }).value.some(d => d.displayName === 'Helpdesk Administrator'))
  })
})

describe('plugin-entra-id with map.user.roles: PIM roles over SCIM HTTP', () => {
  let graph: GraphEmulator
  let gw: TestGateway
  const req = async (method: string, path: string, body?: unknown): Promise<{ status: number, body: Record<string, unknown> }> => {
    const res = await fetch(`${gw.url}${path}`, { method, headers: h, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) })
    const text = await res.text()
    return { status: res.status, body: text === '' ? {} : JSON.parse(text) as Record<string, unknown> }
  }
  const rolesOf = async (id: string): Promise<Role[] | undefined> => (await req('GET', `/Users/${id}`)).body.roles as Role[] | undefined
  const pimOf = (id: string): string[] => graph.pim.assignments(id).map(a => `${a.roleDefinitionId}/${a.kind}`).sort()
  before(async () => {
    graph = await startGraphEmulator({ clients: [CLIENT] })
    gw = await gatewayFor(graph, PIM_MAP)
  })
  after(async () => { await gw.stop(); await graph.stop() })

  it('GET /Roles lists the role definitions, each assignable as Permanent or Eligible', async () => {
    const r = await req('GET', '/Roles')
    assert.equal(r.status, 200, JSON.stringify(r.body))
    const res = r.body.Resources as Array<{ id: string, value: string, types: string[] }>
    assert.equal(r.body.totalResults, 5)
    const ga = res.find(x => x.value === 'Global Administrator')
    assert.equal(ga?.id, ROLE.globalAdmin)
    assert.deepEqual(ga?.types, ['Permanent', 'Eligible'])
  })

  it('create with roles → adminAssign of each kind; read back with type Permanent / Eligible', async () => {
    const created = await req('POST', '/Users', { schemas: [USER], userName: 'role.user', roles: [{ value: 'User Administrator', type: 'Permanent' }, { value: 'global reader', type: 'Eligible' }] })
    assert.equal(created.status, 201, JSON.stringify(created.body))
    const id = String(created.body.id)
    assert.deepEqual(pimOf(id), [`${ROLE.userAdmin}/assignment`, `${ROLE.globalReader}/eligibility`].sort())
    assert.deepEqual(names(created.body.roles as Role[]), ['Global Reader/Eligible', 'User Administrator/Permanent'])
    const got = await rolesOf(id)
    assert.deepEqual(names(got), ['Global Reader/Eligible', 'User Administrator/Permanent'])
    assert.equal(got?.find(r => r.type === 'Eligible')?.display, 'Global Reader')
    // a role without type is Permanent; a role named by its definition id works too
    const byId = await req('POST', '/Users', { schemas: [USER], userName: 'role.byid', roles: [{ value: ROLE.helpdesk }] })
    assert.equal(byId.status, 201, JSON.stringify(byId.body))
    assert.deepEqual(names(await rolesOf(String(byId.body.id))), ['Helpdesk Administrator/Permanent'])
  })

  it('PATCH add, remove by filter path, remove by value list; unchanged roles are not touched', async () => {
    const id = String((await req('POST', '/Users', { schemas: [USER], userName: 'role.patch', roles: [{ value: 'Global Reader', type: 'Eligible' }] })).body.id)
    const before = graph.pim.requests
    const add = await req('PATCH', `/Users/${id}`, { schemas: [PATCH], Operations: [{ op: 'add', path: 'roles', value: [{ value: 'Helpdesk Administrator', type: 'Eligible' }, { value: 'User Administrator', type: 'Permanent' }] }] })
    assert.ok(add.status === 200 || add.status === 204, JSON.stringify(add.body))
    assert.equal(graph.pim.requests - before, 2, 'only the two new roles were requested')
    assert.deepEqual(names(await rolesOf(id)), ['Global Reader/Eligible', 'Helpdesk Administrator/Eligible', 'User Administrator/Permanent'])
    const byFilter = await req('PATCH', `/Users/${id}`, { schemas: [PATCH], Operations: [{ op: 'remove', path: 'roles[value eq "Global Reader"]' }] })
    assert.ok(byFilter.status === 200 || byFilter.status === 204, JSON.stringify(byFilter.body))
    assert.deepEqual(names(await rolesOf(id)), ['Helpdesk Administrator/Eligible', 'User Administrator/Permanent'])
    const byValue = await req('PATCH', `/Users/${id}`, { schemas: [PATCH], Operations: [{ op: 'remove', path: 'roles', value: [{ value: 'User Administrator', type: 'Permanent' }] }] })
    assert.ok(byValue.status === 200 || byValue.status === 204, JSON.stringify(byValue.body))
    assert.deepEqual(names(await rolesOf(id)), ['Helpdesk Administrator/Eligible'])
    assert.deepEqual(pimOf(id), [`${ROLE.helpdesk}/eligibility`])
    // the same role as both kinds: removing by type leaves the other kind
    await req('PATCH', `/Users/${id}`, { schemas: [PATCH], Operations: [{ op: 'add', path: 'roles', value: [{ value: 'Helpdesk Administrator', type: 'Permanent' }] }] })
    assert.deepEqual(pimOf(id), [`${ROLE.helpdesk}/assignment`, `${ROLE.helpdesk}/eligibility`])
    await req('PATCH', `/Users/${id}`, { schemas: [PATCH], Operations: [{ op: 'remove', path: 'roles[value eq "Helpdesk Administrator" and type eq "Eligible"]' }] })
    assert.deepEqual(pimOf(id), [`${ROLE.helpdesk}/assignment`])
    // removing every role
    await req('PATCH', `/Users/${id}`, { schemas: [PATCH], Operations: [{ op: 'remove', path: 'roles' }] })
    assert.deepEqual(pimOf(id), [])
    assert.equal(await rolesOf(id), undefined)
  })

  it('PUT replaces the roles: missing ones are removed, new ones assigned', async () => {
    const created = await req('POST', '/Users', { schemas: [USER], userName: 'role.put', roles: [{ value: 'Global Reader', type: 'Eligible' }, { value: 'Helpdesk Administrator', type: 'Permanent' }] })
    const id = String(created.body.id)
    const put = await req('PUT', `/Users/${id}`, { schemas: [USER], userName: 'role.put', roles: [{ value: 'Helpdesk Administrator', type: 'Permanent' }, { value: 'Global Administrator', type: 'Eligible' }] })
    assert.equal(put.status, 200, JSON.stringify(put.body))
    assert.deepEqual(pimOf(id), [`${ROLE.helpdesk}/assignment`, `${ROLE.globalAdmin}/eligibility`].sort())
    assert.deepEqual(names(put.body.roles as Role[]), ['Global Administrator/Eligible', 'Helpdesk Administrator/Permanent'])
  })

  it('only direct, tenant-wide roles are the user\'s: an activation, a group-based and a scoped assignment are not shown', async () => {
    const id = String((await req('POST', '/Users', { schemas: [USER], userName: 'role.seen' })).body.id)
    graph.pim.seed({ kind: 'assignment', principalId: id, roleDefinitionId: ROLE.globalReader, directoryScopeId: '/', assignmentType: 'Activated' })
    graph.pim.seed({ kind: 'assignment', principalId: id, roleDefinitionId: ROLE.userAdmin, directoryScopeId: '/', memberType: 'Group' })
    graph.pim.seed({ kind: 'eligibility', principalId: id, roleDefinitionId: ROLE.helpdesk, directoryScopeId: '/administrativeUnits/au-1' })
    graph.pim.seed({ kind: 'eligibility', principalId: id, roleDefinitionId: ROLE.globalReader, directoryScopeId: '/' })
    assert.deepEqual(names(await rolesOf(id)), ['Global Reader/Eligible'])
    // a change of other roles leaves them alone
    const add = await req('PATCH', `/Users/${id}`, { schemas: [PATCH], Operations: [{ op: 'add', path: 'roles', value: [{ value: 'Global Administrator', type: 'Permanent' }] }] })
    assert.ok(add.status === 200 || add.status === 204, JSON.stringify(add.body))
    assert.equal(graph.pim.assignments(id).length, 5)
  })

  it('errors: unknown role → 400 naming it (nothing created or changed); bad type → 400; a user that is gone → 404', async () => {
    const bad = await req('POST', '/Users', { schemas: [USER], userName: 'role.bad', roles: [{ value: 'Chief Wizard', type: 'Permanent' }] })
    assert.equal(bad.status, 400)
    assert.equal(bad.body.scimType, 'invalidValue')
    assert.match(String(bad.body.detail), /"Chief Wizard" is not a directory role.*GET \/Roles/)
    const found = await req('GET', `/Users?filter=${encodeURIComponent('userName eq "role.bad"')}`)
    assert.equal(found.body.totalResults, 0, 'the user was not created')
    const id = String((await req('POST', '/Users', { schemas: [USER], userName: 'role.err', roles: [{ value: 'Global Reader', type: 'Eligible' }] })).body.id)
    const unknown = await req('PATCH', `/Users/${id}`, { schemas: [PATCH], Operations: [{ op: 'add', path: 'roles', value: [{ value: 'Helpdesk Administrator', type: 'Eligible' }, { value: 'Nope', type: 'Eligible' }] }] })
    assert.equal(unknown.status, 400)
    assert.match(String(unknown.body.detail), /"Nope"/)
    assert.deepEqual(pimOf(id), [`${ROLE.globalReader}/eligibility`], 'nothing was assigned')
    const badType = await req('PATCH', `/Users/${id}`, { schemas: [PATCH], Operations: [{ op: 'add', path: 'roles', value: [{ value: 'Helpdesk Administrator', type: 'Temporary' }] }] })
    assert.equal(badType.status, 400)
    assert.match(String(badType.body.detail), /"Temporary".*"Permanent" or "Eligible"/)
    const gone = await req('PATCH', '/Users/00000000-0000-0000-0000-0000000000aa', { schemas: [PATCH], Operations: [{ op: 'add', path: 'roles', value: [{ value: 'Helpdesk Administrator' }] }] })
    assert.equal(gone.status, 404)
  })

  it('an app without the PIM write permission: Graph\'s 403 is a SCIM 403; readiness probes the PIM reads', async () => {
    const id = String((await req('POST', '/Users', { schemas: [USER], userName: 'role.denied' })).body.id)
    graph.writes.denyWrites(true)
    try {
      const r = await req('PATCH', `/Users/${id}`, { schemas: [PATCH], Operations: [{ op: 'add', path: 'roles', value: [{ value: 'Helpdesk Administrator' }] }] })
      assert.equal(r.status, 403, JSON.stringify(r.body))
      assert.match(String(r.body.detail), /permission/)
    } finally { graph.writes.denyWrites(false) }
    assert.deepEqual(pimOf(id), [])
    graph.resetCounters()
    const ready = await fetch(`${gw.url}/readyz`)
    assert.equal(ready.status, 200, await ready.clone().text())
    assert.ok(graph.log.some(l => l.startsWith('/v1.0/roleManagement/directory/roleDefinitions')), graph.log.join('\n'))
    assert.ok(graph.log.some(l => l.startsWith('/v1.0/roleManagement/directory/roleEligibilityScheduleInstances')), graph.log.join('\n'))
  })

  it('GET /Entitlements lists the tenant\'s licences (subscribedSkus)', async () => {
    graph.writes.setSkus([{ skuId: '18181a46-0d4e-45cd-891e-60aabd171b4e', skuPartNumber: 'STANDARDPACK', enabled: 5 }])
    const r = await req('GET', '/Entitlements')
    assert.equal(r.status, 200)
    assert.deepEqual((r.body.Resources as Array<{ value: string, type: string }>).map(x => [x.value, x.type]), [['STANDARDPACK', 'license']])
  })
})

describe('plugin-entra-id without map.user.roles: role writes stay refused', () => {
  let graph: GraphEmulator
  let gw: TestGateway
  before(async () => {
    graph = await startGraphEmulator({ clients: [CLIENT], directoryRoles: [{ id: ROLE.globalAdmin, displayName: 'Global Administrator', members: [] }] })
    gw = await gatewayFor(graph, undefined)
  })
  after(async () => { await gw.stop(); await graph.stop() })

  it('create or PATCH with roles → 400 mutability naming map.user.roles; GET /Roles = directory roles; no PIM request', async () => {
    const post = await fetch(`${gw.url}/Users`, { method: 'POST', headers: h, body: JSON.stringify({ schemas: [USER], userName: 'norole', roles: [{ value: 'Global Administrator' }] }) })
    assert.equal(post.status, 400)
    const pb = await post.json() as { scimType?: string, detail?: string }
    assert.equal(pb.scimType, 'mutability')
    assert.match(pb.detail ?? '', /read-only.*map\.user\.roles/)
    const u = await (await fetch(`${gw.url}/Users`, { method: 'POST', headers: h, body: JSON.stringify({ schemas: [USER], userName: 'norole' }) })).json() as { id: string }
    const patch = await fetch(`${gw.url}/Users/${u.id}`, { method: 'PATCH', headers: h, body: JSON.stringify({ schemas: [PATCH], Operations: [{ op: 'add', path: 'roles', value: [{ value: 'Global Administrator' }] }] }) })
    assert.equal(patch.status, 400)
    assert.equal((await patch.json() as { scimType?: string }).scimType, 'mutability')
    const roles = await (await fetch(`${gw.url}/Roles`, { headers: h })).json() as { Resources: Array<{ value: string, type: string }> }
    assert.deepEqual(roles.Resources.map(r => [r.value, r.type]), [['Global Administrator', 'directoryRole']])
    assert.equal(graph.pim.requests, 0)
    assert.ok(!graph.log.some(l => l.includes('roleManagement')), 'no PIM reads either')
  })

  it('config: map.user accepts only what the plugin manages, with the path of a mistake', () => {
    const r = validate(entraEndpointSchema, { map: { user: { rolez: {} } }, entity: { undefined: { connection: { baseUrls: ['http://127.0.0.1:1/v1.0'], auth: { type: 'oauth', options: { azureTenantId: 't', clientId: 'c', clientSecret: 's' } } } } } })
    assert.ok(!r.ok)
    assert.ok(r.errors.some(e => e.path === 'map.user.rolez' && /did you mean "roles"/.test(e.message)), JSON.stringify(r.errors))
    const mapTo = validate(entraEndpointSchema, { map: { user: { roles: { mapTo: 'groups' } } }, entity: { undefined: { connection: { baseUrls: ['http://127.0.0.1:1/v1.0'], auth: { type: 'oauth', options: { azureTenantId: 't', clientId: 'c', clientSecret: 's' } } } } } })
    assert.ok(!mapTo.ok)
    assert.ok(mapTo.errors.some(e => e.path === 'map.user.roles.mapTo'), JSON.stringify(mapTo.errors))
  })
})
