// plugin-soap against real `soap` servers started from the WSDL in test/plugins/fixtures/soap:
// the contract suite (users; one server per baseEntity), over HTTP through the gateway, WS-Security
// credentials, SOAP faults and an unreachable service as SCIM errors, config problems with paths.
import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { createServer, type AddressInfo } from 'node:net'
import { createSoapPlugin, soapEndpointSchema } from '../../lib/plugins/plugin-soap.ts'
import { validate } from '../../lib/config/schema.ts'
import { silentLogger } from '../../lib/logging/types.ts'
import { startTestGateway } from '../support/gateway.ts'
import { basicAuthenticator } from '../../lib/auth/index.ts'
import { registerPluginContract, ctx, query } from './contract.ts'
import { startSoapServer, WSDL_FILE, type TestSoapServer } from './soap-server.ts'

const CREDS = { username: 'superuser', password: 'secret' }
const endpoint = (raw: unknown): Parameters<typeof createSoapPlugin>[0] => {
  const r = validate(soapEndpointSchema, raw, { coerce: true }, ['endpoint'])
  assert.ok(r.ok, JSON.stringify(r.errors))
  return r.value
}

let servers: Promise<TestSoapServer[]> | undefined
const soapServers = async (): Promise<TestSoapServer[]> => await (servers ??= Promise.all([startSoapServer(CREDS), startSoapServer(CREDS), startSoapServer(CREDS)]))
after(async () => { for (const s of await servers ?? []) await s.stop() })

registerPluginContract({
  name: 'plugin-soap (soap server from the example WSDL)',
  factory: async () => {
    const [main, a, b] = await soapServers()
    const plugin = createSoapPlugin(endpoint({
      wsdl: WSDL_FILE,
      ...CREDS,
      entity: { undefined: { serviceUrl: main?.url }, tenantA: { serviceUrl: a?.url }, tenantB: { serviceUrl: b?.url } }
    }), '/')
    return { plugin, cleanup: async () => {} }
  },
  capabilities: {
    groups: 'the example SOAP service provisions users only',
    externalId: 'the example SOAP service has no externalId',
    baseEntityIsolation: true,
    unknownBaseEntity404: true,
    health: true
  }
})

describe('plugin-soap', () => {
  let srv: TestSoapServer
  before(async () => { srv = await startSoapServer(CREDS) })
  after(async () => { await srv.stop() })

  it('over HTTP: POST, GET by filter, PATCH and DELETE go to the SOAP service as CreateUser/SearchUsers/UpdateUser/DeleteUser', async () => {
    const gw = await startTestGateway({ plugin: createSoapPlugin(endpoint({ wsdl: WSDL_FILE, serviceUrl: srv.url, ...CREDS }), '/'), options: { authenticators: [basicAuthenticator([{ username: 'gwadmin', password: 'password' }])] } })
    const h = { authorization: 'Basic ' + Buffer.from('gwadmin:password').toString('base64'), 'content-type': 'application/scim+json' }
    try {
      const post = await fetch(`${gw.url}/Users`, { method: 'POST', headers: h, body: JSON.stringify({ schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName: 'soapy', name: { givenName: 'So', familyName: 'Apy' }, emails: [{ value: 'soapy@example.com', primary: true }], active: true }) })
      assert.equal(post.status, 201)
      const id = ((await post.json()) as { id: string }).id
      assert.deepEqual(srv.users.get(id), { id, userName: 'soapy', givenName: 'So', familyName: 'Apy', email: 'soapy@example.com', active: true })
      const found = await (await fetch(`${gw.url}/Users?filter=${encodeURIComponent('userName eq "SOAPY"')}`, { headers: h })).json() as { totalResults: number, Resources: Array<{ id: string }> }
      assert.equal(found.totalResults, 1)
      assert.equal(found.Resources[0]?.id, id)
      const patch = await fetch(`${gw.url}/Users/${id}`, { method: 'PATCH', headers: h, body: JSON.stringify({ schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'replace', path: 'active', value: false }] }) })
      assert.ok(patch.status === 200 || patch.status === 204)
      assert.equal(srv.users.get(id)?.active, false)
      const dup = await fetch(`${gw.url}/Users`, { method: 'POST', headers: h, body: JSON.stringify({ schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName: 'soapy' }) })
      assert.equal(dup.status, 409)
      assert.equal(((await dup.json()) as { scimType: string }).scimType, 'uniqueness')
      assert.equal((await fetch(`${gw.url}/Users/${id}`, { method: 'DELETE', headers: h })).status, 204)
      assert.equal(srv.users.has(id), false)
      assert.ok(['CreateUser', 'SearchUsers', 'UpdateUser', 'DeleteUser'].every(op => srv.calls.includes(op)))
    } finally { await gw.stop() }
  })

  it('wrong WS-Security credentials are a 502 (the service refused the gateway), an unreachable service 503', async () => {
    const s = createServer()
    await new Promise<void>(resolve => { s.listen(0, '127.0.0.1', resolve) })
    const dead = `http://127.0.0.1:${(s.address() as AddressInfo).port}/users`
    await new Promise<void>(resolve => { s.close(() => { resolve() }) })
    const plugin = createSoapPlugin(endpoint({ wsdl: WSDL_FILE, entity: { undefined: { serviceUrl: srv.url, username: 'superuser', password: 'wrong' }, dead: { serviceUrl: dead } } }), '/')
    await plugin.start?.(silentLogger)
    try {
      await assert.rejects(plugin.getUsers?.(query({ attribute: 'userName', operator: 'eq', value: 'x' }), ctx()) ?? Promise.resolve(), (e: unknown) => (e as { status?: number }).status === 502)
      await assert.rejects(plugin.getUsers?.(query({ attribute: 'userName', operator: 'eq', value: 'x' }), ctx('dead')) ?? Promise.resolve(), (e: unknown) => (e as { status?: number }).status === 503)
    } finally { await plugin.stop?.() }
  })

  it('config: the WSDL is required, unknown keys and bad URLs are reported with their paths', () => {
    const r = validate(soapEndpointSchema, { usernme: 'x', serviceUrl: 'ftp://x' }, {}, ['endpoint'])
    assert.equal(r.ok, false)
    const paths = r.errors.map(e => e.path)
    for (const p of ['endpoint.usernme', 'endpoint.serviceUrl']) assert.ok(paths.includes(p), paths.join())
    const r2 = validate(soapEndpointSchema, { username: 'x' }, {}, ['endpoint'])
    assert.ok(r2.errors.some(e => e.path === 'endpoint.wsdl'), JSON.stringify(r2.errors))
  })
})
