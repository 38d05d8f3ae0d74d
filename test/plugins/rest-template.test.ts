// The REST plugin template (lib/plugins/sdk/template/plugin-rest.ts, the one docs/plugins.md walks
// through) against real REST backends (test/support/rest-backend.ts, one per baseEntity): the plugin
// contract suite, then what a SCIM client sees through a gateway — valueMap allowlisting, /Schemas
// from the map, backend failures as 502/503, health.
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { validate } from '../../lib/config/schema.ts'
import { createRestPlugin, restEndpointSchema, type RestEndpoint } from '../../lib/plugins/sdk/template/plugin-rest.ts'
import { startRestBackend, type RestBackend } from '../support/rest-backend.ts'
import { startTestGateway, type TestGateway } from '../support/gateway.ts'
import { registerPluginContract } from './contract.ts'

const MAP = {
  user: {
    uid: { mapTo: 'id' },
    login: { mapTo: 'userName' },
    first: { mapTo: 'name.givenName' },
    last: { mapTo: 'name.familyName' },
    display: { mapTo: 'displayName' },
    mail: { mapTo: 'emails.work' },
    enabled: { mapTo: 'active', type: 'boolean' },
    extId: { mapTo: 'externalId' }
  },
  group: {
    gid: { mapTo: 'id' },
    name: { mapTo: 'displayName' },
    extId: { mapTo: 'externalId' },
    memberIds: { mapTo: 'members.value', type: 'array' }
  }
}

/** The endpoint section as a config file would have it, validated like runGateway does. */
function endpoint (raw: unknown): RestEndpoint {
  const r = validate(restEndpointSchema, raw, { coerce: true }, ['endpoint'])
  assert.ok(r.ok, JSON.stringify(r.errors))
  return r.value
}

registerPluginContract({
  name: 'REST template (real HTTP backends)',
  factory: async () => {
    const backends = await Promise.all([startRestBackend(), startRestBackend(), startRestBackend()])
    const [d, a, b] = backends.map(x => x.url)
    return {
      plugin: createRestPlugin(endpoint({ map: MAP, entity: { undefined: { connection: { baseUrls: [d] } }, tenantA: { connection: { baseUrls: [a] } }, tenantB: { connection: { baseUrls: [b] } } } })),
      cleanup: async () => { await Promise.all(backends.map(async x => { await x.close() })) }
    }
  },
  capabilities: { baseEntityIsolation: ['tenantA', 'tenantB'], unknownBaseEntity404: true, health: true }
})

describe('REST template through a gateway', () => {
  let backend: RestBackend
  let gw: TestGateway
  before(async () => {
    backend = await startRestBackend()
    const map = { ...MAP, group: { ...MAP.group, name: { mapTo: 'displayName', valueMap: { 'grp-sales': 'Sales', 'grp-it': 'IT' } } } }
    // one attempt per request (no retry of a 503), so a backend failure reaches the SCIM client as it is
    gw = await startTestGateway({ plugin: createRestPlugin(endpoint({ map, entity: { undefined: { connection: { baseUrls: [backend.url], retry: { maxAttempts: 1 } } } } })), options: { allowAnonymous: true } })
  })
  after(async () => { await gw.stop(); await backend.close() })

  const req = async (method: string, path: string, body?: unknown): Promise<{ status: number, json: Record<string, unknown> }> => {
    const r = await fetch(`${gw.url}${path}`, { method, headers: { 'content-type': 'application/scim+json' }, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) })
    const text = await r.text()
    return { status: r.status, json: text === '' ? {} : JSON.parse(text) as Record<string, unknown> }
  }

  it('valueMap allowlists groups: unmapped backend groups are invisible, unmapped names refused with 400', async () => {
    backend.groups.set('g1', { gid: 'g1', name: 'grp-sales', memberIds: [] })
    backend.groups.set('g2', { gid: 'g2', name: 'secret-admins', memberIds: [] })
    const list = await req('GET', '/Groups')
    assert.equal(list.status, 200)
    assert.deepEqual((list.json.Resources as Array<{ displayName: string }>).map(g => g.displayName), ['Sales'])
    assert.equal((await req('GET', '/Groups/g2')).status, 404)
    assert.equal((await req('GET', '/Groups?filter=displayName eq "secret-admins"')).json.totalResults, 0)
    const byName = await req('GET', '/Groups?filter=displayName eq "sales"')
    assert.equal(byName.json.totalResults, 1)
    const created = await req('POST', '/Groups', { schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], displayName: 'IT' })
    assert.equal(created.status, 201)
    assert.equal(created.json.displayName, 'IT')
    assert.ok([...backend.groups.values()].some(g => g.name === 'grp-it'), 'written with the endpoint name')
    const refused = await req('POST', '/Groups', { schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], displayName: 'Hackers' })
    assert.equal(refused.status, 400)
    assert.equal(refused.json.scimType, 'invalidValue')
    assert.match(String(refused.json.detail), /"Hackers" is not an allowed value of displayName.*allowed: Sales, IT/)
    assert.ok(![...backend.groups.values()].some(g => g.name === 'Hackers'), 'nothing written')
  })

  it('/Schemas is generated from the map', async () => {
    const r = await req('GET', '/Schemas')
    const docs = r.json.Resources as Array<{ id: string, attributes: Array<{ name: string, canonicalValues?: string[] }> }>
    const user = docs.find(d => d.id === 'urn:ietf:params:scim:schemas:core:2.0:User')
    assert.deepEqual(user?.attributes.map(a => a.name).sort(), ['active', 'displayName', 'emails', 'name', 'userName'])
    const group = docs.find(d => d.id === 'urn:ietf:params:scim:schemas:core:2.0:Group')
    assert.deepEqual(group?.attributes.find(a => a.name === 'displayName')?.canonicalValues, ['Sales', 'IT'])
    assert.ok(!docs.some(d => d.id.includes('enterprise')), 'no enterprise attributes are mapped')
    const types = (await req('GET', '/ResourceTypes')).json.Resources as Array<{ id: string, schemaExtensions: unknown[] }>
    assert.deepEqual(types.find(t => t.id === 'User')?.schemaExtensions, [], '/ResourceTypes names no schema /Schemas lacks')
  })

  it('backend failures reach the client typed: 5xx → 502, 503 → 503; health reports the entity', async () => {
    backend.failNext(500)
    const r500 = await req('GET', '/Users')
    assert.equal(r500.status, 502)
    assert.match(String(r500.json.detail), /GET \/users: backend answered 500/)
    backend.failNext(503)
    assert.equal((await req('GET', '/Users')).status, 503)
    const h = await gw.gateway.health()
    assert.equal(h.status, 'up')
    assert.equal(h.entities.undefined?.state, 'up')
  })
})
