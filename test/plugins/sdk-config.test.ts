// Plugin config through the SDK, as a user meets it: config/plugin-loki.json in a temp SCIM_CONFIG_DIR,
// started by the real entry point (index.ts → runGateway(lokiPlugin)). Endpoint problems and unknown
// keys are listed with their paths in the one config error report next to the scimgateway ones —
// no LokiOptionsError stack trace, nothing silently ignored. Plus the loader API plugins use.
import { after, test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { loadPluginConfig } from '../../lib/config/load.ts'
import { isConfigError } from '../../lib/config/errors.ts'
import { endpointSchema, s } from '../../lib/plugins/sdk/index.ts'

const root = new URL('../../', import.meta.url).pathname
const dirs: string[] = []
after(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }) })

async function freePort (): Promise<number> {
  return await new Promise((resolve) => {
    const srv = createServer().listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port
      srv.close(() => { resolve(port) })
    })
  })
}

function configDir (name: string, config: unknown): string {
  const dir = mkdtempSync(join(tmpdir(), 'sdk-config-'))
  dirs.push(dir)
  writeFileSync(join(dir, `plugin-${name}.json`), JSON.stringify(config, null, 2))
  return dir
}

function start (dir: string, env: Record<string, string> = {}): { done: Promise<{ code: number | null, stderr: string }>, kill: () => void } {
  const child = spawn(process.execPath, ['--import', 'tsx', 'index.ts'], { cwd: root, env: { ...process.env, SCIM_CONFIG_DIR: dir, SEED: 'test-seed', ...env }, stdio: ['ignore', 'ignore', 'pipe'] })
  let stderr = ''
  child.stderr.on('data', (d: Buffer) => { stderr += d.toString() })
  const done = new Promise<{ code: number | null, stderr: string }>(resolve => { child.on('exit', code => { resolve({ code, stderr }) }) })
  return { done, kill: () => { child.kill('SIGTERM') } }
}

const quiet = { loglevel: { console: 'off', file: 'off' } }

test('index.ts: bad and unknown endpoint keys join the one config error report with their paths; exit 1, no stack trace', async () => {
  const dir = configDir('loki', {
    scimgateway: { port: 8880, log: quiet, prot: 1, plugin: { timeout: -5 } },
    endpoint: { persistence: 'yes', dbnme: 'loki.db', entity: { 'a/b': {}, clientA: { demoData: 'maybe' } } }
  })
  const { code, stderr } = await start(dir).done
  assert.equal(code, 1)
  assert.match(stderr, /Invalid configuration in .*plugin-loki\.json \(6 problems\)/)
  assert.match(stderr, /- endpoint\.persistence: expected boolean, got "yes"/)
  assert.match(stderr, /- endpoint\.dbnme: unknown key \(did you mean "dbname"\?\)/)
  assert.match(stderr, /- endpoint\.entity\["a\/b"\]: "a\/b" is not a valid baseEntity/)
  assert.match(stderr, /- endpoint\.entity\.clientA\.demoData: expected boolean, got "maybe"/)
  assert.match(stderr, /- scimgateway\.prot: unknown key/)
  assert.match(stderr, /- scimgateway\.plugin\.timeout: expected integer 0\.\.3600000, got -5/)
  assert.doesNotMatch(stderr, /LokiOptionsError|\n\s+at /, 'no exception or stack trace')
})

test('index.ts: entities that disagree on the shared journal are reported with both paths', async () => {
  const dir = configDir('loki', { scimgateway: { port: 8880, log: quiet }, endpoint: { entity: { a: { dbname: 'a.db' }, b: { dbname: 'b.db' } } } })
  const { code, stderr } = await start(dir).done
  assert.equal(code, 1)
  assert.match(stderr, /endpoint\.entity\.b\.dbname: "b\.db" differs from endpoint\.entity\.a\.dbname "a\.db"/)
})

test('index.ts: a valid endpoint is honoured (persistence file in the config dir; entity "undefined" = no baseEntity)', async () => {
  const port = await freePort()
  const dir = configDir('loki', {
    scimgateway: { port, log: quiet, auth: { basic: [{ username: 'admin', password: 'Pw-123456' }] } },
    endpoint: { persistence: true, dbname: 'store.db', demoData: true, entity: { undefined: null, clientA: {} } }
  })
  const p = start(dir)
  try {
    const auth = { authorization: 'Basic ' + Buffer.from('admin:Pw-123456').toString('base64') }
    const base = `http://127.0.0.1:${port}`
    let r: Response | undefined
    for (let i = 0; i < 200 && r === undefined; i++) {
      try { r = await fetch(`${base}/Users?filter=userName eq "bjensen"`, { headers: auth }) } catch { await new Promise(resolve => setTimeout(resolve, 100)) }
    }
    assert.equal(r?.status, 200)
    assert.equal(((await r.json()) as { totalResults: number }).totalResults, 1, 'demo data in the default store')
    assert.equal((await fetch(`${base}/clientA/Users?count=1`, { headers: auth })).status, 200)
    const un = await fetch(`${base}/undefined/Users`, { headers: auth })
    assert.equal(un.status, 404, '"undefined" is the key for no baseEntity, not a path segment')
    assert.equal((await fetch(`${base}/clientB/Users`, { headers: auth })).status, 404)
    assert.ok(existsSync(join(dir, 'store.db')), 'dbname resolved against the config dir')
  } finally {
    p.kill()
    assert.equal((await p.done).code, 0)
  }
})

test('loadPluginConfig with an endpoint schema: typed, defaulted endpoint; problems of both sections in one ConfigError', async () => {
  const schema = endpointSchema({
    top: { map: s.object({ user: s.jsonObject().optional() }).optional() },
    entity: { connection: s.object({ baseUrls: s.array(s.string({ minLength: 1 }), { minItems: 1 }) }), timeout: s.integer({ min: 1 }).default(30) },
    requireEntity: true
  })
  const good = configDir('x', { endpoint: { entity: { undefined: { connection: { baseUrls: ['http://a'] } } } } })
  const loaded = await loadPluginConfig('x', { configDir: good, endpointSchema: schema })
  assert.deepEqual(loaded.endpoint, { entity: { undefined: { connection: { baseUrls: ['http://a'] }, timeout: 30 } } })
  assert.ok(Object.isFrozen(loaded.endpoint))

  const bad = configDir('x', { scimgateway: { port: 0 }, endpoint: { entity: { undefined: { connection: { baseUrls: [] }, timeot: 5 } }, mapp: {} } })
  await assert.rejects(loadPluginConfig('x', { configDir: bad, endpointSchema: schema }), (e: unknown) => {
    assert.ok(isConfigError(e))
    const lines = e.problems.map(p => `${p.path}: ${p.message}`)
    assert.deepEqual(lines.sort(), [
      'endpoint.entity.undefined.connection.baseUrls: expected at least 1 item(s), got 0',
      'endpoint.entity.undefined.timeot: unknown key (did you mean "timeout"?)',
      'endpoint.mapp: unknown key (did you mean "map"?)',
      'scimgateway.port: expected integer 1..65535, got 0'
    ])
    return true
  })

  const none = configDir('x', { endpoint: {} })
  await assert.rejects(loadPluginConfig('x', { configDir: none, endpointSchema: schema }), /endpoint\.entity: at least one baseEntity is required/)
})
