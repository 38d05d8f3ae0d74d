// bearerOAuth over real HTTP: the token endpoint (body and Basic client authentication, RFC 6749
// errors), the well-known documents, tokens accepted on SCIM routes with the client's access, and the
// signing key persisted encrypted under the config dir so a restarted gateway accepts old tokens.
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createLocalJWKSet, jwtVerify, decodeJwt } from 'jose'
import { createOAuthServer, createSigningKey, loadOrCreateSigningKey } from '../../lib/auth/index.ts'
import { deriveSecretKey } from '../../lib/config/secrets.ts'
import { startTestGateway, type TestGateway } from '../support/gateway.ts'
import { fullPlugin } from './support.ts'

const form = 'application/x-www-form-urlencoded'
const b64 = (s: string): string => Buffer.from(s).toString('base64')

async function token (base: string, init: { body: string, headers?: Record<string, string> }): Promise<{ status: number, body: Record<string, unknown>, headers: Headers }> {
  const res = await fetch(`${base}/oauth/token`, { method: 'POST', headers: { 'content-type': form, ...init.headers }, body: init.body })
  return { status: res.status, body: await res.json() as Record<string, unknown>, headers: res.headers }
}

describe('OAuth client-credentials token endpoint', () => {
  let gw: TestGateway
  before(async () => {
    const oauth = createOAuthServer({
      clients: [
        { clientId: 'writer', clientSecret: 'writer-secret' },
        { clientId: 'reader', clientSecret: 'reader:secret&+', readOnly: true, baseEntities: ['clientA'], expiresIn: 60 }
      ],
      signingKey: createSigningKey()
    })
    gw = await startTestGateway({ plugin: fullPlugin(), options: { entities: ['clientA', 'clientB'], authenticators: [oauth.authenticator], extraRoutes: [oauth.mount] } })
  })
  after(async () => { await gw.stop() })

  it('issues a short-lived JWT for credentials in the body; no-store; usable on SCIM routes', async () => {
    const r = await token(gw.url, { body: 'grant_type=client_credentials&client_id=writer&client_secret=writer-secret' })
    assert.equal(r.status, 200)
    assert.equal(r.body.token_type, 'Bearer')
    assert.equal(r.body.expires_in, 3600)
    assert.equal(r.headers.get('cache-control'), 'no-store')
    const claims = decodeJwt(String(r.body.access_token))
    assert.equal(claims.sub, 'writer')
    assert.equal(typeof claims.exp, 'number')
    const users = await fetch(`${gw.url}/Users`, { headers: { authorization: `Bearer ${String(r.body.access_token)}` } })
    assert.equal(users.status, 200)
    const who = await (await fetch(`${gw.url}/auth`, { headers: { authorization: `Bearer ${String(r.body.access_token)}` } })).json() as Record<string, unknown>
    assert.deepEqual(who, { authenticated: true, principal: 'writer', method: 'bearerOAuth' })
  })

  it('accepts HTTP Basic client authentication (form-urlencoded id/secret) and applies the client\'s access', async () => {
    const basic = `Basic ${b64(`reader:${encodeURIComponent('reader:secret&+')}`)}`
    const r = await token(gw.url, { body: 'grant_type=client_credentials', headers: { authorization: basic } })
    assert.equal(r.status, 200, JSON.stringify(r.body))
    assert.equal(r.body.expires_in, 60)
    const h = { authorization: `Bearer ${String(r.body.access_token)}`, 'content-type': 'application/scim+json' }
    assert.equal((await fetch(`${gw.url}/clientA/Users`, { headers: h })).status, 200)
    assert.equal((await fetch(`${gw.url}/clientB/Users`, { headers: h })).status, 401)
    assert.equal((await fetch(`${gw.url}/clientA/Users`, { method: 'POST', headers: h, body: JSON.stringify({ userName: 'nope' }) })).status, 405)
  })

  it('also under a baseEntity path, and with a JSON body', async () => {
    const r = await fetch(`${gw.url}/clientA/oauth/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ grant_type: 'client_credentials', client_id: 'writer', client_secret: 'writer-secret' }) })
    assert.equal(r.status, 200)
  })

  it('RFC 6749 errors: invalid_request, unsupported_grant_type, invalid_client (401 + WWW-Authenticate)', async () => {
    const cases: Array<[string, Record<string, string>, number, string]> = [
      ['client_id=writer&client_secret=writer-secret', {}, 400, 'invalid_request'],
      ['grant_type=password&client_id=writer&client_secret=writer-secret', {}, 400, 'unsupported_grant_type'],
      ['grant_type=client_credentials&client_id=writer&client_secret=wrong', {}, 401, 'invalid_client'],
      ['grant_type=client_credentials&client_id=nobody&client_secret=writer-secret', {}, 401, 'invalid_client'],
      ['grant_type=client_credentials', {}, 401, 'invalid_client'],
      ['grant_type=client_credentials', { authorization: `Basic ${b64('writer:wrong')}` }, 401, 'invalid_client'],
      ['grant_type=client_credentials', { authorization: 'Basic %%%' }, 401, 'invalid_client'],
      ['grant_type=client_credentials', { authorization: `Basic ${b64('writer:%E0%A4%A')}` }, 401, 'invalid_client'],
      ['grant_type=client_credentials&client_id=writer&client_secret=writer-secret', { authorization: `Basic ${b64('writer:writer-secret')}` }, 400, 'invalid_request']
    ]
    for (const [body, headers, status, error] of cases) {
      const r = await token(gw.url, { body, headers })
      assert.equal(r.status, status, body)
      assert.equal(r.body.error, error, body)
      if (status === 401) assert.match(r.headers.get('www-authenticate') ?? '', /^Basic realm=/)
      assert.equal(r.body.access_token, undefined)
    }
    const big = await fetch(`${gw.url}/oauth/token`, { method: 'POST', headers: { 'content-type': form }, body: `grant_type=client_credentials&x=${'a'.repeat(100_000)}` })
    assert.equal(big.status, 400)
  })

  it('publishes the OpenID configuration and JWKS; tokens verify against them', async () => {
    const conf = await (await fetch(`${gw.url}/.well-known/openid-configuration`)).json() as Record<string, unknown>
    assert.equal(conf.token_endpoint, `${gw.url}/oauth/token`)
    assert.deepEqual(conf.grant_types_supported, ['client_credentials'])
    const jwks = await (await fetch(String(conf.jwks_uri))).json() as { keys: Array<Record<string, unknown>> }
    assert.equal(jwks.keys.length, 1)
    assert.equal(jwks.keys[0]?.d, undefined, 'no private part published')
    const r = await token(gw.url, { body: 'grant_type=client_credentials&client_id=writer&client_secret=writer-secret' })
    const { payload } = await jwtVerify(String(r.body.access_token), createLocalJWKSet(jwks as never), { issuer: String(conf.issuer), audience: 'scimgateway' })
    assert.equal(payload.client_id, 'writer')
  })

  it('a tampered token is refused', async () => {
    const r = await token(gw.url, { body: 'grant_type=client_credentials&client_id=reader&client_secret=' + encodeURIComponent('reader:secret&+') })
    const [h, p, s] = String(r.body.access_token).split('.')
    const claims = JSON.parse(Buffer.from(p ?? '', 'base64url').toString()) as Record<string, unknown>
    const forged = `${h ?? ''}.${Buffer.from(JSON.stringify({ ...claims, sub: 'writer' })).toString('base64url')}.${s ?? ''}`
    assert.equal((await fetch(`${gw.url}/Users`, { headers: { authorization: `Bearer ${forged}` } })).status, 401)
  })
})

describe('OAuth signing key at rest', () => {
  let dir: string
  before(async () => { dir = await mkdtemp(join(tmpdir(), 'oauth-key-')) })
  after(async () => { await rm(dir, { recursive: true, force: true }) })

  it('is created once, encrypted in the file, and reused after a restart (old tokens stay valid)', async () => {
    const file = join(dir, 'certs', 'oauth-signing-key.json')
    const secretKey = deriveSecretKey({ seed: 'test-seed-for-oauth-key' })
    const k1 = loadOrCreateSigningKey(file, secretKey)
    const onDisk = await readFile(file, 'utf8')
    assert.match(onDisk, /"privateKey": "\{enc:v1\}/)
    assert.doesNotMatch(onDisk, /BEGIN PRIVATE KEY/)
    const s1 = createOAuthServer({ clients: [{ clientId: 'c', clientSecret: 's' }], signingKey: k1 })
    const first = await startTestGateway({ plugin: fullPlugin(), options: { authenticators: [s1.authenticator], extraRoutes: [s1.mount] } })
    const r = await token(first.url, { body: 'grant_type=client_credentials&client_id=c&client_secret=s' })
    await first.stop()

    const k2 = loadOrCreateSigningKey(file, secretKey)
    assert.equal(k2.kid, k1.kid)
    const s2 = createOAuthServer({ clients: [{ clientId: 'c', clientSecret: 's' }], signingKey: k2 })
    const second = await startTestGateway({ plugin: fullPlugin(), options: { authenticators: [s2.authenticator], extraRoutes: [s2.mount] } })
    try {
      assert.equal((await fetch(`${second.url}/Users`, { headers: { authorization: `Bearer ${String(r.body.access_token)}` } })).status, 200)
    } finally {
      await second.stop()
    }
    assert.throws(() => loadOrCreateSigningKey(file, deriveSecretKey({ seed: 'another-seed' })), /cannot decrypt/)
  })
})
