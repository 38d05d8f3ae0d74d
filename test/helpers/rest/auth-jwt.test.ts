// REST client JWT and SAML grants against a real local token endpoint that verifies what it gets:
// Entra ID certificate credential (x5t#S256, aud = token URL), Entra federated credentials (assertion
// checked with the JWKS the client publishes), workload identity federation (token file), Google
// service account, the generic RFC 7523 grant, and the SAML 2.0 bearer grant (signature checked with
// the registered certificate).
import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { createHash, generateKeyPairSync, X509Certificate } from 'node:crypto'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createLocalJWKSet, decodeProtectedHeader, importX509, jwtVerify, importSPKI } from 'jose'
import { createRestClient, isRestError, type RestClient } from '../../../lib/helpers/rest/index.ts'
import { makePki } from '../../auth/support.ts'
import { verifySamlAssertion } from '../../support/saml-verifier.ts'
import { form, json, startServer, type TestServer } from './support.ts'

describe('rest client: JWT and SAML bearer grants', () => {
  let dir = ''
  let idp: TestServer
  let api: TestServer
  /** What the token endpoint does with a request: verify and answer, or throw to refuse. */
  let verify: (f: Record<string, string>, path: string) => Promise<void> = async () => {}
  const clients: RestClient[] = []
  const client = (...a: Parameters<typeof createRestClient>): RestClient => { const c = createRestClient(...a); clients.push(c); return c }
  const pki = makePki()
  const app = pki.client('app-credential')

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rest-jwt-'))
    await writeFile(join(dir, 'app.pem'), app.certPem)
    await writeFile(join(dir, 'app-key.pem'), app.keyPem)
    idp = await startServer(async (req, res) => {
      try {
        await verify(form(req.body), req.url)
        json(res, 200, { access_token: 'granted', token_type: 'Bearer', expires_in: 3600 })
      } catch (e) {
        json(res, 400, { error: 'invalid_grant', error_description: e instanceof Error ? e.message : String(e) })
      }
    })
    api = await startServer((req, res) => { json(res, 200, { auth: req.headers.authorization }) })
  })
  after(async () => {
    for (const c of clients) await c.close()
    await idp.stop(); await api.stop()
    await rm(dir, { recursive: true, force: true })
  })

  it('Entra ID certificate credential: client_assertion signed by the certificate key, x5t#S256, aud = token URL, scope from the base URL', async () => {
    let seen: Record<string, string> = {}
    verify = async (f, path) => {
      seen = f
      assert.equal(path, '/tenant-1/oauth2/v2.0/token')
      const header = decodeProtectedHeader(f.client_assertion ?? '')
      const thumb = createHash('sha256').update(new X509Certificate(app.certPem).raw).digest('base64url')
      assert.equal(header['x5t#S256'], thumb)
      const { payload } = await jwtVerify(f.client_assertion ?? '', await importX509(app.certPem, 'RS256'), { audience: `${idp.url}/tenant-1/oauth2/v2.0/token`, issuer: 'app-id', subject: 'app-id' })
      assert.ok(typeof payload.jti === 'string')
    }
    const c = client({ baseUrls: [api.url], auth: { type: 'oauthJwtBearer', options: { azureTenantId: 'tenant-1', loginUrl: idp.url, clientId: 'app-id', tls: { key: 'app-key.pem', cert: 'app.pem' } } } }, { certsDir: dir })
    assert.equal((await c.request<{ auth: string }>({ method: 'GET', path: '/users' })).body.auth, 'Bearer granted')
    assert.equal(seen.grant_type, 'client_credentials')
    assert.equal(seen.client_assertion_type, 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer')
    assert.equal(seen.scope, `${api.url}/.default`)
    assert.equal(seen.client_secret, undefined)
  })

  it('type "oauth" with azureTenantId and a certificate is the certificate credential too (as scimgateway treats it)', async () => {
    verify = async f => { assert.ok(f.client_assertion !== undefined && f.client_secret === undefined) }
    const c = client({ baseUrls: [api.url], auth: { type: 'oauth', options: { azureTenantId: 't', loginUrl: idp.url, clientId: 'app-id', tls: { key: app.keyPem, cert: app.certPem } } } }, { certsDir: dir })
    assert.equal((await c.request<{ auth: string }>({ method: 'GET', path: '/' })).body.auth, 'Bearer granted')
  })

  it('Entra ID federated credentials: the assertion verifies against the JWKS the client publishes (iss, sub, aud api://AzureADTokenExchange)', async () => {
    let c: RestClient | undefined
    verify = async f => {
      const jwks = await c?.jwks()
      assert.ok(jwks !== undefined && jwks.keys.length === 1)
      const { payload } = await jwtVerify(f.client_assertion ?? '', createLocalJWKSet(jwks as Parameters<typeof createLocalJWKSet>[0]), { issuer: 'https://gw.example.com', audience: 'api://AzureADTokenExchange', subject: 'app-object-id' })
      assert.equal(payload.name, 'plugin-generic')
      assert.equal(f.client_id, 'app-object-id')
    }
    c = client({ baseUrls: [api.url], auth: { type: 'oauthJwtBearer', options: { azureTenantId: 't', loginUrl: idp.url, fedCred: { issuer: 'https://gw.example.com', subject: 'app-object-id', name: 'plugin-generic' } } } })
    assert.equal((await c.request<{ auth: string }>({ method: 'GET', path: '/' })).body.auth, 'Bearer granted')
    const jwks = await c.jwks()
    assert.equal(jwks?.keys[0]?.use, 'sig')
    assert.equal(Object.hasOwn(jwks?.keys[0] ?? {}, 'd'), false, 'only the public key is published')
  })

  it('workload identity federation: the token file is read for each token request and sent as client_assertion', async () => {
    const file = join(dir, 'federated-token')
    await writeFile(file, 'external-oidc-token-1\n')
    const got: string[] = []
    verify = async f => { got.push(f.client_assertion ?? '') }
    let clock = 0
    const c = client({ baseUrls: [api.url], auth: { type: 'oauthJwtBearer', options: { azureTenantId: 't', loginUrl: idp.url, clientId: 'app', federatedTokenFile: file } } }, { now: () => clock })
    await c.request({ method: 'GET', path: '/' })
    await writeFile(file, 'external-oidc-token-2')
    clock += 3600_000
    await c.request({ method: 'GET', path: '/' })
    assert.deepEqual(got, ['external-oidc-token-1', 'external-oidc-token-2'])
  })

  it('Google service account key file and the generic RFC 7523 grant (tokenUrl + jwtPayload + key)', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
    const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString()
    const spki = publicKey.export({ type: 'spki', format: 'pem' }).toString()
    await writeFile(join(dir, 'sa.json'), JSON.stringify({ client_email: 'svc@proj.iam.gserviceaccount.com', private_key: pem, private_key_id: 'kid-1', token_uri: `${idp.url}/google/token` }))
    await writeFile(join(dir, 'jwt-key.pem'), pem)
    verify = async (f, path) => {
      assert.equal(f.grant_type, 'urn:ietf:params:oauth:grant-type:jwt-bearer')
      const { payload, protectedHeader } = await jwtVerify(f.assertion ?? '', await importSPKI(spki, 'RS256'))
      if (path === '/google/token') {
        assert.equal(protectedHeader.kid, 'kid-1')
        assert.deepEqual([payload.iss, payload.sub, payload.aud, payload.scope], ['svc@proj.iam.gserviceaccount.com', 'noreply@example.com', `${idp.url}/google/token`, 'https://www.googleapis.com/auth/gmail.send'])
      } else {
        assert.deepEqual([payload.iss, payload.aud, payload.custom], ['me', 'them', 'x'])
        assert.ok(typeof payload.exp === 'number' && typeof payload.iat === 'number')
      }
    }
    const g = client({ baseUrls: [api.url], auth: { type: 'oauthJwtBearer', options: { serviceAccountKeyFile: 'sa.json', jwtPayload: { scope: 'https://www.googleapis.com/auth/gmail.send', subject: 'noreply@example.com' } } } }, { certsDir: dir })
    assert.equal((await g.request<{ auth: string }>({ method: 'GET', path: '/' })).body.auth, 'Bearer granted')
    const j = client({ baseUrls: [api.url], auth: { type: 'oauthJwtBearer', options: { tokenUrl: `${idp.url}/custom`, jwtPayload: { iss: 'me', aud: 'them', custom: 'x' }, tls: { key: 'jwt-key.pem' } } } }, { certsDir: dir })
    assert.equal((await j.request<{ auth: string }>({ method: 'GET', path: '/' })).body.auth, 'Bearer granted')
  })

  it('SAML 2.0 bearer (SuccessFactors form): a signed assertion the registered certificate verifies; client_id, company_id', async () => {
    let seen: Record<string, string> = {}
    verify = async (f, path) => {
      seen = f
      const xml = Buffer.from(f.assertion ?? '', 'base64').toString('utf8')
      const v = verifySamlAssertion(xml, { certificatePem: app.certPem, audience: 'www.successfactors.com', recipient: `${idp.url}${path}`, skewSeconds: 120 })
      assert.equal(v.nameId, 'sfapi')
      assert.deepEqual(v.attributes.api_key, ['sf-client'])
    }
    const c = client({
      baseUrls: [api.url],
      auth: { type: 'oauthSamlBearer', options: { tokenUrl: `${idp.url}/oauth/token`, tls: { key: 'app-key.pem', cert: 'app.pem' }, samlPayload: { clientId: 'sf-client', companyId: 'ACME', nameId: 'sfapi', audience: 'www.successfactors.com' } } }
    }, { certsDir: dir })
    assert.equal((await c.request<{ auth: string }>({ method: 'GET', path: '/' })).body.auth, 'Bearer granted')
    assert.deepEqual([seen.grant_type, seen.client_id, seen.company_id, seen.new_token], ['urn:ietf:params:oauth:grant-type:saml2-bearer', 'sf-client', 'ACME', 'true'])
  })

  it('a refused grant is an auth RestError carrying the endpoint\'s reason; the API is not called', async () => {
    verify = async () => { throw new Error('AADSTS700027: Client assertion contains an invalid signature.') }
    const hits = api.seen.length
    const c = client({ baseUrls: [api.url], auth: { type: 'oauthJwtBearer', options: { azureTenantId: 't', loginUrl: idp.url, clientId: 'app-id', tls: { key: app.keyPem, cert: app.certPem } } } })
    let err: unknown
    try { await c.request({ method: 'GET', path: '/' }) } catch (e) { err = e }
    assert.ok(isRestError(err) && err.kind === 'auth', String(err))
    assert.match(err.message, /invalid_grant: AADSTS700027/)
    assert.equal(api.seen.length, hits)
  })

  it('a key that is not a key is a config RestError when the client is made', () => {
    assert.throws(() => createRestClient({ baseUrls: [api.url], auth: { type: 'oauthJwtBearer', options: { azureTenantId: 't', clientId: 'a', tls: { key: '-----BEGIN PRIVATE KEY-----\nnope\n-----END PRIVATE KEY-----', cert: app.certPem } } } }), (e: unknown) => isRestError(e) && e.kind === 'config' && /auth\.options\.tls\.key/.test(e.message))
  })
})
