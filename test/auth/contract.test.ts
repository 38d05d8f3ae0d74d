// One auth contract, run against every auth method over real HTTP: every route (Users, Groups, Bulk,
// Schemas, ResourceTypes, ServiceProviderConfig, Roles, api, auth) × no/one baseEntity prefix ×
// readOnly × baseEntities. Allowed requests get the route's normal status; everything else is refused
// (401 for wrong/no credentials or another baseEntity, 405 for writes with read-only credentials).
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import type { AccessEntry } from '../../lib/auth/types.ts'
import { startTestGateway } from '../support/gateway.ts'
import { fullPlugin, startIdp, type IdpServer } from './support.ts'
import { authMethodCases } from './methods.ts'

interface Op { name: string, method: string, path: (ids: Ids) => string, body?: unknown, write: boolean, expect: number }
interface Ids { jsmith: string, created: string }

const USER = 'urn:ietf:params:scim:schemas:core:2.0:User'
let seq = 0
const OPS: Op[] = [
  { name: 'list users', method: 'GET', path: () => '/Users?count=5', write: false, expect: 200 },
  { name: 'get user', method: 'GET', path: ids => `/Users/${ids.jsmith}`, write: false, expect: 200 },
  { name: 'search users', method: 'POST', path: () => '/Users/.search', body: { schemas: ['urn:ietf:params:scim:api:messages:2.0:SearchRequest'], filter: 'userName eq "jsmith"' }, write: false, expect: 200 },
  { name: 'patch user', method: 'PATCH', path: ids => `/Users/${ids.created}`, body: { schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'replace', path: 'displayName', value: 'P' }] }, write: true, expect: 204 },
  { name: 'put user', method: 'PUT', path: ids => `/Users/${ids.created}`, body: () => ({ schemas: [USER], userName: 'put-target', displayName: 'Q' }), write: true, expect: 200 },
  { name: 'delete user', method: 'DELETE', path: ids => `/Users/${ids.created}`, write: true, expect: 204 },
  { name: 'list groups', method: 'GET', path: () => '/Groups', write: false, expect: 200 },
  { name: 'create group', method: 'POST', path: () => '/Groups', body: () => ({ schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], displayName: `g-${++seq}` }), write: true, expect: 201 },
  { name: 'bulk', method: 'POST', path: () => '/Bulk', body: () => ({ schemas: ['urn:ietf:params:scim:api:messages:2.0:BulkRequest'], Operations: [{ method: 'POST', path: '/Users', bulkId: 'b', data: { schemas: [USER], userName: `bulk-${++seq}` } }] }), write: true, expect: 200 },
  { name: 'schemas', method: 'GET', path: () => '/Schemas', write: false, expect: 200 },
  { name: 'resource types', method: 'GET', path: () => '/ResourceTypes', write: false, expect: 200 },
  { name: 'service provider config', method: 'GET', path: () => '/ServiceProviderConfig', write: false, expect: 200 },
  { name: 'roles', method: 'GET', path: () => '/Roles', write: false, expect: 200 },
  { name: 'get api', method: 'GET', path: () => '/api/things', write: false, expect: 200 },
  { name: 'post api', method: 'POST', path: () => '/api/things', body: { a: 1 }, write: true, expect: 201 },
  { name: 'auth check', method: 'GET', path: () => '/auth', write: false, expect: 200 }
]
const PREFIXES = ['', '/clientA', '/clientB', '/scim/v2']
const ACCESS: Array<{ label: string, access: AccessEntry }> = [
  { label: 'full access', access: {} },
  { label: 'readOnly', access: { readOnly: true } },
  { label: 'baseEntities [clientA]', access: { baseEntities: ['clientA'] } },
  { label: 'readOnly + baseEntities [clientA]', access: { readOnly: true, baseEntities: ['clientA'] } }
]

async function call (base: string, method: string, path: string, authorization: string | undefined, body?: unknown): Promise<{ status: number, text: string, headers: Headers }> {
  const headers: Record<string, string> = {}
  if (authorization !== undefined) headers.authorization = authorization
  const init: RequestInit = { method, headers }
  if (body !== undefined) {
    headers['content-type'] = 'application/scim+json'
    init.body = JSON.stringify(typeof body === 'function' ? (body as () => unknown)() : body)
  }
  const res = await fetch(`${base}${path}`, init)
  return { status: res.status, text: await res.text(), headers: res.headers }
}

let idp: IdpServer
before(async () => { idp = await startIdp() })
after(async () => { await idp.close() })

describe('auth contract: every method × route × readOnly × baseEntities', () => {
  // cases need the identity provider's URL: build them lazily inside each test
  for (const methodName of ['basic', 'bearerToken', 'bearerJwt secret (HS256)', 'bearerJwt wellKnownUri (RS256, JWKS)', 'bearerJwt azureTenantId', 'bearerOAuth', 'passThrough']) {
    describe(methodName, () => {
      for (const { label, access } of ACCESS) {
        it(label, async () => {
          const m = authMethodCases(idp).find(c => c.name === methodName)
          assert.ok(m !== undefined)
          const setup = await m.setup(access)
          const seen = { passThrough: [] as string[] }
          const gw = await startTestGateway({ plugin: fullPlugin(seen), options: { ...setup.options, entities: ['clientA', 'clientB'] } })
          try {
            const cred = await setup.credentials(gw.url)
            const wrong = await setup.wrong(gw.url)
            for (const prefix of PREFIXES) {
              const entity = prefix === '/clientA' ? 'clientA' : prefix === '/clientB' ? 'clientB' : undefined
              const entityOk = (access.baseEntities ?? []).length === 0 || (entity !== undefined && access.baseEntities?.includes(entity) === true)
              // ids for the targets (only needed when the principal may reach them)
              const ids: Ids = { jsmith: 'none', created: 'none' }
              if (entityOk) {
                const found = await call(gw.url, 'GET', `${prefix}/Users?filter=${encodeURIComponent('userName eq "jsmith"')}`, cred)
                assert.equal(found.status, 200, found.text)
                ids.jsmith = (JSON.parse(found.text) as { Resources: Array<{ id: string }> }).Resources[0]?.id ?? 'none'
                const created = await call(gw.url, 'POST', `${prefix}/Users`, cred, { schemas: [USER], userName: `target-${++seq}` })
                assert.equal(created.status, access.readOnly === true ? 405 : 201, created.text)
                if (created.status === 201) ids.created = (JSON.parse(created.text) as { id: string }).id
              }
              for (const op of OPS) {
                const where = `${op.method} ${prefix}${op.path(ids)}`
                const expected = !entityOk ? 401 : access.readOnly === true && op.write ? 405 : op.expect
                const r = await call(gw.url, op.method, `${prefix}${op.path(ids)}`, cred, op.body)
                assert.equal(r.status, expected, `${where}: ${r.text.slice(0, 200)}`)
                if (r.status === 401) assert.match(r.headers.get('www-authenticate') ?? '', /realm=/, where)
                const none = await call(gw.url, op.method, `${prefix}${op.path(ids)}`, undefined, op.body)
                assert.equal(none.status, 401, `${where} without credentials`)
                for (const w of wrong) {
                  const bad = await call(gw.url, op.method, `${prefix}${op.path(ids)}`, w, op.body)
                  assert.equal(bad.status, 401, `${where} with wrong credentials ${w.slice(0, 40)}`)
                  // same body whatever was wrong (no user enumeration)
                  assert.equal(bad.text, none.text, where)
                }
              }
            }
            if (methodName === 'passThrough') assert.ok(seen.passThrough.includes('Bearer endpoint-decides'), 'the plugin received the caller\'s Authorization')
            else assert.deepEqual(seen.passThrough, [], 'no pass-through without auth.passThrough')
          } finally {
            await gw.stop()
          }
        })
      }
    })
  }
})
