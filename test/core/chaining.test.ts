// Gateway chaining over real HTTP: gateway1 (chainingBaseUrl) → gateway2 (plugin-loki). gateway1
// checks credentials itself, forwards the caller's Authorization for gateway2 to check again, passes
// baseEntity, version prefix, query, body and ETag headers through, rewrites gateway2's URLs to its
// own, and answers 502/504 when gateway2 is down or slow. With auth.passThrough only gateway2 decides.
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { createServer } from 'node:http'
import { createChainingForwarder } from '../../lib/core/chaining.ts'
import { basicAuthenticator } from '../../lib/auth/index.ts'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { loadPluginConfig, isConfigError } from '../../lib/config/index.ts'
import { gatewayOptionsFromConfig } from '../../lib/core/from-config.ts'
import { ScimGateway } from '../../lib/core/gateway.ts'
import { createLokiPlugin } from '../../lib/plugins/plugin-loki.ts'
import { silentLogger } from '../../lib/logging/types.ts'

const basic = (u: string, p: string): string => 'Basic ' + Buffer.from(`${u}:${p}`).toString('base64')
const ADMIN = basic('gwadmin', 'password')
let dir: string
let n = 0
const started: ScimGateway[] = []

async function gateway (scimgateway: Record<string, unknown>, entities: string[] = []): Promise<ScimGateway> {
  const name = `chain${++n}`
  await writeFile(join(dir, `plugin-${name}.json`), JSON.stringify({ scimgateway: { port: 1, ...scimgateway }, endpoint: { entity: Object.fromEntries(entities.map(e => [e, {}])) } }))
  const { config, configDir } = await loadPluginConfig(name, { configDir: dir, env: { SEED: 'chain-seed' } })
  const plugin = createLokiPlugin({ persistence: 'memory', demoData: true, entities })
  const gw = new ScimGateway({ plugin, options: { ...gatewayOptionsFromConfig(config, [], { configDir, plugin }), port: 0, localhostOnly: true }, log: silentLogger })
  await gw.start()
  started.push(gw)
  return gw
}

before(async () => { dir = await mkdtemp(join(tmpdir(), 'gw-chain-')) })
after(async () => {
  for (const g of started) await g.stop()
  await rm(dir, { recursive: true, force: true })
})

describe('chainingBaseUrl', () => {
  let inner: ScimGateway
  let outer: ScimGateway
  before(async () => {
    inner = await gateway({ auth: { basic: [{ username: 'gwadmin', password: 'password' }, { username: 'inner-only', password: 'x-pw' }] } }, ['clientA'])
    outer = await gateway({ chainingBaseUrl: inner.url, auth: { basic: [{ username: 'gwadmin', password: 'password' }, { username: 'outer-only', password: 'o-pw' }] } })
  })

  it('forwards reads, writes, baseEntity, /scim/v2 prefixes and filters; URLs are the outer gateway\'s', async () => {
    const list = await fetch(`${outer.url}/scim/v2/Users?filter=${encodeURIComponent('userName eq "bjensen"')}`, { headers: { authorization: ADMIN } })
    assert.equal(list.status, 200)
    const body = await list.json() as { totalResults: number, Resources: Array<{ userName: string, meta: { location: string } }> }
    assert.equal(body.totalResults, 1)
    assert.equal(body.Resources[0]?.userName, 'bjensen')
    assert.ok(body.Resources[0]?.meta.location.startsWith(`${outer.url}/scim/v2/Users/`), body.Resources[0]?.meta.location)

    const created = await fetch(`${outer.url}/clientA/Users`, { method: 'POST', headers: { authorization: ADMIN, 'content-type': 'application/scim+json' }, body: JSON.stringify({ userName: 'chained.user', active: true }) })
    assert.equal(created.status, 201)
    assert.ok(created.headers.get('location')?.startsWith(`${outer.url}/clientA/Users/`), created.headers.get('location') ?? '')
    const etag = created.headers.get('etag')
    assert.ok(etag !== null)
    const id = (await created.json() as { id: string }).id
    // it landed in gateway2's clientA store, not in its default store
    assert.equal((await fetch(`${inner.url}/clientA/Users/${id}`, { headers: { authorization: ADMIN } })).status, 200)
    assert.equal((await fetch(`${inner.url}/Users/${id}`, { headers: { authorization: ADMIN } })).status, 404)

    const stale = await fetch(`${outer.url}/clientA/Users/${id}`, { method: 'PATCH', headers: { authorization: ADMIN, 'content-type': 'application/scim+json', 'if-match': 'W/"stale"' }, body: JSON.stringify({ schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'replace', path: 'displayName', value: 'X' }] }) })
    assert.equal(stale.status, 412)
    const patched = await fetch(`${outer.url}/clientA/Users/${id}`, { method: 'PATCH', headers: { authorization: ADMIN, 'content-type': 'application/scim+json', 'if-match': etag }, body: JSON.stringify({ schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'replace', path: 'displayName', value: 'Chained' }] }) })
    assert.equal(patched.status, 204)
    const read = await fetch(`${inner.url}/clientA/Users/${id}`, { headers: { authorization: ADMIN } })
    assert.equal((await read.json() as { displayName: string }).displayName, 'Chained')
    assert.equal((await fetch(`${outer.url}/clientA/Users/${id}`, { method: 'DELETE', headers: { authorization: ADMIN } })).status, 204)
    assert.equal((await fetch(`${inner.url}/clientA/Users/${id}`, { headers: { authorization: ADMIN } })).status, 404)
  })

  it('both gateways check the credentials', async () => {
    assert.equal((await fetch(`${outer.url}/Users`)).status, 401)
    // known to gateway2 only: refused by gateway1
    assert.equal((await fetch(`${outer.url}/Users`, { headers: { authorization: basic('inner-only', 'x-pw') } })).status, 401)
    // known to gateway1 only: gateway2 refuses, and its 401 comes back
    const r = await fetch(`${outer.url}/Users`, { headers: { authorization: basic('outer-only', 'o-pw') } })
    assert.equal(r.status, 401)
    assert.match(r.headers.get('www-authenticate') ?? '', /Basic/)
  })

  it('/ping and /logger stay local; discovery is forwarded', async () => {
    assert.equal(await (await fetch(`${outer.url}/ping`)).text(), 'hello')
    const spc = await fetch(`${outer.url}/ServiceProviderConfig`, { headers: { authorization: ADMIN } })
    assert.equal(spc.status, 200)
    assert.equal((await fetch(`${outer.url}/unknownTenant/Users`, { headers: { authorization: ADMIN } })).status, 404)
  })
})

describe('chainingBaseUrl with auth.passThrough', () => {
  it('gateway1 does not check; gateway2 decides', async () => {
    const inner = await gateway({ auth: { basic: [{ username: 'gwadmin', password: 'password' }] } })
    const outer = await gateway({ chainingBaseUrl: inner.url, auth: { passThrough: { enabled: true } } })
    assert.equal((await fetch(`${outer.url}/Users`, { headers: { authorization: ADMIN } })).status, 200)
    assert.equal((await fetch(`${outer.url}/Users`, { headers: { authorization: basic('gwadmin', 'wrong') } })).status, 401)
  })
})

describe('chainingBaseUrl failures', () => {
  it('an unreachable next gateway is 502, a silent one 504 — as SCIM errors', async () => {
    const dead = createServer()
    await new Promise<void>(resolve => dead.listen(0, '127.0.0.1', resolve))
    const deadPort = (dead.address() as { port: number }).port
    await new Promise<void>(resolve => dead.close(() => { resolve() }))
    const outer = await gateway({ chainingBaseUrl: `http://127.0.0.1:${deadPort}`, auth: { basic: [{ username: 'gwadmin', password: 'password' }] } })
    const r = await fetch(`${outer.url}/Users`, { headers: { authorization: ADMIN } })
    assert.equal(r.status, 502)
    assert.match((await r.json() as { detail: string }).detail, /could not be reached/)

    const silent = createServer(() => { /* never answers */ })
    await new Promise<void>(resolve => silent.listen(0, '127.0.0.1', resolve))
    const plugin = createLokiPlugin({ persistence: 'memory', demoData: false })
    const slow = new ScimGateway({
      plugin,
      options: { port: 0, localhostOnly: true, acceptAnyBaseEntity: true, authenticators: [basicAuthenticator([{ username: 'gwadmin', password: 'password' }])], forwarders: [createChainingForwarder({ baseUrl: `http://127.0.0.1:${(silent.address() as { port: number }).port}`, timeoutMs: 300, maxPayloadBytes: 1024 })] },
      log: silentLogger
    })
    await slow.start()
    try {
      const t = await fetch(`${slow.url}/Users`, { headers: { authorization: ADMIN } })
      assert.equal(t.status, 504)
      assert.match((await t.json() as { detail: string }).detail, /did not answer within 300 ms/)
    } finally {
      await slow.stop()
      silent.closeAllConnections()
      await new Promise<void>(resolve => silent.close(() => { resolve() }))
    }
  })

  it('a bad chainingBaseUrl and azureRelay.enabled are refused at start with their paths', async () => {
    await writeFile(join(dir, 'plugin-badchain.json'), JSON.stringify({ scimgateway: { chainingBaseUrl: 'ftp://x', azureRelay: { enabled: true, connectionUrl: 'https://ns.servicebus.windows.net/hc' } } }))
    const { config, configDir } = await loadPluginConfig('badchain', { configDir: dir, env: { SEED: 'chain-seed' } })
    assert.throws(() => gatewayOptionsFromConfig(config, [], { configDir }), (err: unknown) => {
      assert.ok(isConfigError(err))
      assert.match(err.message, /scimgateway\.chainingBaseUrl/)
      assert.match(err.message, /scimgateway\.azureRelay\.enabled.*not supported/)
      return true
    })
  })
})
