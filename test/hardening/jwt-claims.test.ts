// Issue 12 defect 3: bearer JWTs without `exp` are refused by default (configurable with
// `options.requireExp: false`), and `iat`/`nbf` in the future beyond the clock tolerance are refused.
// Real tokens signed with jose, sent over HTTP to a gateway built from a config.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { SignJWT } from 'jose'
import { ScimGateway } from '../../lib/core/gateway.ts'
import { gatewayOptionsFromConfig } from '../../lib/core/from-config.ts'
import { gatewayConfigSchema } from '../../lib/config/gateway-schema.ts'
import { validate } from '../../lib/config/schema.ts'
import { createLokiPlugin } from '../../lib/plugins/plugin-loki.ts'
import { silentLogger } from '../../lib/logging/types.ts'

const secret = 'a-long-shared-hmac-secret-for-issue-12'
const key = new TextEncoder().encode(secret)
const now = (): number => Math.floor(Date.now() / 1000)

async function gateway (jwtOptions: Record<string, unknown>): Promise<ScimGateway> {
  const r = validate(gatewayConfigSchema, { scimgateway: { auth: { bearerJwt: [{ secret, options: jwtOptions }] } } }, { coerce: true })
  if (!r.ok) throw new Error(JSON.stringify(r.errors))
  const plugin = createLokiPlugin({ persistence: 'memory' })
  await plugin.start?.(silentLogger)
  return new ScimGateway({ plugin, options: { ...gatewayOptionsFromConfig(r.value), port: 0 }, log: silentLogger })
}

async function status (gw: ScimGateway, token: string): Promise<number> {
  const res = await gw.app.request('http://gw.test/Users?count=1', { headers: { authorization: `Bearer ${token}` } })
  await res.text()
  return res.status
}

async function sign (claims: { exp?: number, iat?: number, nbf?: number }): Promise<string> {
  const jwt = new SignJWT({ sub: 'svc' }).setProtectedHeader({ alg: 'HS256' })
  if (claims.iat !== undefined) jwt.setIssuedAt(claims.iat)
  if (claims.exp !== undefined) jwt.setExpirationTime(claims.exp)
  if (claims.nbf !== undefined) jwt.setNotBefore(claims.nbf)
  return await jwt.sign(key)
}

test('a token without exp is refused by default, accepted with requireExp: false', async () => {
  const token = await sign({ iat: now() })
  assert.equal(await status(await gateway({}), token), 401)
  assert.equal(await status(await gateway({ requireExp: false }), token), 200)
  assert.equal(await status(await gateway({}), await sign({ iat: now(), exp: now() + 300 })), 200)
})

test('iat a day in the future is refused; within the clock tolerance it is accepted', async () => {
  const gw = await gateway({})
  assert.equal(await status(gw, await sign({ iat: now() + 86_400, exp: now() + 90_000 })), 401)
  assert.equal(await status(gw, await sign({ iat: now() + 10, exp: now() + 300 })), 200)
  const strict = await gateway({ clockTolerance: 0 })
  assert.equal(await status(strict, await sign({ iat: now() + 120, exp: now() + 300 })), 401)
})

test('nbf beyond the clock tolerance is refused', async () => {
  const gw = await gateway({ clockTolerance: 60 })
  assert.equal(await status(gw, await sign({ iat: now(), nbf: now() + 3600, exp: now() + 7200 })), 401)
  assert.equal(await status(gw, await sign({ iat: now(), nbf: now() + 30, exp: now() + 7200 })), 200)
})

test('requireExp must be a boolean (refused with its path)', () => {
  const r = validate(gatewayConfigSchema, { scimgateway: { auth: { bearerJwt: [{ secret, options: { requireExp: 'no' } }] } } })
  assert.deepEqual(r.errors.map(e => e.path), ['scimgateway.auth.bearerJwt[0].options.requireExp'])
})
