// The service config: defaults, every problem listed with its path, environment and vault
// overrides in the product's SCIM-STREAM_ form, secrets encrypted in place.
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { isConfigError } from '../config/index.ts'
import { loadStreamConfig } from './config.ts'

const BASE = `hr:
  my_company:
    auth:
      base_urls: [ "http://127.0.0.1:1" ]
      basic: { username: u, password: cleartext-secret }
    general:
      collect_interval: 300
      collect_query_string: /PerPerson
    streams:
      - channel: AD.USER
        rules: [ { filter: '(.*)' } ]
nats:
  publisher:
    my_company: {}
`

describe('stream service config', () => {
  let dir: string
  const env = { SEED: 'test-seed' }
  before(async () => { dir = await mkdtemp(join(tmpdir(), 'scim-stream-cfg-')) })
  after(async () => { await rm(dir, { recursive: true, force: true }) })

  const write = async (text: string, name = 'c.yaml'): Promise<string> => {
    const f = join(dir, name)
    await writeFile(f, text)
    return f
  }

  it('fills the documented defaults', async () => {
    const { config } = await loadStreamConfig(await write(BASE), { env })
    assert.equal(config.nats.server.port, 9012)
    assert.equal(config.nats.server.use_external_server, false)
    assert.equal(config.nats.publisher.my_company?.max_age, 14)
    assert.equal(config.hr.my_company?.general.do_initial_load, false)
    assert.equal(config.email.on_error.enabled, false)
    assert.deepEqual(config.entra, {})
  })

  it('encrypts secrets in place and decrypts them in memory', async () => {
    const f = await write(BASE, 'enc.yaml')
    const { config } = await loadStreamConfig(f, { env })
    assert.equal((config.hr.my_company?.auth.basic as { password: string }).password, 'cleartext-secret')
    const text = await readFile(f, 'utf8')
    assert.ok(!text.includes('cleartext-secret'))
    assert.ok(text.includes('{enc:v1}'))
  })

  it('lists every problem with its path, including rule and mapper errors', async () => {
    const f = await write(`hr:
  acme:
    general: { collect_interval: "not a cron", do_initial_load: maybe }
    streams: [ { channel: "a b", rules: [ { filter: '(user.x -match' } ] } ]
    mapper: { user: [ { source: 'Join(', map_to: title } ] }
nats:
  server: { port: 70000, prot: 1 }
`, 'bad.yaml')
    await assert.rejects(loadStreamConfig(f, { env }), (err: unknown) => {
      assert.ok(isConfigError(err))
      const paths = err.problems.map(p => p.path)
      for (const p of ['hr.acme.general.collect_interval', 'hr.acme.general.do_initial_load', 'nats.server.port', 'nats.server.prot',
        'hr.acme.streams[0].channel', 'hr.acme.streams[0].rules[0].filter', 'hr.acme.mapper.user[0].source']) {
        assert.ok(paths.includes(p), `${p} in ${JSON.stringify(paths)}`)
      }
      return true
    })
  })

  it('applies SCIM-STREAM_ and SCIM_STREAM_ overrides, resolving keys with underscores and tenants', async () => {
    const f = await write(BASE, 'env.yaml')
    const { config } = await loadStreamConfig(f, {
      env: {
        ...env,
        'SCIM-STREAM_NATS_SERVER_PORT': '9100',
        SCIM_STREAM_HR_MY_COMPANY_GENERAL_COLLECT_INTERVAL: '*/5 * * * *',
        SCIM_STREAM_HR_MY_COMPANY_GENERAL_DO_INITIAL_LOAD: 'true',
        SCIM_STREAM_NATS_PUBLISHER_MY_COMPANY_MAX_AGE: '30',
        SCIM_STREAM_EMAIL_ON_ERROR_TO: '["ops@example.com"]',
        SCIM_STREAM_HR_MY_COMPANY_AUTH_BASIC_PASSWORD: 'from-env'
      }
    })
    assert.equal(config.nats.server.port, 9100)
    assert.equal(config.hr.my_company?.general.collect_interval, '*/5 * * * *')
    assert.equal(config.hr.my_company?.general.do_initial_load, true)
    assert.equal(config.nats.publisher.my_company?.max_age, 30)
    assert.deepEqual(config.email.on_error.to, ['ops@example.com'])
    assert.equal((config.hr.my_company?.auth.basic as { password: string }).password, 'from-env')
  })

  it('an override naming no config key is an error', async () => {
    const f = await write(BASE, 'typo.yaml')
    await assert.rejects(loadStreamConfig(f, { env: { ...env, SCIM_STREAM_NATS_SERVR_PORT: '1' } }), /SCIM_STREAM_NATS_SERVR_PORT: does not name a configuration key/)
  })

  it('reads the vault file named by SCIM-STREAM_VAULTFILE; the environment wins', async () => {
    const f = await write(BASE, 'vault-base.yaml')
    const vault = await write(`SCIM-STREAM_NATS_SERVER_PORT: 9200
SCIM-STREAM_HR_MY_COMPANY_AUTH_BASIC_PASSWORD: from-vault
nats.server.trace: true
`, 'vault.yaml')
    const { config } = await loadStreamConfig(f, { env: { ...env, 'SCIM-STREAM_VAULTFILE': vault, SCIM_STREAM_NATS_SERVER_PORT: '9300' } })
    assert.equal(config.nats.server.port, 9300)
    assert.equal(config.nats.server.trace, true)
    assert.equal((config.hr.my_company?.auth.basic as { password: string }).password, 'from-vault')
  })

  it('a missing vault file is an error', async () => {
    const f = await write(BASE, 'novault.yaml')
    await assert.rejects(loadStreamConfig(f, { env: { ...env, SCIM_STREAM_VAULTFILE: join(dir, 'nope.yaml') } }), /cannot use vault file/)
  })

  it('a tenant defined under both entra and hr is an error', async () => {
    const f = await write(`${BASE}entra:\n  my_company: {}\n`, 'dup.yaml')
    await assert.rejects(loadStreamConfig(f, { env }), /also defined under/)
  })
})
