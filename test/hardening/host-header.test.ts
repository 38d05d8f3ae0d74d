// Issue 12 defect 2: the Host header is not reflected into Location / meta.location. Against a real
// server on a free port: `Host: evil.example` never shows up; `scimgateway.baseUrl` wins when set;
// X-Forwarded-Host/-Proto count only from a trusted proxy; a configured host name is honoured; a bad
// `scimgateway.baseUrl` is refused with its path.
import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import { request } from 'node:http'
import { ScimGateway } from '../../lib/core/gateway.ts'
import type { GatewayOptions } from '../../lib/core/options.ts'
import { createLokiPlugin } from '../../lib/plugins/plugin-loki.ts'
import { basicAuthenticator } from '../../lib/auth/index.ts'
import { silentLogger } from '../../lib/logging/types.ts'
import { gatewayConfigSchema } from '../../lib/config/gateway-schema.ts'
import { validate } from '../../lib/config/schema.ts'
import { gatewayOptionsFromConfig } from '../../lib/core/from-config.ts'

const ADMIN = 'Basic ' + Buffer.from('gwadmin:password').toString('base64')
const gateways: ScimGateway[] = []
after(async () => { for (const g of gateways) await g.stop() })

async function start (options: Partial<GatewayOptions> = {}): Promise<number> {
  const gw = new ScimGateway({
    plugin: createLokiPlugin({ persistence: 'memory', demoData: false }),
    options: { port: 0, localhostOnly: true, authenticators: [basicAuthenticator([{ username: 'gwadmin', password: 'password' }])], ...options },
    log: silentLogger
  })
  await gw.start()
  gateways.push(gw)
  return gw.port as number
}

let n = 0
/** POST /Users over a real socket with the given headers; returns Location and meta.location. */
async function create (port: number, headers: Record<string, string>): Promise<{ status: number, location: string | undefined, meta: string | undefined }> {
  const body = JSON.stringify({ schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName: `host-${++n}` })
  return await new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method: 'POST', path: '/Users', headers: { authorization: ADMIN, 'content-type': 'application/scim+json', 'content-length': Buffer.byteLength(body), ...headers } }, (res) => {
      let text = ''
      res.on('data', (c: Buffer) => { text += c.toString() })
      res.on('end', () => {
        const parsed = JSON.parse(text) as { meta?: { location?: string } }
        resolve({ status: res.statusCode ?? 0, location: res.headers.location, meta: parsed.meta?.location })
      })
    })
    req.on('error', reject)
    req.end(body)
  })
}

test('Host: evil.example is not reflected; the connected address is used instead', async () => {
  const port = await start()
  const r = await create(port, { host: 'evil.example' })
  assert.equal(r.status, 201)
  assert.ok(r.location !== undefined && !r.location.includes('evil.example'), `Location ${r.location ?? ''}`)
  assert.ok(r.location.startsWith(`http://127.0.0.1:${port}/Users/`), `Location ${r.location}`)
  assert.equal(r.meta, r.location)
})

test('a Host naming this gateway (loopback, configured hostnames) is kept', async () => {
  const port = await start({ hostnames: ['scim.internal.example'] })
  assert.ok((await create(port, { host: `localhost:${port}` })).location?.startsWith(`http://localhost:${port}/Users/`))
  assert.ok((await create(port, { host: 'scim.internal.example:8443' })).location?.startsWith('http://scim.internal.example:8443/Users/'))
  assert.ok(!((await create(port, { host: 'scim.internal.example.evil.example' })).location ?? '').includes('evil'))
})

test('scimgateway.baseUrl wins over Host and X-Forwarded-*', async () => {
  const port = await start({ baseUrl: 'https://scim.example.com/gw/', trustProxy: true })
  const r = await create(port, { host: 'evil.example', 'x-forwarded-host': 'evil2.example', 'x-forwarded-proto': 'http' })
  assert.ok(r.location?.startsWith('https://scim.example.com/gw/Users/'), `Location ${r.location ?? ''}`)
  assert.equal(r.meta, r.location)
})

test('X-Forwarded-Host/-Proto only from a trusted proxy', async () => {
  const untrusted = await start()
  const a = await create(untrusted, { 'x-forwarded-host': 'evil.example', 'x-forwarded-proto': 'https' })
  assert.ok(a.location?.startsWith(`http://127.0.0.1:${untrusted}/Users/`), `Location ${a.location ?? ''}`)
  const otherProxy = await start({ trustProxy: ['10.0.0.0/8'] })
  const b = await create(otherProxy, { 'x-forwarded-host': 'evil.example' })
  assert.ok(!(b.location ?? '').includes('evil.example'))
  const trusted = await start({ trustProxy: ['127.0.0.1'] })
  const c = await create(trusted, { 'x-forwarded-host': 'scim.example.org', 'x-forwarded-proto': 'https' })
  assert.ok(c.location?.startsWith('https://scim.example.org/Users/'), `Location ${c.location ?? ''}`)
  const junk = await create(trusted, { 'x-forwarded-host': 'a b/evil', 'x-forwarded-proto': 'javascript' })
  assert.ok(!(junk.location ?? '').includes('evil'), `Location ${junk.location ?? ''}`)
})

test('scimgateway.baseUrl and hostnames come from the config; a bad baseUrl is refused with its path', () => {
  const bad = validate(gatewayConfigSchema, { scimgateway: { baseUrl: 'scim.example.com' } })
  assert.equal(bad.ok, false)
  assert.deepEqual(bad.errors.map(e => e.path), ['scimgateway.baseUrl'])
  const ftp = validate(gatewayConfigSchema, { scimgateway: { baseUrl: 'ftp://x.example' } })
  assert.deepEqual(ftp.errors.map(e => e.path), ['scimgateway.baseUrl'])
  const good = validate(gatewayConfigSchema, { scimgateway: { baseUrl: 'https://scim.example.com', hostnames: ['gw.local'] } }, { coerce: true })
  assert.ok(good.ok)
  const opts = gatewayOptionsFromConfig(good.value)
  assert.equal(opts.baseUrl, 'https://scim.example.com')
  assert.deepEqual(opts.hostnames, ['gw.local'])
})
