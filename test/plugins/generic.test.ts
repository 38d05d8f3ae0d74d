// plugin-generic: the plugin contract suite through generic → a real loki gateway over HTTP, the
// shipped config, the SCIM version gateway (1.1 ⇄ 2.0) end to end, error mapping of target failures.
import { describe, it, after, before } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, rm, copyFile, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createGenericPlugin, genericEndpointSchema, type GenericEndpoint } from '../../lib/plugins/plugin-generic.ts'
import { basicAuthenticator, passThroughAuthenticator } from '../../lib/auth/index.ts'
import { loadPluginConfig, isConfigError } from '../../lib/config/index.ts'
import { validate } from '../../lib/config/schema.ts'
import { silentLogger } from '../../lib/logging/types.ts'
import { startTestGateway, type TestGateway } from '../support/gateway.ts'
import { registerPluginContract } from './contract.ts'
import { ctx, query } from './contract-api.ts'
import { isScimError } from '../../lib/scim/errors.ts'
import { ServiceUnavailableError } from '../../lib/plugins/sdk/index.ts'
import { createLokiPlugin } from '../../lib/plugins/plugin-loki.ts'

const CRED = { username: 'gwadmin', password: 'password' }
const auth = { type: 'basic', options: CRED }

/** A loki gateway (memory) with basic auth on a free port: the target. */
async function lokiTarget (): Promise<TestGateway> {
  return await startTestGateway({ plugin: createLokiPlugin({ persistence: 'memory', demoData: false, entities: ['tenantA', 'tenantB'] }), options: { authenticators: [basicAuthenticator([CRED])], entities: ['tenantA', 'tenantB'] } })
}
const BASIC = `Basic ${Buffer.from(`${CRED.username}:${CRED.password}`).toString('base64')}`
/** fetch with the gateways' basic credentials. */
async function call (url: string, init: RequestInit = {}): Promise<Response> {
  return await fetch(url, { ...init, headers: { authorization: BASIC, 'content-type': 'application/json', ...(init.headers as Record<string, string> | undefined) } })
}

function endpoint (entities: Record<string, { url: string, version?: '2.0' | '1.1' }>): GenericEndpoint {
  const raw = { entity: Object.fromEntries(Object.entries(entities).map(([k, e]) => [k, { scimVersion: e.version ?? '2.0', connection: { baseUrls: [e.url], auth, retry: { baseDelayMs: 1, maxDelayMs: 5 } } }])) }
  const r = validate(genericEndpointSchema, raw)
  assert.ok(r.ok, JSON.stringify(r.errors))
  return r.value
}

registerPluginContract({
  name: 'plugin-generic → loki gateway (SCIM 2.0 over HTTP)',
  factory: async () => {
    const gw = await lokiTarget()
    return {
      plugin: createGenericPlugin(endpoint({ undefined: { url: gw.url }, tenantA: { url: `${gw.url}/tenantA` }, tenantB: { url: `${gw.url}/tenantB` } }), { configDir: tmpdir(), log: silentLogger }),
      cleanup: async () => { await gw.stop() }
    }
  },
  capabilities: { baseEntityIsolation: ['tenantA', 'tenantB'], unknownBaseEntity404: true, health: true }
})

registerPluginContract({
  name: 'plugin-generic → loki gateway speaking SCIM 1.1 (/v1)',
  factory: async () => {
    const gw = await lokiTarget()
    return {
      plugin: createGenericPlugin(endpoint({ undefined: { url: `${gw.url}/v1`, version: '1.1' } }), { configDir: tmpdir(), log: silentLogger }),
      cleanup: async () => { await gw.stop() }
    }
  },
  capabilities: { unknownBaseEntity404: true, health: true, baseEntityIsolation: 'covered by the SCIM 2.0 run (same plugin code path)' }
})

describe('plugin-generic', () => {
  let dir = ''
  before(async () => { dir = await mkdtemp(join(tmpdir(), 'generic-test-')) })
  after(async () => { await rm(dir, { recursive: true, force: true }) })

  it('the shipped config/plugin-generic.json validates and targets a loki gateway on localhost:8880', async () => {
    await copyFile(new URL('../../config/plugin-generic.json', import.meta.url), join(dir, 'plugin-generic.json'))
    const loaded = await loadPluginConfig('generic', { configDir: dir, endpointSchema: genericEndpointSchema, env: {} })
    const ep = loaded.endpoint as GenericEndpoint
    assert.deepEqual(ep.entity.undefined?.connection.baseUrls, ['http://localhost:8880'])
    assert.equal(ep.entity.undefined?.connection.auth?.type, 'basic')
    assert.equal(ep.entity.undefined?.scimVersion, '2.0')
    assert.equal(loaded.config.scimgateway.port, 8881)
  })

  it('config problems are reported with their paths in one ConfigError (unknown keys, options of another auth type)', async () => {
    await writeFile(join(dir, 'plugin-generic.json'), JSON.stringify({
      scimgateway: { port: 0 },
      endpoint: {
        entity: {
          undefined: { scimVersion: '3.0', connection: { baseUrls: ['ftp://x'], auth: { type: 'basic', options: { username: 'u', password: 'p', clientSecret: 'x' } }, proxi: {} } },
          a: { connection: { baseUrls: [] } }
        }
      }
    }))
    let err: unknown
    try { await loadPluginConfig('generic', { configDir: dir, endpointSchema: genericEndpointSchema, env: {} }) } catch (e) { err = e }
    assert.ok(isConfigError(err), String(err))
    const paths = err.problems.map(p => p.path)
    for (const p of ['endpoint.entity.undefined.scimVersion', 'endpoint.entity.undefined.connection.baseUrls[0]', 'endpoint.entity.undefined.connection.auth.options.clientSecret', 'endpoint.entity.undefined.connection.proxi', 'endpoint.entity.a.connection.baseUrls']) {
      assert.ok(paths.includes(p), `expected a problem at ${p}; got ${paths.join(', ')}`)
    }
    assert.match(err.message, /proxi: unknown key \(did you mean "proxy"\?\)/)
    assert.match(err.message, /clientSecret: not used by auth.type "basic"/)
  })

  it('a missing TLS file is a ConfigError naming the entity at creation, not a failure on the first request', () => {
    const ep = endpoint({ undefined: { url: 'https://127.0.0.1:1' } })
    const withTls = { entity: { undefined: { ...ep.entity.undefined, connection: { ...ep.entity.undefined?.connection, options: { tls: { ca: 'no-such-ca.pem' } } } } } } as unknown as GenericEndpoint
    assert.throws(() => createGenericPlugin(withTls, { configDir: dir, log: silentLogger }), (e: unknown) => isConfigError(e) && /endpoint\.entity\.undefined\.connection: .*no-such-ca\.pem/.test(e.message))
  })

  it('version gateway end to end: a SCIM 1.1 client → generic (1.1) → loki (2.0), and a 2.0 client → generic → loki speaking 1.1', async () => {
    const loki = await lokiTarget()
    const to20 = await startTestGateway({ plugin: createGenericPlugin(endpoint({ undefined: { url: loki.url } }), { configDir: dir, log: silentLogger }), options: { scimVersion: '1.1', authenticators: [basicAuthenticator([CRED])] } })
    const to11 = await startTestGateway({ plugin: createGenericPlugin(endpoint({ undefined: { url: `${loki.url}/v1`, version: '1.1' } }), { configDir: dir, log: silentLogger }), options: { authenticators: [basicAuthenticator([CRED])] } })
    try {
      const enterprise1 = 'urn:scim:schemas:extension:enterprise:1.0'
      const enterprise2 = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User'
      // 1.1 client creates through the 1.1 front
      let r = await call(`${to20.url}/Users`, { method: 'POST', body: JSON.stringify({ schemas: ['urn:scim:schemas:core:1.0', enterprise1], userName: 'v1user', [enterprise1]: { employeeNumber: '42' } }) })
      assert.equal(r.status, 201, await r.clone().text())
      const created = await r.json() as Record<string, unknown>
      assert.deepEqual(created.schemas, ['urn:scim:schemas:core:1.0', enterprise1])
      // the target stored it as 2.0
      const onLoki = await (await call(`${loki.url}/Users/${String(created.id)}`)).json() as Record<string, unknown>
      assert.ok((onLoki.schemas as string[]).includes('urn:ietf:params:scim:schemas:core:2.0:User'))
      assert.equal((onLoki[enterprise2] as { employeeNumber: string }).employeeNumber, '42')
      // 1.1 list response format from the 1.1 front
      r = await call(`${to20.url}/Users?filter=${encodeURIComponent('userName eq "v1user"')}`)
      const list = await r.json() as { schemas: string[], totalResults: number, Resources: Array<Record<string, unknown>> }
      assert.deepEqual(list.schemas, ['urn:scim:schemas:core:1.0'])
      assert.equal(list.totalResults, 1)
      // a 2.0 client reads the same user through the front whose target speaks 1.1
      r = await call(`${to11.url}/Users/${String(created.id)}`)
      const via11 = await r.json() as Record<string, unknown>
      assert.equal(via11.userName, 'v1user')
      assert.ok((via11.schemas as string[]).includes('urn:ietf:params:scim:schemas:core:2.0:User'))
      assert.equal((via11[enterprise2] as { employeeNumber: string }).employeeNumber, '42')
      // and changes it with a 2.0 PATCH; the target gets a 1.1 PUT and stores it
      r = await call(`${to11.url}/Users/${String(created.id)}`, { method: 'PATCH', body: JSON.stringify({ schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'replace', path: 'displayName', value: 'Via 1.1' }] }) })
      assert.ok(r.status === 200 || r.status === 204, await r.clone().text())
      assert.equal((await (await call(`${loki.url}/Users/${String(created.id)}`)).json() as { displayName: string }).displayName, 'Via 1.1')
    } finally {
      await to20.stop(); await to11.stop(); await loki.stop()
    }
  })

  it('endpoint.map (endpointMapper): valueMap renames and allowlists groups, attributes are renamed both ways, /Schemas follows the map', async () => {
    const loki = await lokiTarget()
    const ent = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User'
    const raw = {
      map: {
        user: { id: { mapTo: 'id', type: 'string' }, userName: { mapTo: 'userName', type: 'string' }, title: { mapTo: `${ent}.department`, type: 'string' } },
        group: { id: { mapTo: 'id', type: 'string' }, displayName: { mapTo: 'displayName', type: 'string', valueMap: { Employees: 'Admins' } } }
      },
      entity: { undefined: { connection: { baseUrls: [loki.url], auth } } }
    }
    const ep = validate(genericEndpointSchema, raw)
    assert.ok(ep.ok, JSON.stringify(ep.errors))
    const front = await startTestGateway({ plugin: createGenericPlugin(ep.value, { configDir: dir, log: silentLogger }), options: { authenticators: [basicAuthenticator([CRED])] } })
    try {
      const mk = async (path: string, body: unknown): Promise<Record<string, unknown>> => await (await call(`${loki.url}${path}`, { method: 'POST', body: JSON.stringify(body) })).json() as Record<string, unknown>
      const employees = await mk('/Groups', { schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], displayName: 'Employees' })
      await mk('/Groups', { schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], displayName: 'Others' })
      const u = await mk('/Users', { schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName: 'mapped', title: 'Sales' })
      const groups = await (await call(`${front.url}/Groups`)).json() as { totalResults: number, Resources: Array<{ id: string, displayName: string }> }
      assert.deepEqual(groups.Resources.map(g => [g.id, g.displayName]), [[employees.id, 'Admins']], 'only the allowlisted group, under its SCIM name')
      const byName = await (await call(`${front.url}/Groups?filter=${encodeURIComponent('displayName eq "Admins"')}`)).json() as { totalResults: number }
      assert.equal(byName.totalResults, 1)
      const hidden = await (await call(`${front.url}/Groups?filter=${encodeURIComponent('displayName eq "Others"')}`)).json() as { totalResults: number }
      assert.equal(hidden.totalResults, 0)
      const refused = await call(`${front.url}/Groups`, { method: 'POST', body: JSON.stringify({ schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], displayName: 'NotListed' }) })
      assert.equal(refused.status, 400)
      assert.equal((await refused.json() as { scimType: string }).scimType, 'invalidValue')
      const user = await (await call(`${front.url}/Users/${String(u.id)}`)).json() as Record<string, unknown>
      assert.equal((user[ent] as { department: string }).department, 'Sales')
      assert.equal(user.title, undefined)
      const patched = await call(`${front.url}/Users/${String(u.id)}`, { method: 'PATCH', body: JSON.stringify({ schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'replace', path: `${ent}:department`, value: 'Marketing' }] }) })
      assert.ok(patched.status === 200 || patched.status === 204, await patched.clone().text())
      assert.equal((await (await call(`${loki.url}/Users/${String(u.id)}`)).json() as { title: string }).title, 'Marketing')
      const schemas = JSON.stringify(await (await call(`${front.url}/Schemas`)).json())
      assert.match(schemas, /"canonicalValues":\["Admins"\]/)
    } finally {
      await front.stop(); await loki.stop()
    }
  })

  it('an overloaded target (503 + Retry-After beyond what the client waits) → 503 with Retry-After to the SCIM client', async () => {
    let hits = 0
    const busy = createServer((_req, res) => { hits++; res.writeHead(503, { 'retry-after': '120', 'content-type': 'application/json' }).end('{"detail":"maintenance"}') })
    await new Promise<void>(resolve => busy.listen(0, '127.0.0.1', resolve))
    const front = await startTestGateway({ plugin: createGenericPlugin(endpoint({ undefined: { url: `http://127.0.0.1:${(busy.address() as AddressInfo).port}` } }), { configDir: dir, log: silentLogger }), options: { authenticators: [basicAuthenticator([CRED])] } })
    try {
      const r = await call(`${front.url}/Users?filter=${encodeURIComponent('userName eq "x"')}`)
      assert.equal(r.status, 503)
      assert.equal(r.headers.get('retry-after'), '120')
      assert.match(await r.text(), /retry after 120 s/)
      assert.equal(hits, 1, 'a wait longer than retry.maxRetryAfterMs is not waited out')
      // the typed error carries the wait
      const e = await front.gateway.plugin.getUsers?.(query({ attribute: 'userName', operator: 'eq', value: 'x' }), ctx()).catch((x: unknown) => x)
      assert.ok(e instanceof ServiceUnavailableError && e.retryAfter === 120, String(e))
    } finally {
      await front.stop()
      busy.closeAllConnections()
      await new Promise<void>(resolve => { busy.close(() => { resolve() }) })
    }
  })

  it('stop() closes the connections; start() again serves with new ones', async () => {
    const loki = await lokiTarget()
    const p = createGenericPlugin(endpoint({ undefined: { url: loki.url } }), { configDir: dir, log: silentLogger })
    try {
      for (let round = 0; round < 2; round++) {
        await p.start?.(silentLogger)
        const r = await p.getUsers?.(query({ attribute: 'userName', operator: 'eq', value: 'nobody' }), ctx())
        assert.deepEqual(r?.Resources, [])
        await p.stop?.()
      }
    } finally {
      await loki.stop()
    }
  })

  it('auth pass-through: the SCIM client\'s own credentials go to the target, which decides', async () => {
    const loki = await lokiTarget()
    // the entity has no auth of its own: only what the caller sends reaches loki
    const ep = validate(genericEndpointSchema, { entity: { undefined: { connection: { baseUrls: [loki.url] } } } })
    assert.ok(ep.ok)
    const plugin = createGenericPlugin(ep.value, { configDir: dir, log: silentLogger })
    const front = await startTestGateway({ plugin, options: { passThrough: true, authenticators: [passThroughAuthenticator({ pluginSupportsPassThrough: plugin.capabilities?.passThrough === true })] } })
    try {
      const ok = await call(`${front.url}/Users?filter=${encodeURIComponent('userName eq "x"')}`)
      assert.equal(ok.status, 200, await ok.clone().text())
      const wrong = await fetch(`${front.url}/Users?filter=${encodeURIComponent('userName eq "x"')}`, { headers: { authorization: `Basic ${Buffer.from('gwadmin:wrong').toString('base64')}` } })
      assert.equal(wrong.status, 401, "the target's refusal of the caller's credentials reaches the caller as 401")
    } finally {
      await front.stop(); await loki.stop()
    }
  })

  it('target failures: down → 503, slow → 504, its SCIM errors pass through with status and scimType', async () => {
    const loki = await lokiTarget()
    const url = loki.url
    const p = createGenericPlugin(endpoint({ undefined: { url } }), { configDir: dir, log: silentLogger })
    await p.start?.(silentLogger)
    try {
      const c = ctx()
      await p.createUser?.({ schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName: 'dup' }, c)
      const dup = await p.createUser?.({ schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName: 'dup' }, c).catch((e: unknown) => e)
      assert.ok(isScimError(dup) && dup.status === 409 && dup.scimType === 'uniqueness', String(dup))
      const bad = await p.getUsers?.(query({ attribute: 'userName', operator: 'eq', value: 'x' }), c).then(() => undefined)
      assert.equal(bad, undefined)
      await loki.stop()
      const down = await p.getUsers?.(query({ attribute: 'userName', operator: 'eq', value: 'x' }), c).catch((e: unknown) => e)
      assert.ok(isScimError(down) && down.status === 503, String(down))
      const h = await p.health?.()
      assert.equal(h?.entities.undefined?.state, 'down')
    } finally {
      await p.stop?.()
      await loki.stop().catch(() => {})
    }
    // a target that accepts the connection but never answers: 504 after connection.options.abortTimeout
    const hang = createServer(() => {})
    await new Promise<void>(resolve => hang.listen(0, '127.0.0.1', resolve))
    const ep = endpoint({ undefined: { url: `http://127.0.0.1:${(hang.address() as AddressInfo).port}` } })
    const slow = createGenericPlugin({ entity: { undefined: { ...ep.entity.undefined, connection: { ...ep.entity.undefined?.connection, options: { abortTimeout: 0.2 } } } } } as unknown as GenericEndpoint, { configDir: dir, log: silentLogger })
    await slow.start?.(silentLogger)
    try {
      const late = await slow.getUsers?.(query({ attribute: 'userName', operator: 'eq', value: 'x' }), ctx()).catch((e: unknown) => e)
      assert.ok(isScimError(late) && late.status === 504, String(late))
    } finally {
      await slow.stop?.()
      hang.closeAllConnections()
      await new Promise<void>(resolve => { hang.close(() => { resolve() }) })
    }
  })
})
