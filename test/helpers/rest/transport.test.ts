// REST client transport against real components: a forward proxy (CONNECT tunnel, Basic
// Proxy-Authorization), HTTPS with a generated CA, client certificates (PEM files and PKCS#12),
// TLS failures as typed network errors.
import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { TLSSocket } from 'node:tls'
import forge from 'node-forge'
import { createRestClient, isRestError, type RestClient } from '../../../lib/helpers/rest/index.ts'
import { startForwardProxy, type ForwardProxy } from '../../support/forward-proxy.ts'
import { makePki, type Pki } from '../../auth/support.ts'
import { json, startServer, type TestServer } from './support.ts'

describe('rest client: proxy and TLS', () => {
  let pki: Pki
  let certsDir = ''
  let https: TestServer
  let http: TestServer
  let proxy: ForwardProxy
  const clients: RestClient[] = []
  const client = (...a: Parameters<typeof createRestClient>): RestClient => { const c = createRestClient(...a); clients.push(c); return c }
  const client1 = { keyPem: '', certPem: '' }

  before(async () => {
    pki = makePki()
    certsDir = await mkdtemp(join(tmpdir(), 'rest-certs-'))
    Object.assign(client1, pki.client('gateway-client'))
    await writeFile(join(certsDir, 'ca.pem'), pki.caPem)
    await writeFile(join(certsDir, 'client.pem'), client1.certPem)
    await writeFile(join(certsDir, 'client-key.pem'), client1.keyPem)
    // the client certificate and key as PKCS#12 (what Windows exports)
    const p12 = forge.pkcs12.toPkcs12Asn1(forge.pki.privateKeyFromPem(client1.keyPem), [forge.pki.certificateFromPem(client1.certPem)], 'pfx-pass', { algorithm: '3des' })
    await writeFile(join(certsDir, 'client.pfx'), Buffer.from(forge.asn1.toDer(p12).getBytes(), 'binary'))
    https = await startServer((req, res) => {
      const sock = res.socket as TLSSocket
      const peer = sock.getPeerCertificate()
      json(res, 200, { path: req.url, clientCn: sock.authorized ? peer.subject.CN : null })
    }, { key: pki.serverKeyPem, cert: pki.serverCertPem, ca: pki.caPem, requestCert: true, rejectUnauthorized: false })
    http = await startServer((req, res) => { json(res, 200, { path: req.url, via: req.headers['proxy-authorization'] ?? null }) })
    proxy = await startForwardProxy({ username: 'proxyuser', password: 'proxypass' })
  })
  after(async () => {
    for (const c of clients) await c.close()
    await https.stop(); await http.stop(); await proxy.stop()
    await rm(certsDir, { recursive: true, force: true })
  })

  it('HTTPS with the CA from a file in the certs directory; a client certificate (PEM files) is presented', async () => {
    const c = client({ baseUrls: [https.url], options: { tls: { ca: 'ca.pem', cert: 'client.pem', key: 'client-key.pem' } } }, { certsDir })
    const r = await c.request<{ clientCn: string | null }>({ method: 'GET', path: '/Users' })
    assert.equal(r.body.clientCn, 'gateway-client')
  })

  it('a PKCS#12 client certificate with passphrase; inline PEM for the CA', async () => {
    const c = client({ baseUrls: [https.url], options: { tls: { ca: pki.caPem, pfx: 'client.pfx', passphrase: 'pfx-pass' } } }, { certsDir })
    assert.equal((await c.request<{ clientCn: string | null }>({ method: 'GET', path: '/' })).body.clientCn, 'gateway-client')
  })

  it('without the CA the server certificate is refused: a network RestError, no retry storm', async () => {
    const c = client({ baseUrls: [https.url], retry: { maxAttempts: 2, baseDelayMs: 1, maxDelayMs: 2 } }, { certsDir })
    let err: unknown
    try { await c.request({ method: 'GET', path: '/' }) } catch (e) { err = e }
    assert.ok(isRestError(err) && err.kind === 'network', String(err))
    assert.match(err.message, /certificate/i)
    assert.equal(err.attempts, 1, 'a certificate failure is not retried')
  })

  it('rejectUnauthorized false accepts the server (testing only); no client certificate → not authorized', async () => {
    const c = client({ baseUrls: [https.url], options: { tls: { rejectUnauthorized: false } } }, { certsDir })
    assert.equal((await c.request<{ clientCn: string | null }>({ method: 'GET', path: '/' })).body.clientCn, null)
  })

  it('a missing TLS file is a config RestError when the client is made', () => {
    assert.throws(() => createRestClient({ baseUrls: [https.url], options: { tls: { ca: 'missing.pem' } } }, { certsDir }), (e: unknown) => isRestError(e) && e.kind === 'config' && /missing\.pem \(ENOENT\)/.test(e.message))
  })

  it('HTTP through the proxy (tunnel) with Proxy-Authorization; the target never sees the proxy credentials', async () => {
    const before = proxy.seen.length
    const c = client({ baseUrls: [http.url], proxy: { host: proxy.url, username: 'proxyuser', password: 'proxypass' } })
    const r = await c.request<{ path: string, via: string | null }>({ method: 'GET', path: '/Users', query: { count: 1 } })
    assert.equal(r.body.path, '/Users?count=1')
    assert.equal(r.body.via, null)
    const seen = proxy.seen.slice(before)
    assert.ok(seen.some(l => l === `CONNECT 127.0.0.1:${http.port}` || l.startsWith(`GET ${http.url}/Users`)), `proxy saw: ${seen.join(' | ')}`)
  })

  it('HTTPS through the proxy (CONNECT) with the CA and a client certificate', async () => {
    const before = proxy.seen.length
    const c = client({ baseUrls: [https.url], proxy: { host: proxy.url, username: 'proxyuser', password: 'proxypass' }, options: { tls: { ca: 'ca.pem', cert: 'client.pem', key: 'client-key.pem' } } }, { certsDir })
    assert.equal((await c.request<{ clientCn: string | null }>({ method: 'GET', path: '/x' })).body.clientCn, 'gateway-client')
    assert.ok(proxy.seen.slice(before).includes(`CONNECT 127.0.0.1:${https.port}`))
  })

  it('wrong proxy credentials: a network RestError; the target is not reached', async () => {
    const refused = proxy.refused
    const hits = http.seen.length
    const c = client({ baseUrls: [http.url], proxy: { host: proxy.url, username: 'proxyuser', password: 'wrong' }, retry: { maxAttempts: 1 } })
    let err: unknown
    try { await c.request({ method: 'GET', path: '/' }) } catch (e) { err = e }
    assert.ok(isRestError(err) && err.kind === 'network', String(err))
    assert.ok(proxy.refused > refused)
    assert.equal(http.seen.length, hits)
  })
})
