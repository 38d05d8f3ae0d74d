// plugin-generic started the way a user starts it (runGateway(genericPlugin) in a child process,
// config from SCIM_CONFIG_DIR, PORT override) in front of a real loki gateway: serves the target's
// data, encrypts the target credentials in place, and a broken endpoint config is a clear list with
// paths and exit code 1.
import { after, test } from 'node:test'
import { configDirs, freePort, startChild, waitFor, type ChildGateway } from '../support/child-gateway.ts'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { basicAuthenticator } from '../../lib/auth/index.ts'
import { startTestGateway } from '../support/gateway.ts'

const dirs = configDirs('generic-run-')
after(() => { dirs.cleanup() })
const configDir = (config: unknown): string => dirs.write('plugin-generic.json', config)
const start = (dir: string, env: Record<string, string> = {}): ChildGateway => startChild('test/support/run-generic.ts', dir, env)

test('runGateway(genericPlugin) serves a loki gateway\'s data from SCIM_CONFIG_DIR on PORT', async () => {
  const target = { username: 'lokiadmin', password: 'Target$ecret1' }
  const loki = await startTestGateway({ options: { authenticators: [basicAuthenticator([target])] } })
  const port = await freePort()
  const dir = configDir({
    scimgateway: { port: 1, log: { loglevel: { console: 'off', file: 'off' } }, auth: { basic: [{ username: 'admin', password: 'Front$ecret1' }] } },
    endpoint: { entity: { undefined: { connection: { baseUrls: [loki.url], auth: { type: 'basic', options: target } } } } }
  })
  const p = start(dir, { PORT: String(port) })
  try {
    const basic = (u: string, pw: string): string => 'Basic ' + Buffer.from(`${u}:${pw}`).toString('base64')
    const created = await fetch(`${loki.url}/Users`, { method: 'POST', headers: { authorization: basic(target.username, target.password), 'content-type': 'application/json' }, body: JSON.stringify({ schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName: 'through-generic' }) })
    assert.equal(created.status, 201)
    const r = await waitFor(`http://127.0.0.1:${port}/Users?filter=${encodeURIComponent('userName eq "through-generic"')}`, { headers: { authorization: basic('admin', 'Front$ecret1') } })
    assert.equal(r.status, 200, await r.clone().text())
    assert.equal(((await r.json()) as { totalResults: number }).totalResults, 1)
    const onDisk = readFileSync(join(dir, 'plugin-generic.json'), 'utf8')
    assert.doesNotMatch(onDisk, /Front\$ecret1/)
    assert.doesNotMatch(onDisk, /Target\$ecret1/, "the target password is encrypted in place too (and decrypted for use)")
  } finally {
    p.kill()
    assert.equal((await p.done).code, 0, 'clean exit on SIGTERM')
    await loki.stop()
  }
})

test('a broken plugin-generic endpoint lists every problem with its path and exits 1', async () => {
  const dir = configDir({
    scimgateway: { port: 1 },
    endpoint: { entity: { undefined: { scimVersion: '2', connection: { baseUrls: ['http://x'], auth: { type: 'bearer', options: {} }, proxy: { hots: 'http://p' } } } }, mapp: {} }
  })
  const { code, stderr } = await start(dir).done
  assert.equal(code, 1)
  assert.match(stderr, /endpoint\.entity\.undefined\.scimVersion/)
  assert.match(stderr, /endpoint\.entity\.undefined\.connection\.auth\.options: auth\.type "bearer" needs options\.token/)
  assert.match(stderr, /endpoint\.entity\.undefined\.connection\.proxy\.hots: unknown key \(did you mean "host"\?\)/)
  assert.match(stderr, /endpoint\.mapp: unknown key \(did you mean "map"\?\)/)
  assert.doesNotMatch(stderr, /\n\s+at /, 'no stack trace')
})
