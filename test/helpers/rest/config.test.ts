// The REST client's connection config: every refused shape reported with its path (table in
// fixtures/connection-errors.yaml), documented scimgateway shapes accepted, defaults filled in.
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { parse } from 'yaml'
import { parseConnection, GRAPH_URL } from '../../../lib/helpers/rest/index.ts'
import { isConfigError } from '../../../lib/config/index.ts'

interface Case { name: string, connection: unknown, problems: Array<{ path: string, message: string }> }
const cases = parse(readFileSync(new URL('./fixtures/connection-errors.yaml', import.meta.url), 'utf8')) as Case[]

describe('rest client: connection config', () => {
  for (const c of cases) {
    it(`refuses: ${c.name}`, () => {
      let err: unknown
      try { parseConnection(c.connection) } catch (e) { err = e }
      assert.ok(isConfigError(err), `expected a ConfigError, got ${String(err)}`)
      for (const want of c.problems) {
        const hit = err.problems.find(p => p.path === want.path && p.message.includes(want.message))
        assert.ok(hit !== undefined, `expected "${want.message}" at ${want.path}; got:\n${err.message}`)
      }
    })
  }

  it('accepts the shapes scimgateway documents (basic + tls, Entra secret/certificate/federated, general OAuth, proxy null)', () => {
    const basic = parseConnection({ baseUrls: ['https://localhost:8880'], auth: { type: 'basic', options: { username: 'gwadmin', password: 'password' } }, options: { tls: { rejectUnauthorized: false, ca: 'ca.pem' } } })
    assert.equal(basic.auth?.type, 'basic')
    assert.deepEqual(basic.retry, { maxAttempts: 4, baseDelayMs: 200, maxDelayMs: 10_000, maxRetryAfterMs: 30_000 })
    const entra = parseConnection({ baseUrls: [], auth: { type: 'oauth', options: { azureTenantId: 't', clientId: 'c', clientSecret: 's' } }, proxy: { host: null, username: null, password: null } })
    assert.deepEqual(entra.baseUrls, [GRAPH_URL], 'Entra without baseUrls defaults to Graph')
    parseConnection({ baseUrls: [], auth: { type: 'oauthJwtBearer', options: { azureTenantId: 't', clientId: 'c', tls: { key: 'key.pem', cert: 'cert.pem' } } } })
    parseConnection({ baseUrls: [], auth: { type: 'oauthJwtBearer', options: { azureTenantId: 't', fedCred: { issuer: 'https://gw.example.com', subject: 'obj', name: 'plugin-entra-id' } } } })
    parseConnection({ baseUrls: ['https://api.example.com'], auth: { type: 'oauth', options: { tokenUrl: 'https://idp.example.com/oauth/token', clientId: 'c', clientSecret: 's' } } })
    const coerced = parseConnection({ baseUrls: ['http://x'], retry: { maxAttempts: '2' }, options: { abortTimeout: '5' } })
    assert.equal(coerced.retry.maxAttempts, 2, 'env references (strings) are coerced')
    assert.equal(coerced.options?.abortTimeout, 5)
  })
})
