// Tests of the plugin config schema: defaults of an empty config, scimgateway compatibility
// (nulls, placeholder entries, legacy shapes), cross-field rules and unknown keys.
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { gatewayConfigSchema, type GatewayConfig } from './gateway-schema.ts'
import { validate } from './schema.ts'

function ok (input: unknown): GatewayConfig {
  const r = validate(gatewayConfigSchema, input, { coerce: true })
  if (!r.ok) throw new Error(`unexpected problems: ${JSON.stringify(r.errors)}`)
  return r.value
}

describe('gatewayConfigSchema', () => {
  it('fills the documented defaults for an empty config', () => {
    const c = ok({})
    assert.equal(c.scimgateway.port, 8880)
    assert.equal(c.scimgateway.localhostonly, false)
    assert.equal(c.scimgateway.payloadSize, 1048576)
    assert.deepEqual(c.scimgateway.scim, { version: '2.0', skipTypeConvert: false, skipMetaLocation: false, groupMemberOfUser: false, usePutSoftSync: false })
    assert.deepEqual(c.scimgateway.log, { loglevel: { file: 'info', console: 'info' }, customMasking: [] })
    assert.deepEqual(c.scimgateway.auth, {
      basic: [], bearerToken: [], bearerJwtAzure: [], bearerJwt: [], bearerOAuth: [],
      passThrough: { enabled: false, readOnly: false, baseEntities: [] },
      clientCertificate: [],
      failedAuth: { freeAttempts: 3, delayMs: 500, maxDelayMs: 10_000, windowSeconds: 900 },
      rateLimit: { perAddress: {}, perPrincipal: {} }
    })
    assert.deepEqual(c.scimgateway.ipAllowList, [])
    assert.deepEqual(c.scimgateway.certificate, {})
    assert.deepEqual(c.scimgateway.stream, {
      baseUrls: [], certificate: {}, subscriber: { enabled: false, chunking: {}, entity: {} }, publisher: { enabled: false, entity: {} }
    })
    assert.deepEqual(c.endpoint, {})
  })

  it('accepts the legacy emailOnError shape, kubernetes and bearerJwtAzure', () => {
    const c = ok({
      scimgateway: {
        emailOnError: { smtp: { enabled: true, host: 'smtp.example.com', port: 587, proxy: null, authenticate: true, username: 'u', password: 'p', sendInterval: 15, to: 'a@b.c', cc: null } },
        kubernetes: { enabled: true, shutdownTimeout: 15000 },
        auth: { bearerJwtAzure: [{ tenantIdGUID: 'guid' }] }
      }
    })
    assert.equal(c.scimgateway.emailOnError?.smtp.host, 'smtp.example.com')
    assert.deepEqual(c.scimgateway.kubernetes, { enabled: true, shutdownTimeout: 15000 })
    assert.deepEqual(c.scimgateway.auth.bearerJwtAzure, [{ tenantIdGUID: 'guid', readOnly: false, baseEntities: [] }])
  })

  it('types and checks auth methods', () => {
    const c = ok({
      scimgateway: {
        auth: {
          bearerJwt: [{ wellKnownUri: 'https://idp/.well-known/openid-configuration', options: { issuer: 'i', audience: ['a', 'b'], clockTolerance: 5 } }],
          bearerOAuth: [{ clientId: 'c', clientSecret: 's', expiresIn: 3600 }],
          passThrough: { enabled: true }
        },
        certificate: { key: 'key.pem', cert: 'cert.pem', ca: ['ca1.pem', 'ca2.pem'] },
        trustProxy: true
      }
    })
    assert.deepEqual(c.scimgateway.auth.bearerJwt[0]?.options.audience, ['a', 'b'])
    assert.equal(c.scimgateway.auth.bearerOAuth[0]?.expiresIn, 3600)
    assert.equal(c.scimgateway.auth.passThrough.enabled, true)
    assert.deepEqual(c.scimgateway.certificate.ca, ['ca1.pem', 'ca2.pem'])
    assert.equal(c.scimgateway.trustProxy, true)
  })

  it('requires NATS credentials only for enabled stream roles', () => {
    const entity = { t: { nats: { tenant: 'a', subject: 's', jwt: null, secret: null } } }
    ok({ scimgateway: { stream: { subscriber: { enabled: false, entity } } } })
    const r = validate(gatewayConfigSchema, { scimgateway: { stream: { publisher: { enabled: true, entity } } } })
    assert.deepEqual(r.errors.map(e => e.path), ['scimgateway.stream.publisher.entity.t.nats.jwt', 'scimgateway.stream.publisher.entity.t.nats.secret'])
  })

  it('rejects unknown keys under scimgateway and at the top level, keeps endpoint free-form', () => {
    const r = validate(gatewayConfigSchema, {
      scimgateway: { ipAllowlist: [], scim: { usePutSoftsync: true } },
      endpnt: {},
      endpoint: { anything: { goes: [1] }, entity: { a: { x: 1 } } }
    })
    assert.deepEqual(r.errors.map(e => e.path).sort(), ['endpnt', 'scimgateway.ipAllowlist', 'scimgateway.scim.usePutSoftsync'])
    const msg = (path: string): string => r.errors.find(e => e.path === path)?.message ?? ''
    assert.match(msg('scimgateway.ipAllowlist'), /did you mean "ipAllowList"/)
    assert.match(msg('scimgateway.scim.usePutSoftsync'), /did you mean "usePutSoftSync"/)
  })

  it('reports a half-filled basic entry but drops full placeholders', () => {
    const r = validate(gatewayConfigSchema, { scimgateway: { auth: { basic: [{ username: null, password: null }, { username: 'a', password: null }] } } })
    assert.deepEqual(r.errors, [{ path: 'scimgateway.auth.basic[0].password', message: 'required (got null)' }])
  })
})
