// bearerJwt: valid, expired, not yet valid, wrong audience/issuer, alg none, HS/RS confusion, malformed
// tokens, unknown kid with key rotation against a local JWKS server (bounded refetching), the JWKS
// endpoint down, Entra ID tenant issuers, PEM public keys, and the verified-token cache.
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { generateKeyPairSync } from 'node:crypto'
import { bearerJwtAuthenticator, azureIssuers, createJwksSource } from '../../lib/auth/index.ts'
import type { Authenticator, AuthResult } from '../../lib/auth/types.ts'
import { rsaKey, signJwt, startIdp, unsignedJwt, type IdpServer } from './support.ts'

const auth = async (a: Authenticator, token: string): Promise<AuthResult> => await a.authenticate({ authorization: `Bearer ${token}`, remoteAddress: '127.0.0.1' })
const now = (): number => Math.floor(Date.now() / 1000)

let idp: IdpServer
before(async () => { idp = await startIdp() })
after(async () => { await idp.close() })

describe('bearerJwt with an HMAC secret', () => {
  const secret = 'a-long-shared-hmac-secret-0123456789'
  const key = new TextEncoder().encode(secret)
  const a = bearerJwtAuthenticator([{ secret, options: { issuer: 'https://idp.test/', audience: 'scim' }, baseEntities: ['clientA'], readOnly: true }])
  const good = { iss: 'https://idp.test/', aud: 'scim', sub: 'svc-1' }

  it('accepts a valid token; the principal comes from sub with the entry\'s access', async () => {
    const r = await auth(a, await signJwt(good, key, { alg: 'HS256' }, { expiresIn: '5m' }))
    assert.deepEqual(r, { kind: 'ok', principal: { name: 'svc-1', method: 'bearerJwt', readOnly: true, baseEntities: ['clientA'] } })
  })
  it('refuses expired, not-yet-valid, wrong audience, wrong issuer and wrong-secret tokens', async () => {
    const cases: Record<string, string> = {
      expired: await signJwt({ ...good, exp: now() - 3600 }, key, { alg: 'HS256' }),
      'not yet valid': await signJwt(good, key, { alg: 'HS256' }, { expiresIn: '2h', notBefore: now() + 3600 }),
      'wrong audience': await signJwt({ ...good, aud: 'other' }, key, { alg: 'HS256' }, { expiresIn: '5m' }),
      'wrong issuer': await signJwt({ ...good, iss: 'https://evil.test/' }, key, { alg: 'HS256' }, { expiresIn: '5m' }),
      'wrong secret': await signJwt(good, new TextEncoder().encode('another-secret-of-sufficient-length'), { alg: 'HS256' }, { expiresIn: '5m' })
    }
    for (const [label, token] of Object.entries(cases)) {
      const r = await auth(a, token)
      assert.equal(r.kind, 'fail', label)
    }
  })
  it('refuses alg none (any spelling)', async () => {
    assert.equal((await auth(a, unsignedJwt({ ...good, exp: now() + 60 }))).kind, 'fail')
    const b64 = (o: unknown): string => Buffer.from(JSON.stringify(o)).toString('base64url')
    assert.equal((await auth(a, `${b64({ alg: 'NoNe' })}.${b64(good)}.`)).kind, 'fail')
  })
  it('accepts clock skew within clockTolerance only', async () => {
    const tolerant = bearerJwtAuthenticator([{ secret, options: { clockTolerance: 120 } }])
    assert.equal((await auth(tolerant, await signJwt({ exp: now() - 60 }, key, { alg: 'HS256' }))).kind, 'ok')
    assert.equal((await auth(tolerant, await signJwt({ exp: now() - 600 }, key, { alg: 'HS256' }))).kind, 'fail')
  })
  it('malformed tokens fail or are left to other methods, never throw', async () => {
    for (const t of ['a.b.c', 'x'.repeat(5000) + '.y.z', '..', 'eyJhbGciOiJIUzI1NiJ9.%%%.@@@', 'eyJhbGciOiJIUzI1NiJ9.e30.', '\u00ff\u00fe.\u0000.x']) {
      const r = await auth(a, t)
      assert.notEqual(r.kind, 'ok', t.slice(0, 30))
    }
  })
})

describe('bearerJwt with a PEM public key', () => {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
  const pem = publicKey.export({ type: 'spki', format: 'pem' }).toString()
  const a = bearerJwtAuthenticator([{ publicKey: pem, options: { audience: 'scim' } }])

  it('accepts RS256 signed by the key', async () => {
    assert.equal((await auth(a, await signJwt({ aud: 'scim', sub: 'rs' }, privateKey, { alg: 'RS256' }, { expiresIn: '5m' }))).kind, 'ok')
  })
  it('refuses HS/RS confusion: an HS256 token whose HMAC secret is the public key PEM', async () => {
    const forged = await signJwt({ aud: 'scim', sub: 'attacker' }, new TextEncoder().encode(pem), { alg: 'HS256' }, { expiresIn: '5m' })
    const r = await auth(a, forged)
    assert.equal(r.kind, 'fail')
    // also when the same gateway has an HMAC entry: the secret is not the PEM, so still refused
    const both = bearerJwtAuthenticator([{ publicKey: pem }, { secret: 'unrelated-secret-value-1234567890' }])
    assert.equal((await auth(both, forged)).kind, 'fail')
  })
  it('refuses an EC-signed token against an RSA key', async () => {
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' })
    assert.equal((await auth(a, await signJwt({ aud: 'scim' }, ec.privateKey, { alg: 'ES256' }, { expiresIn: '5m' }))).kind, 'fail')
  })
})

describe('bearerJwt with wellKnownUri (JWKS)', () => {
  it('follows discovery to the JWKS, checks the discovered issuer, and rotates keys on an unknown kid (bounded)', async () => {
    const k1 = await rsaKey('k1')
    const k2 = await rsaKey('k2')
    idp.keys.splice(0, idp.keys.length, k1.publicJwk)
    idp.hits.clear()
    let clock = 1_000_000
    const a = bearerJwtAuthenticator([{ wellKnownUri: `${idp.url}/.well-known/openid-configuration`, options: { audience: 'scim' } }], { jwks: { minRefreshIntervalMs: 10_000, now: () => clock } })
    const t1 = await signJwt({ aud: 'scim', iss: idp.issuer, sub: 'one' }, k1.privateKey, { alg: 'RS256', kid: 'k1' }, { expiresIn: '5m' })
    assert.equal((await auth(a, t1)).kind, 'ok')
    assert.equal(idp.hits.get('/jwks'), 1)
    const wrongIss = await signJwt({ aud: 'scim', iss: 'https://not-the-idp/', sub: 'one' }, k1.privateKey, { alg: 'RS256', kid: 'k1' }, { expiresIn: '5m' })
    assert.equal((await auth(a, wrongIss)).kind, 'fail', 'issuer must match the discovery document')
    // algorithm confusion against a JWKS key: HS256 with the published modulus as the secret
    const confused = await signJwt({ aud: 'scim', iss: idp.issuer, sub: 'attacker' }, new TextEncoder().encode(String(k1.publicJwk.n)), { alg: 'HS256', kid: 'k1' }, { expiresIn: '5m' })
    assert.equal((await auth(a, confused)).kind, 'fail')

    // the IdP rotates to k2; a k2 token arrives right away, within the refresh interval: no refetch yet
    idp.keys.splice(0, idp.keys.length, k1.publicJwk, k2.publicJwk)
    const t2 = await signJwt({ aud: 'scim', iss: idp.issuer, sub: 'two' }, k2.privateKey, { alg: 'RS256', kid: 'k2' }, { expiresIn: '5m' })
    clock += 1_000
    assert.equal((await auth(a, t2)).kind, 'fail')
    assert.equal(idp.hits.get('/jwks'), 1, 'no refetch inside the minimum interval')
    // after the interval, the unknown kid triggers one refetch and succeeds
    clock += 10_000
    assert.equal((await auth(a, t2)).kind, 'ok')
    assert.equal(idp.hits.get('/jwks'), 2)
    // forged kids cannot make the gateway hammer the IdP
    for (let i = 0; i < 20; i++) {
      const forged = await signJwt({ aud: 'scim', iss: idp.issuer }, k2.privateKey, { alg: 'RS256', kid: `forged-${i}` }, { expiresIn: '5m' })
      assert.equal((await auth(a, forged)).kind, 'fail')
    }
    assert.ok((idp.hits.get('/jwks') ?? 0) <= 3, `JWKS fetched ${idp.hits.get('/jwks') ?? 0} times`)
    assert.equal(idp.hits.get('/.well-known/openid-configuration'), 1, 'discovery document cached')
  })

  it('JWKS endpoint down: tokens are refused (401, not an error) and cached keys keep working', async () => {
    const k = await rsaKey('down-k')
    idp.keys.splice(0, idp.keys.length, k.publicJwk)
    idp.down = true
    try {
      let clock = 5_000_000
      const a = bearerJwtAuthenticator([{ wellKnownUri: `${idp.url}/.well-known/openid-configuration` }], { jwks: { minRefreshIntervalMs: 1000, maxAgeMs: 5000, now: () => clock } })
      const t = await signJwt({ sub: 'x', iss: idp.issuer }, k.privateKey, { alg: 'RS256', kid: 'down-k' }, { expiresIn: '5m' })
      const r = await auth(a, t)
      assert.equal(r.kind, 'fail')
      idp.down = false
      clock += 2000
      assert.equal((await auth(a, t)).kind, 'ok', 'recovers once the endpoint is back')
      idp.down = true
      clock += 60_000 // keys are stale now, refresh fails: keep the cached keys
      const t2 = await signJwt({ sub: 'y', iss: idp.issuer }, k.privateKey, { alg: 'RS256', kid: 'down-k' }, { expiresIn: '5m' })
      assert.equal((await auth(a, t2)).kind, 'ok')
    } finally {
      idp.down = false
    }
  })

  it('an unreachable discovery URL fails cleanly', async () => {
    const src = createJwksSource({ discoveryUrl: 'http://127.0.0.1:1/.well-known/openid-configuration', timeoutMs: 500 })
    const k = await rsaKey('x')
    const a = bearerJwtAuthenticator([{ wellKnownUri: 'http://127.0.0.1:1/.well-known/openid-configuration' }])
    assert.equal((await auth(a, await signJwt({ sub: 'x' }, k.privateKey, { alg: 'RS256', kid: 'x' }, { expiresIn: '5m' }))).kind, 'fail')
    await assert.rejects(src.getKey({ alg: 'RS256', kid: 'x' }, { payload: '', signature: '' }))
  })
})

describe('bearerJwt with azureTenantId', () => {
  const tenant = 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee'
  it('accepts v1 and v2 issuers of the tenant, keys from the tenant\'s discovery document; principal from appid', async () => {
    const k = await rsaKey('entra')
    idp.keys.splice(0, idp.keys.length, k.publicJwk)
    const a = bearerJwtAuthenticator([{ azureTenantId: tenant }], { azureAuthority: idp.url })
    const [v1, v2] = azureIssuers(tenant)
    for (const iss of [v1, v2]) {
      const r = await auth(a, await signJwt({ iss, appid: 'entra-provisioning', aud: '8adf8e6e-67b2-4cf2-a259-e3dc5476c621' }, k.privateKey, { alg: 'RS256', kid: 'entra' }, { expiresIn: '5m' }))
      assert.equal(r.kind, 'ok', iss)
      if (r.kind === 'ok') assert.equal(r.principal.name, 'entra-provisioning')
    }
    const other = await signJwt({ iss: 'https://sts.windows.net/00000000-0000-0000-0000-000000000000/' }, k.privateKey, { alg: 'RS256', kid: 'entra' }, { expiresIn: '5m' })
    assert.equal((await auth(a, other)).kind, 'fail', 'another tenant')
    assert.ok((idp.hits.get(`/${tenant}/v2.0/.well-known/openid-configuration`) ?? 0) >= 1)
  })
})

describe('verified-token cache', () => {
  it('a cached token stops being accepted once it expires', async () => {
    const secret = 'cache-secret-0123456789-0123456789'
    let clock = Date.now()
    const a = bearerJwtAuthenticator([{ secret, options: { clockTolerance: 0 } }], { now: () => clock })
    const t = await signJwt({ sub: 'c', exp: Math.floor(clock / 1000) + 10 }, new TextEncoder().encode(secret), { alg: 'HS256' })
    assert.equal((await auth(a, t)).kind, 'ok')
    clock += 11_000
    assert.equal((await auth(a, t)).kind, 'fail', 'the cache never extends a token past its exp')
  })
})
