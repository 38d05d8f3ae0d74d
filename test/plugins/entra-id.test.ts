// plugin-entra-id against the Graph emulator (test/support/graph-emulator.ts + graph-write.ts): the
// plugin contract suite, a gateway over HTTP built from the shipped config, $filter push-down,
// paging, $batch use, manager, licences and roles, throttling, and Graph errors → SCIM errors.
// The real Microsoft Graph is not reachable from the test machines: everything runs against the emulator.
import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { copyFile, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { createServer } from 'node:net'
import { join } from 'node:path'
import { createEntraIdPlugin, entraEndpointSchema, type EntraEndpoint } from '../../lib/plugins/plugin-entra-id.ts'
import { validate } from '../../lib/config/schema.ts'
import { loadPluginConfig, isConfigError } from '../../lib/config/index.ts'
import { silentLogger } from '../../lib/logging/types.ts'
import { basicAuthenticator } from '../../lib/auth/index.ts'
import { isScimError } from '../../lib/scim/errors.ts'
import type { ScimPlugin } from '../../lib/plugins/types.ts'
import { startGraphEmulator, type GraphEmulator } from '../support/graph-emulator.ts'
import { startTestGateway } from '../support/gateway.ts'
import { registerPluginContract } from './contract.ts'
import { ctx, query } from './contract-api.ts'
import { graphScimError } from '../../lib/plugins/entra-id/errors.ts'
import errorCases from './fixtures/entra-graph-errors.json' with { type: 'json' }

const CLIENT = { client_id: 'app-1', client_secret: 'secret-1' }

/** The endpoint config a user writes, pointed at the emulator (loginUrl + baseUrls). */
function endpointFor (graph: GraphEmulator, entities: string[] = ['undefined'], extra: Record<string, unknown> = {}): EntraEndpoint {
  const entity = Object.fromEntries(entities.map(k => [k, {
    connection: { baseUrls: [`${graph.url}/v1.0`], auth: { type: 'oauth', options: { azureTenantId: graph.tenantId, loginUrl: graph.url, clientId: CLIENT.client_id, clientSecret: CLIENT.client_secret } }, retry: { baseDelayMs: 1, maxDelayMs: 20 } },
    userNameDomain: 'contoso.test',
    ...extra
  }]))
  const r = validate(entraEndpointSchema, { entity })
  assert.ok(r.ok, JSON.stringify(r.ok ? '' : r.errors))
  return r.value
}

const plugin = (graph: GraphEmulator, entities?: string[], extra?: Record<string, unknown>): ScimPlugin => createEntraIdPlugin(endpointFor(graph, entities, extra), { configDir: tmpdir(), log: silentLogger })

registerPluginContract({
  name: 'plugin-entra-id → Graph emulator',
  factory: async () => {
    const graph = await startGraphEmulator({ clients: [CLIENT] })
    return { plugin: plugin(graph, ['undefined', 'tenantA']), cleanup: async () => { await graph.stop() } }
  },
  capabilities: {
    baseEntityIsolation: 'every baseEntity here is the same emulated tenant (separate tenants need separate Graph tenants)',
    unknownBaseEntity404: true,
    health: true
  }
})

describe('plugin-entra-id: Graph specifics', () => {
  let graph: GraphEmulator
  let p: ScimPlugin
  before(async () => {
    graph = await startGraphEmulator({ clients: [CLIENT], directoryRoles: [{ id: '62e90394-69f5-4237-9190-012177145e10', displayName: 'Global Administrator', members: [] }] })
    p = plugin(graph)
    await p.start?.(silentLogger)
  })
  after(async () => { await p.stop?.(); await graph.stop() })

  it('createUser sends what Graph requires (passwordProfile, mailNickname, UPN with the domain) and maps back', async () => {
    const u = await p.createUser!({ userName: 'ada', name: { givenName: 'Ada', familyName: 'Lovelace' }, externalId: 'E-1', active: false, title: 'Engineer' }, ctx())
    const stored = (await p.getUsers!(query({ attribute: 'id', operator: 'eq', value: String(u.id) }), ctx())).Resources[0]
    assert.equal(stored?.userName, 'ada')
    assert.equal(stored?.externalId, 'E-1')
    assert.equal(stored?.active, false)
    assert.equal(stored?.title, 'Engineer')
    assert.equal(stored?.displayName, 'Ada Lovelace')
    const res = await fetch(`${graph.url}/v1.0/users?$filter=${encodeURIComponent("userPrincipalName eq 'ada@contoso.test'")}`, { headers: { authorization: await token(graph) } })
    const body = await res.json() as { value: Array<Record<string, unknown>> }
    assert.equal(body.value[0]?.mailNickname, 'ada')
    assert.equal(body.value[0]?.accountEnabled, false)
    assert.equal(body.value[0]?.passwordProfile, undefined, 'Graph never returns the password')
  })

  it('a weak password is Graph\'s 400, answered as SCIM 400 invalidValue with Graph\'s message', async () => {
    const e = await rejects(p.createUser!({ userName: 'weak', password: 'abc' }, ctx()))
    assert.equal(e.status, 400)
    assert.equal(e.scimType, 'invalidValue')
    assert.match(e.detail ?? '', /password complexity/)
  })

  it('userName / externalId / displayName eq and sw are pushed down as $filter', async () => {
    await p.createUser!({ userName: 'push.one', externalId: 'X-9', displayName: 'Pushy One' }, ctx())
    await p.createUser!({ userName: 'push.two', displayName: 'Pushy Two' }, ctx())
    graph.resetCounters()
    const sw = await p.getUsers!(query({ attribute: 'userName', operator: 'sw', value: 'push.' }), ctx())
    assert.deepEqual(sw.Resources.map(r => r.userName).sort(), ['push.one', 'push.two'])
    assert.ok(graph.log.some(l => decodeURIComponent(l.replace(/\+/g, ' ')).includes("startswith(userPrincipalName,'push.')")), graph.log.join('\n'))
    const ext = await p.getUsers!(query({ attribute: 'externalId', operator: 'eq', value: 'X-9' }), ctx())
    assert.deepEqual(ext.Resources.map(r => r.userName), ['push.one'])
    const dn = await p.getUsers!(query({ attribute: 'displayName', operator: 'sw', value: 'Pushy T' }), ctx())
    assert.deepEqual(dn.Resources.map(r => r.userName), ['push.two'])
    assert.ok(graph.log.some(l => decodeURIComponent(l.replace(/\+/g, ' ')).includes("employeeId eq 'X-9'")))
  })

  it('a full list follows @odata.nextLink pages ($top = pageSize)', async () => {
    const small = plugin(graph, undefined, { pageSize: 3 })
    await small.start?.(silentLogger)
    try {
      for (let i = 0; i < 7; i++) await small.createUser!({ userName: `page${i}` }, ctx())
      graph.resetCounters()
      const all = await small.getUsers!({ attributes: [], excludedAttributes: [], startIndex: 1 }, ctx())
      const names = all.Resources.map(r => String(r.userName)).filter(n => n.startsWith('page'))
      assert.equal(names.length, 7)
      const pages = graph.log.filter(l => l.startsWith('/v1.0/users?'))
      assert.ok(pages.length >= 3, `several pages read: ${pages.join(', ')}`)
      assert.ok(pages.slice(1).every(l => l.includes('%24skiptoken') || l.includes('$skiptoken')))
      // members: the first page of each group in a $batch, the rest by the nextLink it carries
      const members = []
      for (let i = 0; i < 7; i++) members.push({ value: String((await small.getUsers!(query({ attribute: 'userName', operator: 'eq', value: `page${i}` }), ctx())).Resources[0]?.id) })
      const g = await small.createGroup!({ displayName: 'paged members', members }, ctx())
      const read = (await small.getGroups!(query({ attribute: 'id', operator: 'eq', value: String(g.id) }), ctx())).Resources[0]
      assert.deepEqual((read?.members as Array<{ value: string }>).map(m => m.value).sort(), members.map(m => m.value).sort())
    } finally { await small.stop?.() }
  })

  it('manager: set on create, read with the user, changed and removed by modifyUser', async () => {
    const ENT = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User'
    const boss = await p.createUser!({ userName: 'boss' }, ctx())
    const emp = await p.createUser!({ userName: 'emp', [ENT]: { manager: { value: String(boss.id) } } }, ctx())
    assert.equal(graph.writes.managerOf(String(emp.id)), boss.id)
    const read = (await p.getUsers!(query({ attribute: 'id', operator: 'eq', value: String(emp.id) }), ctx())).Resources[0]
    assert.equal((read?.[ENT] as { manager?: { value?: string } } | undefined)?.manager?.value, boss.id)
    await p.modifyUser!(String(emp.id), { resource: { id: String(emp.id), userName: 'emp' }, operations: [{ op: 'remove', path: `${ENT}:manager` }] }, ctx())
    assert.equal(graph.writes.managerOf(String(emp.id)), undefined)
    const bad = await rejects(p.createUser!({ userName: 'emp2', [ENT]: { manager: { value: '00000000-0000-0000-0000-00000000dead' } } }, ctx()))
    assert.equal(bad.status, 400)
  })

  it('disable: active false → accountEnabled false (PATCH)', async () => {
    const u = await p.createUser!({ userName: 'dis' }, ctx())
    await p.modifyUser!(String(u.id), { resource: { id: String(u.id), userName: 'dis', active: false }, operations: [{ op: 'replace', path: 'active', value: false }] }, ctx())
    const got = (await p.getUsers!(query({ attribute: 'id', operator: 'eq', value: String(u.id) }), ctx())).Resources[0]
    assert.equal(got?.active, false)
    // only what the operations touch is PATCHed: mail (not in this resource) is not cleared
    const m = await p.createUser!({ userName: 'keep', emails: [{ value: 'keep@contoso.test', type: 'work' }] }, ctx())
    await p.modifyUser!(String(m.id), { resource: { id: String(m.id), userName: 'keep', title: 'Boss' }, operations: [{ op: 'replace', path: 'title', value: 'Boss' }] }, ctx())
    const kept = (await p.getUsers!(query({ attribute: 'id', operator: 'eq', value: String(m.id) }), ctx())).Resources[0]
    assert.equal(kept?.title, 'Boss')
    assert.deepEqual((kept?.emails as Array<{ value: string }>).map(e => e.value), ['keep@contoso.test'])
  })

  it('entitlements = licences (subscribedSkus, licenseDetails) and roles = directory roles, read through one $batch per user', async () => {
    graph.writes.setSkus([{ skuId: 'c7df2760-2c81-4ef7-b578-5b5392b571df', skuPartNumber: 'ENTERPRISEPREMIUM' }, { skuId: '18181a46-0d4e-45cd-891e-60aabd171b4e', skuPartNumber: 'STANDARDPACK', enabled: 5 }])
    const u = await p.createUser!({ userName: 'lic' }, ctx())
    graph.writes.setLicenses(String(u.id), ['18181a46-0d4e-45cd-891e-60aabd171b4e'])
    const ent = await p.getEntitlements!({ attributes: [], excludedAttributes: [], startIndex: 1 }, ctx())
    assert.deepEqual(ent.Resources.map(r => r.value).sort(), ['ENTERPRISEPREMIUM', 'STANDARDPACK'])
    assert.equal(ent.Resources.find(r => r.value === 'STANDARDPACK')?.consumedUnits, 1)
    const roles = await p.getRoles!({ attributes: [], excludedAttributes: [], startIndex: 1 }, ctx())
    assert.deepEqual(roles.Resources.map(r => r.value), ['Global Administrator'])
    const batchesBefore = graph.writes.batches
    graph.resetCounters()
    const got = (await p.getUsers!(query({ attribute: 'id', operator: 'eq', value: String(u.id) }), ctx())).Resources[0]
    assert.deepEqual((got?.entitlements as Array<{ value: string }>).map(e => e.value), ['STANDARDPACK'])
    assert.equal(graph.writes.batches, batchesBefore + 1, 'memberOf, licenseDetails and manager in one $batch')
    const writeLic = await rejects(p.modifyUser!(String(u.id), { resource: { id: String(u.id), userName: 'lic', entitlements: [{ value: 'X' }] }, operations: [{ op: 'add', path: 'entitlements', value: [{ value: 'X' }] }] }, ctx()))
    assert.equal(writeLic.status, 400)
    assert.equal(writeLic.scimType, 'mutability')
  })

  it('member deltas of 45 users go out as $batch POSTs (20 per batch), with the group check in the first', async () => {
    const g = await p.createGroup!({ displayName: 'Big' }, ctx())
    const ids: string[] = []
    for (let i = 0; i < 45; i++) ids.push(String((await p.createUser!({ userName: `bm${i}` }, ctx())).id))
    const before = graph.writes.batches
    graph.resetCounters()
    await p.modifyGroup!(String(g.id), { resource: { id: String(g.id) }, operations: [], members: { add: ids.map(value => ({ value })), remove: [] } }, ctx())
    assert.equal(graph.writes.batches - before, 3, '46 requests → 3 batches')
    const read = (await p.getGroups!(query({ attribute: 'id', operator: 'eq', value: String(g.id) }), ctx())).Resources[0]
    assert.equal((read?.members as unknown[]).length, 45)
    // adding again and removing unknown members are no-ops; removing 5 works
    await p.modifyGroup!(String(g.id), { resource: { id: String(g.id) }, operations: [], members: { add: [{ value: ids[0] ?? '' }], remove: [...ids.slice(0, 5), '00000000-0000-0000-0000-000000000000'] } }, ctx())
    const after5 = (await p.getGroups!(query({ attribute: 'id', operator: 'eq', value: String(g.id) }), ctx())).Resources[0]
    assert.equal((after5?.members as unknown[]).length, 41, 'ids[0] removed and added again stays; 4 removed')
    const unknownMember = await rejects(p.modifyGroup!(String(g.id), { resource: { id: String(g.id) }, operations: [], members: { add: [{ value: '00000000-0000-0000-0000-0000000000ff' }], remove: [] } }, ctx()))
    assert.equal(unknownMember.status, 400)
  })

  it('nested groups: a group member of a group is read, and members.value eq finds the parent', async () => {
    const child = await p.createGroup!({ displayName: 'Child' }, ctx())
    const parent = await p.createGroup!({ displayName: 'Parent', members: [{ value: String(child.id) }] }, ctx())
    const byMember = await p.getGroups!(query({ attribute: 'members.value', operator: 'eq', value: String(child.id) }), ctx())
    assert.deepEqual(byMember.Resources.map(r => r.id), [parent.id])
    assert.equal((byMember.Resources[0]?.members as Array<{ type: string }>)[0]?.type, 'Group')
  })

  it('an app without write permission: Graph\'s 403 Authorization_RequestDenied is a SCIM 403 saying so', async () => {
    graph.writes.denyWrites(true)
    try {
      const e = await rejects(p.createUser!({ userName: 'denied' }, ctx()))
      assert.equal(e.status, 403)
      assert.match(e.detail ?? '', /Insufficient privileges.*permission/)
    } finally { graph.writes.denyWrites(false) }
  })

  it('throttling: 429 with Retry-After on plain calls and inside $batch is waited out', async () => {
    const u = await p.createUser!({ userName: 'thr' }, ctx())
    graph.throttle(2, 0)
    const got = await p.getUsers!(query({ attribute: 'userName', operator: 'eq', value: 'thr' }), ctx())
    assert.deepEqual(got.Resources.map(r => r.id), [u.id])
  })

  it('throttled items inside a $batch are sent again after their Retry-After; only they are', async () => {
    const g = await p.createGroup!({ displayName: 'thr-batch' }, ctx())
    const ids: string[] = []
    for (let i = 0; i < 5; i++) ids.push(String((await p.createUser!({ userName: `tb${i}` }, ctx())).id))
    const items0 = graph.writes.batchItems
    graph.writes.throttleBatchItems(3, 0)
    await p.modifyGroup!(String(g.id), { resource: { id: String(g.id) }, operations: [], members: { add: ids.map(value => ({ value })), remove: [] } }, ctx())
    assert.equal(graph.writes.batchItems - items0, 6 + 3, 'group check + 5 adds, and the 3 throttled ones again')
    const read = (await p.getGroups!(query({ attribute: 'id', operator: 'eq', value: String(g.id) }), ctx())).Resources[0]
    assert.deepEqual((read?.members as Array<{ value: string }>).map(m => m.value).sort(), [...ids].sort())
  })

  it('throttling that outlasts the retries is a 503 with Retry-After', async () => {
    graph.throttle(50, 120)
    const e = await rejects(p.getUsers!(query({ attribute: 'userName', operator: 'eq', value: 'thr' }), ctx()))
    graph.throttle(0)
    assert.equal(e.status, 503)
    assert.equal((e as unknown as { retryAfter?: number }).retryAfter, 120)
  })

  it('a revoked token is fetched again; wrong client credentials are a 503 naming the token endpoint', async () => {
    graph.revokeTokens()
    const r = await p.getUsers!(query({ attribute: 'userName', operator: 'eq', value: 'nobody' }), ctx())
    assert.deepEqual(r.Resources, [])
    const bad = createEntraIdPlugin(endpointFor(graph, undefined, {}), { configDir: tmpdir(), log: silentLogger })
    const badCfg = endpointFor(graph)
    const conn = badCfg.entity.undefined?.connection
    if (conn?.auth !== undefined) conn.auth.options.clientSecret = 'wrong'
    const wrong = createEntraIdPlugin(badCfg, { configDir: tmpdir(), log: silentLogger })
    await wrong.start?.(silentLogger)
    const e = await rejects(wrong.getUsers!(query({ attribute: 'userName', operator: 'eq', value: 'x' }), ctx()))
    assert.ok(e.status >= 500, `status ${e.status}`)
    await wrong.stop?.()
    await bad.stop?.()
  })
})

describe('plugin-entra-id: Graph error bodies → SCIM errors (fixtures/entra-graph-errors.json)', () => {
  for (const c of errorCases as Array<{ name: string, status: number, body: unknown, retryAfter?: number, want: { status: number, scimType?: string, detail?: string, retryAfter?: number } }>) {
    it(c.name, () => {
      const e = graphScimError(c.status, c.body, 'GET /users/x', c.retryAfter)
      assert.equal(e.status, c.want.status)
      assert.equal(e.scimType, c.want.scimType)
      if (c.want.detail !== undefined) assert.match(e.detail, new RegExp(c.want.detail))
      if (c.want.retryAfter !== undefined) assert.equal((e as unknown as { retryAfter?: number }).retryAfter, c.want.retryAfter)
    })
  }
})

describe('plugin-entra-id: config and a gateway over HTTP', () => {
  let dir: string
  let graph: GraphEmulator
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'entra-cfg-'))
    graph = await startGraphEmulator({ clients: [CLIENT] })
  })
  after(async () => { await graph.stop(); await rm(dir, { recursive: true, force: true }) })

  it('the shipped config/plugin-entra-id.json validates (oauth with azureTenantId, Graph default URL, port 8882)', async () => {
    await copyFile(new URL('../../config/plugin-entra-id.json', import.meta.url), join(dir, 'plugin-entra-id.json'))
    const loaded = await loadPluginConfig('entra-id', { configDir: dir, endpointSchema: entraEndpointSchema, env: {} })
    const ep = loaded.endpoint as EntraEndpoint
    assert.equal(ep.entity.undefined?.connection.auth?.type, 'oauth')
    assert.equal(ep.entity.undefined?.connection.auth?.options.azureTenantId, '<Tenant ID>')
    assert.equal(loaded.config.scimgateway.port, 8882)
  })

  it('config problems are reported with their paths (no auth, unknown key, federated credentials shape)', async () => {
    await writeFile(join(dir, 'plugin-entra-id.json'), JSON.stringify({
      scimgateway: { port: 0 },
      endpoint: {
        entity: {
          undefined: { connection: { baseUrls: [] }, pageSize: 5000, userNameDomian: 'x.test' },
          fed: { connection: { auth: { type: 'oauthJwtBearer', options: { azureTenantId: 't', fedCred: { issuer: 'https://gw.example.com', subject: 'obj-id', name: 'plugin-entra-id' } } } } }
        }
      }
    }))
    let err: unknown
    try { await loadPluginConfig('entra-id', { configDir: dir, endpointSchema: entraEndpointSchema, env: {} }) } catch (e) { err = e }
    assert.ok(isConfigError(err), String(err))
    const paths = err.problems.map(p => p.path)
    for (const p of ['endpoint.entity.undefined.connection.auth', 'endpoint.entity.undefined.pageSize', 'endpoint.entity.undefined.userNameDomian']) {
      assert.ok(paths.includes(p), `expected a problem at ${p}; got ${paths.join(', ')}`)
    }
    assert.ok(!paths.some(p => p.startsWith('endpoint.entity.fed')), `federated credentials config is accepted: ${paths.join(', ')}`)
  })

  it('federated credentials (no secret): the gateway publishes its issuer key on /pub/api and the emulated Entra accepts the assertion', async () => {
    const port = await new Promise<number>((resolve) => { const srv = createServer().listen(0, '127.0.0.1', () => { const a = srv.address() as { port: number }; srv.close(() => { resolve(a.port) }) }) })
    const issuer = `http://127.0.0.1:${port}/pub/api/entra-id`
    const fedGraph = await startGraphEmulator({ clients: [{ client_id: 'fed-app', client_secret: 'never-sent', federated: { issuer, subject: 'fed-app' } }] })
    const r = validate(entraEndpointSchema, { entity: { undefined: { connection: { baseUrls: [`${fedGraph.url}/v1.0`], auth: { type: 'oauthJwtBearer', options: { azureTenantId: fedGraph.tenantId, loginUrl: fedGraph.url, fedCred: { issuer, subject: 'fed-app', name: 'plugin-entra-id' } } } } } } })
    assert.ok(r.ok, JSON.stringify(r.ok ? '' : r.errors))
    const gw = await startTestGateway({ plugin: createEntraIdPlugin(r.value, { configDir: tmpdir(), log: silentLogger }), options: { port, authenticators: [basicAuthenticator([{ username: 'gw', password: 'pw' }])] } })
    try {
      const disc = await (await fetch(`${issuer}/.well-known/openid-configuration`)).json() as { jwks_uri: string }
      assert.equal(disc.jwks_uri, `${issuer}/.well-known/jwks.json`)
      const jwks = await (await fetch(disc.jwks_uri)).json() as { keys: Array<Record<string, unknown>> }
      assert.equal(jwks.keys[0]?.kty, 'RSA')
      assert.equal(jwks.keys[0]?.d, undefined, 'only the public key')
      const res = await fetch(`${gw.url}/Users?filter=${encodeURIComponent('userName eq "nobody@contoso.test"')}`, { headers: { authorization: `Basic ${Buffer.from('gw:pw').toString('base64')}` } })
      assert.equal(res.status, 200, await res.clone().text())
      assert.equal(fedGraph.tokenRequests, 1)
      assert.equal((await fetch(`http://127.0.0.1:${port}/pub/api/other/.well-known/jwks.json`)).status, 404)
    } finally { await gw.stop(); await fedGraph.stop() }
  })

  it('SCIM over HTTP: create, filter, PATCH member add, error statuses (409, 404) through a real gateway', async () => {
    const gw = await startTestGateway({ plugin: plugin(graph), options: { authenticators: [basicAuthenticator([{ username: 'gw', password: 'pw' }])] } })
    const h = { authorization: `Basic ${Buffer.from('gw:pw').toString('base64')}`, 'content-type': 'application/scim+json' }
    try {
      const post = async (path: string, body: unknown): Promise<Response> => await fetch(`${gw.url}${path}`, { method: 'POST', headers: h, body: JSON.stringify(body) })
      const created = await post('/Users', { schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName: 'http.user', name: { givenName: 'H', familyName: 'U' } })
      assert.equal(created.status, 201, await created.clone().text())
      const u = await created.json() as { id: string }
      const dup = await post('/Users', { schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName: 'HTTP.user' })
      assert.equal(dup.status, 409)
      assert.equal((await dup.json() as { scimType?: string }).scimType, 'uniqueness')
      const list = await fetch(`${gw.url}/Users?filter=${encodeURIComponent('userName eq "http.user"')}`, { headers: h })
      const lb = await list.json() as { totalResults: number, Resources: Array<{ id: string }> }
      assert.equal(lb.totalResults, 1)
      assert.equal(lb.Resources[0]?.id, u.id)
      const g = await (await post('/Groups', { schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], displayName: 'HTTP group' })).json() as { id: string }
      const patch = await fetch(`${gw.url}/Groups/${g.id}`, { method: 'PATCH', headers: h, body: JSON.stringify({ schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'add', path: 'members', value: [{ value: u.id }] }] }) })
      assert.ok(patch.status === 200 || patch.status === 204, String(patch.status))
      const ug = await (await fetch(`${gw.url}/Users/${u.id}`, { headers: h })).json() as { groups?: Array<{ value: string }> }
      assert.deepEqual(ug.groups?.map(x => x.value), [g.id])
      const missing = await fetch(`${gw.url}/Users/00000000-0000-0000-0000-000000000001`, { headers: h })
      assert.equal(missing.status, 404)
      const disable = await fetch(`${gw.url}/Users/${u.id}`, { method: 'PATCH', headers: h, body: JSON.stringify({ schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'replace', path: 'active', value: false }] }) })
      assert.equal(disable.status, 204, await disable.clone().text())
      assert.equal((await (await fetch(`${gw.url}/Users/${u.id}`, { headers: h })).json() as { active?: boolean }).active, false)
      const del = await fetch(`${gw.url}/Users/${u.id}`, { method: 'DELETE', headers: h })
      assert.equal(del.status, 204)
    } finally { await gw.stop() }
  })
})

async function rejects (p: Promise<unknown>): Promise<{ status: number, scimType: string | undefined, detail: string | undefined }> {
  try { await p } catch (e) {
    assert.ok(isScimError(e), `a ScimError, got ${String(e)}`)
    return e as unknown as { status: number, scimType: string | undefined, detail: string | undefined }
  }
  assert.fail('expected a rejection')
}

async function token (graph: GraphEmulator): Promise<string> {
  const res = await fetch(`${graph.url}/${graph.tenantId}/oauth2/v2.0/token`, { method: 'POST', body: new URLSearchParams({ grant_type: 'client_credentials', client_id: CLIENT.client_id, client_secret: CLIENT.client_secret, scope: 'https://graph.microsoft.com/.default' }) })
  return `Bearer ${(await res.json() as { access_token: string }).access_token}`
}
