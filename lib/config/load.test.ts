// End-to-end tests of loading configs from a temp directory: plugin JSON (defaults, in-place
// encryption, second start, PORT, SCIM_CONFIG_DIR, all errors at once) and YAML (comments kept).
import { afterEach, beforeEach, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { chmod, copyFile, lstat, mkdtemp, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { LogMeta, Logger } from '../logging/types.ts'
import { isConfigError } from './errors.ts'
import { loadPluginConfig, loadYamlConfig, updateYamlValue } from './load.ts'
import * as s from './schema.ts'
import { deriveSecretKey, encryptSecret, isEncrypted } from './secrets.ts'

const fixture = (name: string): URL => new URL(`./fixtures/${name}`, import.meta.url)
const machine = { hostname: 'test-host', machineId: 'test-machine' }
let dir: string

beforeEach(async () => { dir = await mkdtemp(join(tmpdir(), 'cfg-load-')) })
afterEach(async () => { await rm(dir, { recursive: true, force: true }) })

function capturingLogger (): Logger & { lines: Array<{ level: string, message: string, meta?: LogMeta }> } {
  const lines: Array<{ level: string, message: string, meta?: LogMeta }> = []
  const log = (level: string) => (message: string, meta?: LogMeta) => { lines.push({ level, message, ...(meta !== undefined ? { meta } : {}) }) }
  const logger = { lines, error: log('error'), warn: log('warn'), info: log('info'), debug: log('debug'), child: () => logger }
  return logger
}

async function expectConfigError (p: Promise<unknown>): Promise<{ message: string, problems: ReadonlyArray<{ path: string, message: string }> }> {
  try {
    await p
  } catch (err) {
    if (isConfigError(err)) return err
    throw err
  }
  throw new Error('expected a ConfigError')
}

describe('loadPluginConfig', () => {
  it('loads a scimgateway-shaped config, fills defaults, encrypts secrets in place and freezes', async () => {
    await copyFile(fixture('plugin-loki.json'), join(dir, 'plugin-loki.json'))
    await chmod(join(dir, 'plugin-loki.json'), 0o640)
    const before = await readFile(join(dir, 'plugin-loki.json'), 'utf8')
    const log = capturingLogger()
    const { config, file, encryptedNow } = await loadPluginConfig('loki', { configDir: dir, env: { SEED: 's1' }, log, machine })

    assert.equal(file, join(dir, 'plugin-loki.json'))
    assert.equal(config.scimgateway.port, 8880)
    assert.equal(config.scimgateway.payloadSize, 1024 ** 2)
    assert.equal(config.scimgateway.log.loglevel.file, 'debug')
    assert.deepEqual(config.scimgateway.auth.basic, [{ username: 'gwadmin', password: 'password', readOnly: false, baseEntities: [] }])
    assert.equal(config.scimgateway.auth.bearerToken[0]?.token, 'bearer-token-1')
    assert.deepEqual(config.scimgateway.auth.bearerJwt, [], 'placeholder entries are dropped')
    assert.equal(config.scimgateway.auth.bearerOAuth[0]?.clientSecret, 'oauth-secret')
    assert.equal(config.scimgateway.stream.subscriber.enabled, false)
    assert.equal(config.endpoint.password, 'endpoint-pw')
    assert.deepEqual(config.endpoint.entity?.['client-a'], { url: 'http://localhost', apiKey: 'api-key-a' })
    assert.ok(Object.isFrozen(config) && Object.isFrozen(config.scimgateway.auth.basic[0]))
    assert.equal(encryptedNow.length, 5)

    const after = await readFile(join(dir, 'plugin-loki.json'), 'utf8')
    const onDisk = JSON.parse(after)
    assert.ok(isEncrypted(onDisk.scimgateway.auth.basic[0].password))
    assert.ok(isEncrypted(onDisk.endpoint.entity['client-a'].apiKey))
    assert.equal(after.replace(/"\{enc:v1\}[^"]+"/g, '"X"').split('\n').length, before.split('\n').length)
    assert.equal((await stat(join(dir, 'plugin-loki.json'))).mode & 0o777, 0o640, 'file mode kept')
    assert.ok(log.lines.some(l => l.level === 'info' && /encrypted 5 cleartext secret/.test(l.message)))
  })

  it('second start decrypts and does not rewrite; another SEED fails with the paths', async () => {
    await copyFile(fixture('plugin-loki.json'), join(dir, 'plugin-loki.json'))
    await loadPluginConfig('loki', { configDir: dir, env: { SEED: 's1' } })
    const first = await readFile(join(dir, 'plugin-loki.json'), 'utf8')
    const again = await loadPluginConfig('plugin-loki', { configDir: dir, env: { SEED: 's1' }, machine: { hostname: 'elsewhere', machineId: 'x' } })
    assert.deepEqual(again.encryptedNow, [])
    assert.equal(again.config.scimgateway.auth.basic[0]?.password, 'password')
    assert.equal(await readFile(join(dir, 'plugin-loki.json'), 'utf8'), first)

    const err = await expectConfigError(loadPluginConfig('loki', { configDir: dir, env: { SEED: 'other' } }))
    assert.equal(err.problems.length, 5)
    assert.ok(err.problems.every(p => /cannot decrypt secret/.test(p.message)))
    assert.ok(!/\n\s+at /.test(err.message), 'no stack trace in the message')
  })

  it('machine key without SEED: warns, and works on the same machine', async () => {
    await copyFile(fixture('plugin-loki.json'), join(dir, 'plugin-loki.json'))
    const log = capturingLogger()
    await loadPluginConfig('loki', { configDir: dir, env: {}, machine, log })
    assert.ok(log.lines.some(l => l.level === 'warn' && /SEED is not set/.test(l.message)))
    const again = await loadPluginConfig('loki', { configDir: dir, env: {}, machine })
    assert.equal(again.config.endpoint.password, 'endpoint-pw')
    await expectConfigError(loadPluginConfig('loki', { configDir: dir, env: {}, machine: { hostname: 'other', machineId: 'test-machine' } }))
  })

  it('encryptInPlace: false leaves the file untouched', async () => {
    await copyFile(fixture('plugin-loki.json'), join(dir, 'plugin-loki.json'))
    const before = await readFile(join(dir, 'plugin-loki.json'), 'utf8')
    const r = await loadPluginConfig('loki', { configDir: dir, env: { SEED: 's' }, encryptInPlace: false })
    assert.deepEqual(r.encryptedNow, [])
    assert.equal(await readFile(join(dir, 'plugin-loki.json'), 'utf8'), before)
  })

  it('applies PORT and finds the directory through SCIM_CONFIG_DIR', async () => {
    await writeFile(join(dir, 'plugin-x.json'), '{ "scimgateway": { "port": 8880 }, "endpoint": {} }')
    const r = await loadPluginConfig('x', { env: { SCIM_CONFIG_DIR: dir, PORT: '9123' } })
    assert.equal(r.config.scimgateway.port, 9123)
    assert.equal(r.configDir, dir)
    const err = await expectConfigError(loadPluginConfig('x', { env: { SCIM_CONFIG_DIR: dir, PORT: 'http' } }))
    assert.deepEqual(err.problems.map(p => p.path), ['PORT'])
  })

  it('resolves references relative to the config dir before validating', async () => {
    await writeFile(join(dir, 'pw.txt'), 'from-text\n')
    await writeFile(join(dir, 'secrets.json'), JSON.stringify({ 'plugin-x.endpoint.password': 'from-file' }))
    await writeFile(join(dir, 'plugin-x.json'), JSON.stringify({
      scimgateway: { port: 'process.env.MY_PORT', auth: { basic: [{ username: 'u', password: 'process.text.pw.txt' }] } },
      endpoint: { password: 'process.file.secrets.json' }
    }, null, 2))
    const r = await loadPluginConfig('x', { configDir: dir, env: { MY_PORT: '7000' } })
    assert.equal(r.config.scimgateway.port, 7000)
    assert.equal(r.config.scimgateway.auth.basic[0]?.password, 'from-text')
    assert.equal(r.config.endpoint.password, 'from-file')
    assert.match(await readFile(join(dir, 'plugin-x.json'), 'utf8'), /"password": "process\.text\.pw\.txt"/, 'references are not encrypted')
  })

  it('lists every problem at once, with paths', async () => {
    await writeFile(join(dir, 'plugin-bad.json'), JSON.stringify({
      scimgateway: {
        port: 'abc',
        localHostOnly: true,
        scim: { version: '3.0' },
        auth: { basic: [{ username: 'admin' }] },
        stream: { subscriber: { enabled: true, entity: { t1: { nats: { tenant: 'a', subject: 's', jwt: 'j' } } } } },
        certificate: { key: 'k.pem' }
      },
      endpoint: { password: 'process.env.NOPE' }
    }))
    const err = await expectConfigError(loadPluginConfig('bad', { configDir: dir, env: {}, encryptInPlace: false }))
    const byPath = new Map(err.problems.map(p => [p.path, p.message]))
    assert.equal(byPath.get('scimgateway.port'), 'expected integer 1..65535, got "abc"')
    assert.match(byPath.get('scimgateway.localHostOnly') ?? '', /unknown key \(did you mean "localhostonly"\?\)/)
    assert.match(byPath.get('scimgateway.scim.version') ?? '', /one of "2\.0", "1\.1"/)
    assert.equal(byPath.get('scimgateway.auth.basic[0].password'), 'required')
    assert.equal(byPath.get('scimgateway.stream.subscriber.entity.t1.nats.secret'), 'required when stream.subscriber is enabled')
    assert.equal(byPath.get('scimgateway.certificate.cert'), 'key and cert go together')
    assert.equal(byPath.get('endpoint.password'), 'environment variable NOPE is not set')
    assert.equal(err.problems.length, 7)
    assert.match(err.message, /^Invalid configuration in .*plugin-bad\.json \(7 problems\):\n {2}- /)
  })

  it('never echoes a wrongly typed secret, and decrypts encrypted values from a secrets file', async () => {
    await writeFile(join(dir, 'plugin-t.json'), JSON.stringify({ scimgateway: { auth: { basic: [{ username: 'u', password: 123456789 }] } } }))
    const err = await expectConfigError(loadPluginConfig('t', { configDir: dir, env: {} }))
    assert.deepEqual(err.problems, [{ path: 'scimgateway.auth.basic[0].password', message: 'expected non-empty string, got <hidden>' }])
    assert.doesNotMatch(err.message, /123456789/)

    const enc = encryptSecret('vault-pw', deriveSecretKey({ seed: 'k' }))
    await writeFile(join(dir, 'vault.json'), JSON.stringify({ 'plugin-t.scimgateway.auth.basic[0].password': enc }))
    await writeFile(join(dir, 'plugin-t.json'), JSON.stringify({ scimgateway: { auth: { basic: [{ username: 'u', password: 'process.file.vault.json' }] } } }))
    const r = await loadPluginConfig('t', { configDir: dir, env: { SEED: 'k' } })
    assert.equal(r.config.scimgateway.auth.basic[0]?.password, 'vault-pw')
  })

  it('follows a symlinked config file instead of replacing the link', async () => {
    await copyFile(fixture('plugin-loki.json'), join(dir, 'real.json'))
    await symlink(join(dir, 'real.json'), join(dir, 'plugin-loki.json'))
    await loadPluginConfig('loki', { configDir: dir, env: { SEED: 's' } })
    assert.ok((await lstat(join(dir, 'plugin-loki.json'))).isSymbolicLink())
    assert.match(await readFile(join(dir, 'real.json'), 'utf8'), /\{enc:v1\}/)
  })

  it('warns about duplicate keys (the last one wins, as with JSON.parse)', async () => {
    await writeFile(join(dir, 'plugin-d.json'), '{ "scimgateway": { "port": 1000, "port": 2000 } }')
    const log = capturingLogger()
    const r = await loadPluginConfig('d', { configDir: dir, env: {}, log })
    assert.equal(r.config.scimgateway.port, 2000)
    assert.ok(log.lines.some(l => l.level === 'warn' && l.message === 'duplicate key scimgateway.port: the last one is used'))
  })

  it('reports JSON syntax errors with line:column and a missing file clearly', async () => {
    await writeFile(join(dir, 'plugin-syn.json'), '{\n  "scimgateway": {\n    "port": 8880,\n  }\n}\n')
    const err = await expectConfigError(loadPluginConfig('syn', { configDir: dir, env: {} }))
    assert.match(err.message, /JSON syntax error: expected a property name in double quotes at line 4:3/)
    const missing = await expectConfigError(loadPluginConfig('none', { configDir: dir, env: {} }))
    assert.match(missing.message, /cannot read the config file \(ENOENT\)/)
  })
})

describe('loadYamlConfig / updateYamlValue', () => {
  const streamSchema = s.object({
    service: s.object({ name: s.string(), port: s.integer({ min: 1, max: 65535 }), tls: s.boolean().default(false) }),
    nats: s.object({
      operator_seed: s.string(),
      accounts: s.array(s.object({ name: s.string(), password: s.string() }))
    }),
    collector: s.object({ do_initial_load: s.boolean(), client_secret: s.string() })
  })

  it('loads, validates, encrypts in place keeping comments, and decrypts in memory', async () => {
    const file = join(dir, 'stream.yaml')
    await copyFile(fixture('stream.yaml'), file)
    const r = await loadYamlConfig(file, streamSchema, { env: { SEED: 'y', OPERATOR_SEED: 'SO123' } })
    assert.equal(r.config.service.tls, false)
    assert.equal(r.config.nats.operator_seed, 'SO123')
    assert.deepEqual(r.config.nats.accounts.map(a => a.password), ['tenant-a-pw', 'block-pw\n'])
    assert.equal(r.config.collector.client_secret, 'plain-secret')
    const text = await readFile(file, 'utf8')
    assert.match(text, /^# SCIM Stream service configuration\n/)
    assert.match(text, /password: "\{enc:v1\}[^"]+" {3}# cleartext on first start/)
    assert.match(text, /operator_seed: "process\.env\.OPERATOR_SEED"/)
    const again = await loadYamlConfig(file, streamSchema, { env: { SEED: 'y', OPERATOR_SEED: 'SO123' } })
    assert.deepEqual(again.encryptedNow, [])
    assert.equal(again.config.collector.client_secret, 'plain-secret')
  })

  it('reports schema problems and YAML syntax errors with positions', async () => {
    const file = join(dir, 'bad.yaml')
    await writeFile(file, 'service:\n  name: x\n  port: 0\n  prt: 1\nnats: {}\ncollector: {do_initial_load: maybe, client_secret: s}\n')
    const err = await expectConfigError(loadYamlConfig(file, streamSchema, { env: {}, encryptInPlace: false }))
    assert.deepEqual(err.problems.map(p => p.path).sort(), ['collector.do_initial_load', 'nats.accounts', 'nats.operator_seed', 'service.port', 'service.prt'])
    await writeFile(file, 'service:\n  name: [x\nother: 1\n')
    const syn = await expectConfigError(loadYamlConfig(file, streamSchema, { env: {} }))
    assert.match(syn.message, /YAML syntax error at line \d+:\d+/)
  })

  it('updateYamlValue writes one value back, keeping comments and everything else', async () => {
    const file = join(dir, 'stream.yaml')
    await copyFile(fixture('stream.yaml'), file)
    const before = await readFile(file, 'utf8')
    await updateYamlValue(file, ['collector', 'do_initial_load'], false)
    const after = await readFile(file, 'utf8')
    assert.equal(after, before.replace('do_initial_load: true   #', 'do_initial_load: false   #'))
    await updateYamlValue(file, ['collector', 'last_run'], '2026-01-01')
    const added = await readFile(file, 'utf8')
    assert.match(added, /# flipped after the first full load/)
    assert.match(added, /last_run: "?2026-01-01"?/)
    assert.match(added, /^# SCIM Stream service configuration/)
  })
})
