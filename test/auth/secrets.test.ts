// Secrets at rest and in logs, end to end the way runGateway loads a gateway: a config with cleartext
// credentials of every auth method is encrypted in place on first start, works after a restart
// (decrypted in memory), and no password, bearer token, JWT, client secret or Authorization header
// appears in the log file or on the console, also for failed attempts and request bodies.
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { PassThrough } from 'node:stream'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { deriveSecretKey, loadPluginConfig } from '../../lib/config/index.ts'
import { createLogger, createMemoryLogger } from '../../lib/logging/index.ts'
import { gatewayOptionsFromConfig } from '../../lib/core/from-config.ts'
import { ScimGateway } from '../../lib/core/gateway.ts'
import { fullPlugin, signJwt } from './support.ts'

const PASSWORD = 'Pw-Basic-7d1e93'
const WRONG_PASSWORD = 'Pw-Guess-55aa01'
const TOKEN = 'static-bearer-token-b81c44'
const JWT_SECRET = 'jwt-hmac-secret-0c9d8e7f6a5b4c3d'
const CLIENT_SECRET = 'oauth-client-secret-9e8d7c'
const USER_PASSWORD = 'User-Pw-31337'
const SSN = '010203-12345'
const SEED = 'secrets-test-seed'

let dir: string
before(async () => { dir = await mkdtemp(join(tmpdir(), 'gw-secrets-')) })
after(async () => { await rm(dir, { recursive: true, force: true }) })

async function startLikeRunGateway (): Promise<{ gw: ScimGateway, console: () => string, close: () => Promise<void>, logFile: string }> {
  const { config, configDir } = await loadPluginConfig('secrets', { configDir: dir, env: { SEED } })
  const out = new PassThrough()
  let consoleText = ''
  out.on('data', (d: Buffer) => { consoleText += d.toString() })
  const logFile = join(dir, 'logs', 'plugin-secrets.log')
  const log = createLogger({ name: 'plugin-secrets', console: 'debug', consoleStream: out, file: { level: 'debug', path: logFile }, customMasking: [...config.scimgateway.log.customMasking] })
  const plugin = fullPlugin()
  const gw = new ScimGateway({ plugin, options: { ...gatewayOptionsFromConfig(config, [], { configDir, plugin, log, secretKey: deriveSecretKey({ seed: SEED }) }), port: 0, localhostOnly: true }, log })
  await gw.start()
  return { gw, console: () => consoleText, logFile, close: async () => { await gw.stop(); await log.close() } }
}

describe('secrets at rest and never in logs', () => {
  it('encrypts every credential in place on first start, keeps working after a restart, and logs none of them', async () => {
    const file = join(dir, 'plugin-secrets.json')
    const original = JSON.stringify({
      scimgateway: {
        port: 8880,
        log: { loglevel: { console: 'debug', file: 'debug' }, customMasking: ['ssn'] },
        auth: {
          basic: [{ username: 'admin', password: PASSWORD }],
          bearerToken: [{ token: TOKEN }],
          bearerJwt: [{ secret: JWT_SECRET }],
          bearerOAuth: [{ clientId: 'idp', clientSecret: CLIENT_SECRET }],
          failedAuth: { delayMs: 0 }
        }
      },
      endpoint: {}
    }, null, 2)
    await writeFile(file, original)
    const first = await startLikeRunGateway()
    const seen: string[] = []
    try {
      const onDisk = await readFile(file, 'utf8')
      for (const s of [PASSWORD, TOKEN, JWT_SECRET, CLIENT_SECRET]) assert.ok(!onDisk.includes(s), 'secret in clear on disk')
      assert.equal(onDisk.match(/\{enc:v1\}/g)?.length, 4)
      // the rest of the file is untouched
      assert.equal(onDisk.replace(/"\{enc:v1\}[^"]+"/g, '"X"'), original.replace(new RegExp(`"(${[PASSWORD, TOKEN, JWT_SECRET, CLIENT_SECRET].join('|')})"`, 'g'), '"X"'))
      const keyFile = await readFile(join(dir, 'certs', 'oauth-signing-key.json'), 'utf8')
      assert.doesNotMatch(keyFile, /BEGIN/)

      const url = first.gw.url
      const basic = `Basic ${Buffer.from(`admin:${PASSWORD}`).toString('base64')}`
      const wrongBasic = `Basic ${Buffer.from(`admin:${WRONG_PASSWORD}`).toString('base64')}`
      const jwt = await signJwt({ sub: 'jwt-user' }, new TextEncoder().encode(JWT_SECRET), { alg: 'HS256' }, { expiresIn: '5m' })
      const expiredJwt = await signJwt({ sub: 'jwt-user', exp: Math.floor(Date.now() / 1000) - 3600 }, new TextEncoder().encode(JWT_SECRET), { alg: 'HS256' })
      const tokenRes = await fetch(`${url}/oauth/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `grant_type=client_credentials&client_id=idp&client_secret=${CLIENT_SECRET}` })
      assert.equal(tokenRes.status, 200)
      const accessToken = (await tokenRes.json() as { access_token: string }).access_token
      await fetch(`${url}/oauth/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'grant_type=client_credentials&client_id=idp&client_secret=wrong-secret-123' })
      seen.push(basic, wrongBasic, jwt, expiredJwt, accessToken)
      const expectations: Array<[string, number]> = [[basic, 200], [wrongBasic, 401], [`Bearer ${TOKEN}`, 200], [`Bearer ${TOKEN}-wrong`, 401], [`Bearer ${jwt}`, 200], [`Bearer ${expiredJwt}`, 401], [`Bearer ${accessToken}`, 200]]
      for (const [authorization, status] of expectations) {
        assert.equal((await fetch(`${url}/Users`, { headers: { authorization } })).status, status, authorization.slice(0, 30))
      }
      const created = await fetch(`${url}/Users`, {
        method: 'POST', headers: { authorization: basic, 'content-type': 'application/scim+json' },
        body: JSON.stringify({ schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName: 'secretive', password: USER_PASSWORD, ssn: SSN })
      })
      assert.equal(created.status, 201)
    } finally {
      await first.close()
    }

    // restart: the encrypted config decrypts in memory, the same credentials work
    const second = await startLikeRunGateway()
    try {
      assert.equal((await fetch(`${second.gw.url}/Users`, { headers: { authorization: `Basic ${Buffer.from(`admin:${PASSWORD}`).toString('base64')}` } })).status, 200)
      assert.equal((await fetch(`${second.gw.url}/Users`, { headers: { authorization: `Bearer ${TOKEN}` } })).status, 200)
    } finally {
      await second.close()
    }

    const logText = await readFile(first.logFile, 'utf8')
    if (process.env.SHOW_LOG !== undefined) process.stdout.write(logText)
    assert.match(logText, /GET \/Users/, 'the log file has the requests')
    assert.match(logText, /authentication failed: Basic credentials rejected/, 'failures are logged with a reason')
    assert.match(logText, /JWT rejected \(bearerJwt\[0\] \(HMAC\): "exp" claim timestamp check failed/)
    assert.match(logText, /token request refused: OAuth client hmac:[0-9a-f]{10} \(3 chars\) rejected/) // rejected ids are never logged verbatim
    const texts = { file: logText, console: first.console() + second.console() }
    for (const [where, text] of Object.entries(texts)) {
      for (const secret of [PASSWORD, WRONG_PASSWORD, TOKEN, JWT_SECRET, CLIENT_SECRET, 'wrong-secret-123', USER_PASSWORD, SSN, ...seen, Buffer.from(`admin:${PASSWORD}`).toString('base64')]) {
        assert.ok(!text.includes(secret), `${where} log contains a secret: ${secret.slice(0, 12)}…`)
      }
    }
  })

  it('references resolve at start (process.env, process.text, process.file) and stay references on disk', async () => {
    const file = join(dir, 'plugin-refs.json')
    await writeFile(join(dir, 'token.txt'), 'text-file-token-77\n')
    await writeFile(join(dir, 'secrets.json'), JSON.stringify({ 'plugin-refs.scimgateway.auth.basic[0].password': 'file-password-88' }))
    const text = JSON.stringify({
      scimgateway: {
        auth: {
          basic: [{ username: 'admin', password: `process.file.${join(dir, 'secrets.json')}` }],
          bearerToken: [{ token: 'process.env.GW_TEST_TOKEN' }, { token: `process.text.${join(dir, 'token.txt')}` }]
        }
      }
    }, null, 2)
    await writeFile(file, text)
    const { config, configDir } = await loadPluginConfig('refs', { configDir: dir, env: { SEED, GW_TEST_TOKEN: 'env-token-66' } })
    assert.equal(await readFile(file, 'utf8'), text, 'references are not rewritten')
    const plugin = fullPlugin()
    const gw = new ScimGateway({ plugin, options: { ...gatewayOptionsFromConfig(config, [], { configDir, plugin }), port: 0, localhostOnly: true }, log: createMemoryLogger() })
    await gw.start()
    try {
      for (const authorization of ['Bearer env-token-66', 'Bearer text-file-token-77', `Basic ${Buffer.from('admin:file-password-88').toString('base64')}`]) {
        assert.equal((await fetch(`${gw.url}/Users`, { headers: { authorization } })).status, 200, authorization)
      }
    } finally { await gw.stop() }
  })
})
