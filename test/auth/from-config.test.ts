// Config → gateway options for auth and network settings: every method from scimgateway's config keys
// (bearerJwt publicKey file, bearerJwtAzure, bearerOAuth with its routes, passThrough only for plugins
// that declare it), ipAllowList with trustProxy, rate limits, slow-down, and config mistakes reported
// with their paths.
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { generateKeyPairSync } from 'node:crypto'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { loadPluginConfig, isConfigError, type GatewayConfig } from '../../lib/config/index.ts'
import { gatewayOptionsFromConfig } from '../../lib/core/from-config.ts'
import { ScimGateway } from '../../lib/core/gateway.ts'
import { silentLogger } from '../../lib/logging/types.ts'
import { fullPlugin, signJwt } from './support.ts'

let dir: string
let n = 0
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'gw-auth-config-'))
  await mkdir(join(dir, 'certs'))
})
after(async () => { await rm(dir, { recursive: true, force: true }) })

async function load (scimgateway: Record<string, unknown>): Promise<{ config: GatewayConfig, configDir: string }> {
  const name = `cfg${++n}`
  await writeFile(join(dir, `plugin-${name}.json`), JSON.stringify({ scimgateway, endpoint: { entity: { clientA: {} } } }))
  return await loadPluginConfig(name, { configDir: dir, env: { SEED: 'cfg-seed' } })
}

async function gateway (scimgateway: Record<string, unknown>, plugin = fullPlugin()): Promise<ScimGateway> {
  const { config, configDir } = await load(scimgateway)
  const gw = new ScimGateway({ plugin, options: gatewayOptionsFromConfig(config, [], { configDir, plugin }), log: silentLogger })
  await plugin.start?.(silentLogger)
  return gw
}

const get = async (gw: ScimGateway, path: string, headers: Record<string, string> = {}): Promise<number> =>
  (await gw.app.request(`http://gw${path}`, { headers })).status

describe('auth methods from config', () => {
  it('bearerJwt publicKey from config/certs and bearerJwtAzure entries', async () => {
    const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
    await writeFile(join(dir, 'certs', 'jwt-pub.pem'), publicKey.export({ type: 'spki', format: 'pem' }))
    const gw = await gateway({ auth: { bearerJwt: [{ publicKey: 'jwt-pub.pem', readOnly: true }], bearerJwtAzure: [{ tenantIdGUID: 'tenant-guid' }], failedAuth: { delayMs: 0 } } })
    const token = await signJwt({ sub: 'ec-user' }, privateKey, { alg: 'ES256' }, { expiresIn: '5m' })
    assert.equal(await get(gw, '/Users', { authorization: `Bearer ${token}` }), 200)
    const w = await gw.app.request('http://gw/Users', { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/scim+json' }, body: '{}' })
    assert.equal(w.status, 405)
  })

  it('bearerOAuth mounts the token endpoint and keeps its key under config/certs', async () => {
    const gw = await gateway({ auth: { bearerOAuth: [{ clientId: 'cid', clientSecret: 'csecret' }] } })
    const r = await gw.app.request('http://gw/oauth/token', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'grant_type=client_credentials&client_id=cid&client_secret=csecret' })
    assert.equal(r.status, 200)
    const { access_token: t } = await r.json() as { access_token: string }
    assert.equal(await get(gw, '/Users', { authorization: `Bearer ${t}` }), 200)
    assert.equal((await gw.app.request('http://gw/.well-known/jwks.json')).status, 200)
  })

  it('passThrough needs a plugin that declares it; otherwise a config error, never an open gateway', async () => {
    const { config, configDir } = await load({ auth: { passThrough: { enabled: true } } })
    const plain = { name: 'plain', capabilities: {} }
    assert.throws(() => gatewayOptionsFromConfig(config, [], { configDir, plugin: plain }), (e: unknown) => isConfigError(e) && /auth\.passThrough\.enabled/.test(e.message))
    assert.throws(() => gatewayOptionsFromConfig(config, [], { configDir }), /capabilities\.passThrough/)
    const gw = await gateway({ auth: { passThrough: { enabled: true, baseEntities: ['clientA'] } } })
    assert.equal(await get(gw, '/clientA/Users', { authorization: 'Bearer anything' }), 200)
    assert.equal(await get(gw, '/Users', { authorization: 'Bearer anything' }), 401)
  })
})

describe('network settings from config', () => {
  it('ipAllowList refuses unknown and unlisted addresses; trustProxy as a comma-separated string', async () => {
    const gw = await gateway({ ipAllowList: ['10.0.0.0/8'], trustProxy: '127.0.0.1, ::1', auth: { basic: [{ username: 'a', password: 'b' }] } })
    // app.request has no socket: the address is unknown, so refused
    assert.equal(await get(gw, '/Users', { authorization: `Basic ${Buffer.from('a:b').toString('base64')}` }), 403)
    await gw.start()
    try {
      const h = { authorization: `Basic ${Buffer.from('a:b').toString('base64')}` }
      assert.equal((await fetch(`${gw.url}/Users`, { headers: { ...h, 'x-forwarded-for': '10.2.3.4' } })).status, 200)
      assert.equal((await fetch(`${gw.url}/Users`, { headers: h })).status, 403)
    } finally { await gw.stop() }
  })

  it('rate limits per address and per principal from config', async () => {
    const gw = await gateway({ auth: { basic: [{ username: 'a', password: 'b' }], rateLimit: { perPrincipal: { requestsPerSecond: 0.001, burst: 2 } } } })
    const h = { authorization: `Basic ${Buffer.from('a:b').toString('base64')}` }
    assert.deepEqual([await get(gw, '/Users', h), await get(gw, '/Users', h), await get(gw, '/Users', h)], [200, 200, 429])
    const gw2 = await gateway({ auth: { basic: [{ username: 'a', password: 'b' }], rateLimit: { perAddress: { requestsPerSecond: 0.001, burst: 1 } } } })
    assert.deepEqual([await get(gw2, '/Users', h), await get(gw2, '/Users')], [200, 429])
  })

  it('invalid CIDRs are reported with their config path', async () => {
    const { config, configDir } = await load({ ipAllowList: ['10.0.0.0/8', 'not-a-range'] })
    assert.throws(() => gatewayOptionsFromConfig(config, [], { configDir }), (e: unknown) => isConfigError(e) && /scimgateway\.ipAllowList: .*not-a-range/.test(e.message))
  })

  it('the failed-auth slow-down is on by default and can be switched off', async () => {
    const on = gatewayOptionsFromConfig((await load({})).config, [], {})
    assert.equal(on.authObservers?.length, 1)
    const off = gatewayOptionsFromConfig((await load({ auth: { failedAuth: { delayMs: 0 } } })).config, [], {})
    assert.equal(off.authObservers?.length, 0)
  })
})
