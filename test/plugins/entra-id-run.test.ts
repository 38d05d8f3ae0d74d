// plugin-entra-id started the way a user starts it (runGateway(entraIdPlugin) in a child process,
// config/plugin-entra-id.json from SCIM_CONFIG_DIR in the documented shape — oauth with
// azureTenantId/clientId/clientSecret — PORT override) against the Graph emulator: SCIM over HTTP
// reaches Graph, the client secret is encrypted in place, and a broken endpoint is a list of paths.
// The real Microsoft Graph is not reachable here.
import { after, test } from 'node:test'
import { configDirs, freePort, startChild, waitFor, type ChildGateway } from '../support/child-gateway.ts'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { startGraphEmulator } from '../support/graph-emulator.ts'

const dirs = configDirs('entra-run-')
after(() => { dirs.cleanup() })
const configDir = (config: unknown): string => dirs.write('plugin-entra-id.json', config)
const start = (dir: string, env: Record<string, string> = {}): ChildGateway => startChild('test/support/run-entra-id.ts', dir, env)

test('runGateway(entraIdPlugin) provisions the emulated tenant over SCIM HTTP from the documented config', async () => {
  const graph = await startGraphEmulator({ clients: [{ client_id: 'gw-app', client_secret: 'Graph$ecret1' }] })
  const port = await freePort()
  const dir = configDir({
    scimgateway: { port: 1, log: { loglevel: { console: 'off', file: 'off' } }, auth: { basic: [{ username: 'admin', password: 'Front$ecret1' }] } },
    endpoint: { entity: { undefined: { connection: { baseUrls: [`${graph.url}/v1.0`], auth: { type: 'oauth', options: { azureTenantId: graph.tenantId, loginUrl: graph.url, clientId: 'gw-app', clientSecret: 'Graph$ecret1' } }, proxy: { host: null } }, userNameDomain: 'contoso.test' } } }
  })
  const p = start(dir, { PORT: String(port) })
  const h = { authorization: 'Basic ' + Buffer.from('admin:Front$ecret1').toString('base64'), 'content-type': 'application/scim+json' }
  try {
    const created = await waitFor(`http://127.0.0.1:${port}/Users`, { method: 'POST', headers: h, body: JSON.stringify({ schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName: 'run.user', password: 'Str0ng!Pass' }) })
    assert.equal(created.status, 201, await created.clone().text())
    const r = await fetch(`http://127.0.0.1:${port}/Users?filter=${encodeURIComponent('userName eq "run.user"')}`, { headers: h })
    assert.equal(((await r.json()) as { totalResults: number }).totalResults, 1)
    assert.ok(graph.log.some(l => l.startsWith('/v1.0/users?')), 'the filter went to Graph')
    const onDisk = readFileSync(join(dir, 'plugin-entra-id.json'), 'utf8')
    assert.doesNotMatch(onDisk, /Graph\$ecret1/, 'the client secret is encrypted in place (and decrypted for use)')
  } finally {
    p.kill()
    assert.equal((await p.done).code, 0, 'clean exit on SIGTERM')
    await graph.stop()
  }
})

test('a broken plugin-entra-id endpoint lists every problem with its path and exits 1', async () => {
  const dir = configDir({
    scimgateway: { port: 1 },
    endpoint: { entity: { undefined: { connection: { baseUrls: [], auth: { type: 'basic', options: { username: 'u', password: 'p' } } }, pagesize: 10 } } }
  })
  const { code, stderr } = await start(dir).done
  assert.equal(code, 1)
  assert.match(stderr, /endpoint\.entity\.undefined\.connection\.auth\.type: auth\.type "basic" cannot get a Graph token/)
  assert.match(stderr, /endpoint\.entity\.undefined\.connection\.baseUrls/)
  assert.match(stderr, /endpoint\.entity\.undefined\.pagesize: unknown key/)
  assert.doesNotMatch(stderr, /\n\s+at /, 'no stack trace')
})
