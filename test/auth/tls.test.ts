// TLS and mutual TLS from a config file, with certificates generated in the test: PEM key/cert under
// <configDir>/certs and an absolute path, several CAs, a PFX bundle with its password (encrypted in
// the config on load), client certificates required and mapped to principals.
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { request } from 'node:https'
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { loadPluginConfig } from '../../lib/config/index.ts'
import { gatewayOptionsFromConfig } from '../../lib/core/from-config.ts'
import { ScimGateway } from '../../lib/core/gateway.ts'
import { silentLogger } from '../../lib/logging/types.ts'
import { createServer as createHttpsServer } from 'node:https'
import type { AddressInfo } from 'node:net'
import { Hono } from 'hono'
import { serve, type ServerType } from '@hono/node-server'
import { clientCertificateAuthenticator, clientCertificateOf } from '../../lib/auth/index.ts'
import { fullPlugin, makePki, type Pki } from './support.ts'

interface HttpsResult { status: number, body: string }

async function httpsGet (url: string, opts: { ca: string, cert?: string, key?: string, authorization?: string, method?: string, body?: string }): Promise<HttpsResult> {
  return await new Promise((resolve, reject) => {
    const r = request(url, {
      method: opts.method ?? 'GET', ca: opts.ca, agent: false,
      ...(opts.cert !== undefined ? { cert: opts.cert, key: opts.key } : {}),
      headers: opts.authorization !== undefined ? { authorization: opts.authorization } : {}
    }, (res) => {
      let body = ''
      res.on('data', (d: Buffer) => { body += d.toString() })
      res.on('end', () => { resolve({ status: res.statusCode ?? 0, body }) })
    })
    r.on('error', reject)
    r.end(opts.body)
  })
}

const ADMIN = `Basic ${Buffer.from('admin:tls-pw').toString('base64')}`
const SEED = 'tls-test-seed'

async function startFromConfig (dir: string, scimgateway: Record<string, unknown>): Promise<ScimGateway> {
  await writeFile(join(dir, 'plugin-tls.json'), JSON.stringify({ scimgateway: { port: 8880, auth: { basic: [{ username: 'admin', password: 'tls-pw' }] }, ...scimgateway }, endpoint: {} }, null, 2))
  const { config, configDir } = await loadPluginConfig('tls', { configDir: dir, env: { SEED } })
  const plugin = fullPlugin()
  const gw = new ScimGateway({ plugin, options: { ...gatewayOptionsFromConfig(config, [], { configDir, plugin }), port: 0, localhostOnly: true }, log: silentLogger })
  await gw.start()
  return gw
}

let pki: Pki
let otherPki: Pki
let dir: string
before(async () => {
  pki = makePki()
  otherPki = makePki()
  dir = await mkdtemp(join(tmpdir(), 'gw-tls-'))
  await mkdir(join(dir, 'certs'))
  await writeFile(join(dir, 'certs', 'server-key.pem'), pki.serverKeyPem, { mode: 0o600 })
  await writeFile(join(dir, 'certs', 'server-cert.pem'), pki.serverCertPem)
  await writeFile(join(dir, 'certs', 'ca.pem'), pki.caPem)
  await writeFile(join(dir, 'other-ca.pem'), otherPki.caPem)
  await writeFile(join(dir, 'certs', 'server.pfx'), pki.serverPfx('pfx-pass-123'))
})
after(async () => { await rm(dir, { recursive: true, force: true }) })

describe('TLS from config', () => {
  it('PEM key/cert from config/certs: HTTPS works, plain HTTP does not', async () => {
    const gw = await startFromConfig(dir, { certificate: { key: 'server-key.pem', cert: 'server-cert.pem' } })
    try {
      assert.match(gw.url, /^https:/)
      const r = await httpsGet(`${gw.url}/Users`, { ca: pki.caPem, authorization: ADMIN })
      assert.equal(r.status, 200)
      await assert.rejects(httpsGet(`${gw.url}/Users`, { ca: otherPki.caPem, authorization: ADMIN }), 'a client that does not trust the CA refuses the server')
      await assert.rejects(fetch(`http://127.0.0.1:${gw.port}/Users`, { headers: { authorization: ADMIN }, signal: AbortSignal.timeout(3000) }))
    } finally { await gw.stop() }
  })

  it('PFX bundle with a password; the password is encrypted in the config file on load', async () => {
    const gw = await startFromConfig(dir, { certificate: { pfx: { bundle: 'server.pfx', password: 'pfx-pass-123' } } })
    try {
      assert.equal((await httpsGet(`${gw.url}/Users`, { ca: pki.caPem, authorization: ADMIN })).status, 200)
      const onDisk = await readFile(join(dir, 'plugin-tls.json'), 'utf8')
      assert.doesNotMatch(onDisk, /pfx-pass-123/)
      assert.doesNotMatch(onDisk, /"tls-pw"/)
      assert.match(onDisk, /"password": "\{enc:v1\}/)
    } finally { await gw.stop() }
  })

  it('a missing certificate file is a config error naming the path', async () => {
    await writeFile(join(dir, 'plugin-tls.json'), JSON.stringify({ scimgateway: { certificate: { key: 'nope.pem', cert: 'server-cert.pem' } } }))
    const { config, configDir } = await loadPluginConfig('tls', { configDir: dir, env: { SEED } })
    assert.throws(() => gatewayOptionsFromConfig(config, [], { configDir }), /scimgateway\.certificate\.key: .*nope\.pem/)
  })
})

describe('mutual TLS', () => {
  let gw: ScimGateway
  before(async () => {
    gw = await startFromConfig(dir, {
      certificate: { key: join(dir, 'certs', 'server-key.pem'), cert: 'server-cert.pem', ca: [join(dir, 'other-ca.pem'), 'ca.pem'] },
      auth: { basic: [{ username: 'admin', password: 'tls-pw' }], clientCertificate: [{ commonName: 'idp-client', baseEntities: [], readOnly: true }] }
    })
  })
  after(async () => { await gw.stop() })

  it('requires a client certificate signed by one of the configured CAs', async () => {
    await assert.rejects(httpsGet(`${gw.url}/Users`, { ca: pki.caPem, authorization: ADMIN }), 'no client certificate')
    const foreign = makePki().client('idp-client')
    await assert.rejects(httpsGet(`${gw.url}/Users`, { ca: pki.caPem, cert: foreign.certPem, key: foreign.keyPem, authorization: ADMIN }), 'certificate of an unknown CA')
    // several CAs: a client of the second CA in the list is accepted at the TLS level
    const second = otherPki.client('someone')
    assert.equal((await httpsGet(`${gw.url}/Users`, { ca: pki.caPem, cert: second.certPem, key: second.keyPem, authorization: ADMIN })).status, 200)
    const c = pki.client('any')
    assert.equal((await httpsGet(`${gw.url}/Users`, { ca: pki.caPem, cert: c.certPem, key: c.keyPem, authorization: ADMIN })).status, 200)
  })

  it('a verified certificate of an admitted subject is a principal on its own (readOnly applies)', async () => {
    const c = pki.client('idp-client')
    const who = await httpsGet(`${gw.url}/auth`, { ca: pki.caPem, cert: c.certPem, key: c.keyPem })
    assert.equal(who.status, 200, who.body)
    assert.deepEqual(JSON.parse(who.body), { authenticated: true, principal: 'idp-client', method: 'clientCertificate' })
    assert.equal((await httpsGet(`${gw.url}/Users`, { ca: pki.caPem, cert: c.certPem, key: c.keyPem })).status, 200)
    const write = await httpsGet(`${gw.url}/Users`, { ca: pki.caPem, cert: c.certPem, key: c.keyPem, method: 'POST', body: JSON.stringify({ userName: 'x' }) })
    assert.equal(write.status, 405, write.body)
    const other = pki.client('not-admitted')
    assert.equal((await httpsGet(`${gw.url}/Users`, { ca: pki.caPem, cert: other.certPem, key: other.keyPem })).status, 401)
  })
})

describe('clientCertificateOf on a real TLS socket', () => {
  it('gives subject, CN and fingerprint of a verified client certificate, and authenticates it', async () => {
    const app = new Hono()
    const admit = clientCertificateAuthenticator([{ commonName: 'cert-user', baseEntities: ['clientA'] }])
    app.get('*', async (c) => {
      const cert = clientCertificateOf(c.env)
      const result = await admit.authenticate({ authorization: c.req.header('authorization'), remoteAddress: undefined, clientCertificate: cert })
      return c.json({ cert: cert ?? null, result })
    })
    const server = await new Promise<ServerType>((resolve) => {
      const s = serve({
        fetch: app.fetch, hostname: '127.0.0.1', port: 0, createServer: createHttpsServer,
        serverOptions: { key: pki.serverKeyPem, cert: pki.serverCertPem, ca: [pki.caPem], requestCert: true, rejectUnauthorized: true }
      }, () => { resolve(s) })
    })
    try {
      const url = `https://127.0.0.1:${(server.address() as AddressInfo).port}/`
      const c = pki.client('cert-user')
      const r = JSON.parse((await httpsGet(url, { ca: pki.caPem, cert: c.certPem, key: c.keyPem })).body) as { cert: Record<string, string>, result: Record<string, unknown> }
      assert.equal(r.cert.commonName, 'cert-user')
      assert.match(r.cert.subject ?? '', /O=Gateway Tests, CN=cert-user/)
      assert.match(r.cert.fingerprint256 ?? '', /^([0-9A-F]{2}:){31}[0-9A-F]{2}$/)
      assert.deepEqual(r.result, { kind: 'ok', principal: { name: 'cert-user', method: 'clientCertificate', readOnly: false, baseEntities: ['clientA'] } })
      const other = pki.client('stranger')
      const r2 = JSON.parse((await httpsGet(url, { ca: pki.caPem, cert: other.certPem, key: other.keyPem })).body) as { result: { kind: string } }
      assert.equal(r2.result.kind, 'fail')
      const withHeader = JSON.parse((await httpsGet(url, { ca: pki.caPem, cert: c.certPem, key: c.keyPem, authorization: ADMIN })).body) as { result: { kind: string } }
      assert.equal(withHeader.result.kind, 'skip', 'an Authorization header is left to the other methods')
    } finally {
      await new Promise<void>(resolve => { server.close(() => { resolve() }) })
    }
  })
})

