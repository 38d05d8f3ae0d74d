// The scim-stream CLI in process: init writes a valid config with NATS credentials and certificates
// (and refuses to overwrite), credentials prints a gateway fragment, rules test dry-runs a user,
// usage mistakes exit 2 with the usage text.
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { readFile, rm, writeFile, access } from 'node:fs/promises'
import { join } from 'node:path'
import { runCli } from '../../lib/collector/cli/index.ts'
import { loadStreamConfig } from '../../lib/collector/config.ts'
import { makeWorkDir } from './support.ts'

async function cli (args: string[]): Promise<{ code: number, out: string, err: string }> {
  let out = ''
  let err = ''
  const code = await runCli(args, { out: (t) => { out += `${t}\n` }, err: (t) => { err += `${t}\n` }, env: { SEED: 'cli-test' } })
  return { code, out, err }
}

describe('scim-stream CLI', () => {
  let dir: string
  let file: string
  before(async () => {
    dir = await makeWorkDir()
    file = join(dir, 'scim-stream.yaml')
  })
  after(async () => { await rm(dir, { recursive: true, force: true }) })

  it('init writes a loadable config, NATS credentials for every tenant and TLS files', async () => {
    const r = await cli(['init', '--tenant', 'acme', '--collector', 'hr', '--tenant', 'globex', '--collector', 'entra', '--config', file])
    assert.equal(r.code, 0, r.err)
    const creds = JSON.parse(await readFile(join(dir, 'nats', 'credentials.json'), 'utf8')) as { tenants: Record<string, unknown> }
    assert.deepEqual(Object.keys(creds.tenants).sort(), ['acme', 'globex'])
    await access(join(dir, 'certs', 'ca.pem'))
    const { config } = await loadStreamConfig(file, { env: { SEED: 'cli-test' }, encryptInPlace: false })
    assert.deepEqual(Object.keys(config.hr), ['acme'])
    assert.deepEqual(Object.keys(config.entra), ['globex'])
    assert.equal(config.hr.acme?.general.do_initial_load, true)
    assert.equal(config.nats.server.port, 9012)
  })

  it('init refuses to overwrite an existing config without --force', async () => {
    const r = await cli(['init', '--tenant', 'acme', '--collector', 'hr', '--config', file])
    assert.equal(r.code, 1)
    assert.match(r.err, /exists already; nothing written.*--force/)
    assert.doesNotMatch(r.err, /Usage:/)
  })

  it('credentials prints a scimgateway.stream fragment with a user JWT and seed for the type', async () => {
    const r = await cli(['credentials', '--tenant', 'globex', '--type', 'entra', '--config', file])
    assert.equal(r.code, 0, r.err)
    const f = JSON.parse(r.out) as { scimgateway: { stream: { baseUrls: string[], certificate: { ca: string }, subscriber: { entity: Record<string, { nats: Record<string, string> }> } } } }
    const nats = f.scimgateway.stream.subscriber.entity.undefined?.nats
    assert.equal(nats?.tenant, 'globex')
    assert.equal(nats?.subject, 'ENTRA.>')
    assert.match(nats?.jwt ?? '', /^eyJ/)
    assert.match(nats?.secret ?? '', /^SU/)
    assert.ok(f.scimgateway.stream.certificate.ca.endsWith('ca.pem'))
    assert.match(f.scimgateway.stream.baseUrls[0] ?? '', /:9012$/)
  })

  it('credentials for an unknown tenant fails clearly (exit 1)', async () => {
    const r = await cli(['credentials', '--tenant', 'nobody', '--type', 'hr', '--config', file])
    assert.equal(r.code, 1)
    assert.match(r.err, /tenant "nobody" has no NATS account/)
  })

  it('rules test shows dynamics, matching channels and the exact message, without publishing', async () => {
    const cfg = join(dir, 'rules.yaml')
    await writeFile(cfg, `hr:
  acme:
    auth: { base_urls: [ "http://127.0.0.1:9" ] }
    general: { collect_query_string: /PerPerson }
    dynamics:
      - { dynamic_id: sales, rules: [ { filter: '(user.department -match "^Sales$")' } ], assignments: { user.groups: [ { value: grp-sales, display: Sales } ] } }
    streams:
      - { channel: SALES, rules: [ { filter: '(user.groups.display -match "^Sales$")' } ] }
      - { channel: IT, rules: [ { filter: '(user.department -match "^IT$")' } ] }
`)
    const userFile = join(dir, 'user.json')
    await writeFile(userFile, JSON.stringify({ userName: 'zed@acme.test', department: 'Sales', groups: [{ value: 'Sync_X', display: 'Sync_X' }] }))
    const r = await cli(['rules', 'test', '--tenant', 'acme', '--user', userFile, '--config', cfg])
    assert.equal(r.code, 0, r.err)
    const report = JSON.parse(r.out) as { dynamics: string[], channels: Array<{ channel: string, subject: string, message: { activityOperation: string, user: { groups: Array<{ value: string }> } } }>, notMatched: string[] }
    assert.deepEqual(report.dynamics, ['sales'])
    assert.deepEqual(report.channels.map(c => c.subject), ['HR.SALES'])
    assert.equal(report.channels[0]?.message.activityOperation, 'createUser')
    assert.deepEqual(report.channels[0]?.message.user.groups.map(g => g.value), ['grp-sales'], 'only the groups the channel selects')
    assert.deepEqual(report.notMatched, ['IT'])
  })

  it('rules test builds the rule input as the service does: Entra record through the built-in mapper, initiator and roles by application object id', async () => {
    const cfg = join(dir, 'rules-entra.yaml')
    const app = 'a12f063b-1c8b-40e0-9988-01b46f478349'
    await writeFile(cfg, `entra:
  contoso:
    auth: { tenant_id: 11111111-2222-3333-4444-555555555555, client_id: app-1, client_secret: secret-1 }
    general: { collect_interval: 3600 }
    streams:
      - { channel: APP1, rules: [ { filter: '(user.roles.${app}.value -match ".*")' } ] }
      - { channel: AD, rules: [ { filter: '(initiatedByUpn -match "(?!Sync_.*)")' } ] }
      - { channel: SYNC, rules: [ { filter: '(initiatedById -match "^s-1$")' } ] }
`)
    const recordFile = join(dir, 'entra-record.json')
    const record = {
      id: 'u1', userPrincipalName: 'ann@contoso.test', displayName: 'Ann Able', givenName: 'Ann', surname: 'Able', accountEnabled: true,
      appRoles: [{ type: 'Payroll App', display: 'Admin', value: 'payroll.admin' }],
      '@roleApps': { [app]: 'Payroll App' },
      '@initiatedBy': { id: 's-1', upn: 'Sync_DC01_1a2b@contoso.onmicrosoft.com' }
    }
    await writeFile(recordFile, JSON.stringify(record))
    const r = await cli(['rules', 'test', '--tenant', 'contoso', '--user', recordFile, '--config', cfg])
    assert.equal(r.code, 0, r.err)
    const report = JSON.parse(r.out) as { input: string, channels: Array<{ channel: string, message: { initiatedByUpn: string, initiatedById: string, user: Record<string, unknown> } }>, notMatched: string[] }
    assert.equal(report.input, 'collector record (mapped)')
    assert.deepEqual(report.channels.map(c => c.channel), ['APP1', 'SYNC'], 'roles by object id and the initiator id match; the Sync_ initiator keeps AD out')
    assert.deepEqual(report.notMatched, ['AD'])
    const m = report.channels[0]?.message
    assert.equal(m?.initiatedByUpn, record['@initiatedBy'].upn)
    assert.equal(m?.initiatedById, 's-1')
    assert.equal(m?.user.userName, 'ann@contoso.test', 'the built-in Entra mapper made the user')
    assert.deepEqual(m?.user.roles, record.appRoles)
    assert.ok(!JSON.stringify(report).includes('@roleApps') && !JSON.stringify(m?.user).includes('@initiatedBy'), 'bookkeeping keys stay out of the message')
  })

  it('running without a config file points to init (exit 1)', async () => {
    const r = await cli(['--config', join(dir, 'missing.yaml')])
    assert.equal(r.code, 1)
    assert.match(r.err, /no config file .*\n.*scim-stream init --tenant/)
  })

  it('usage mistakes exit 2 with the usage text', async () => {
    for (const args of [['bogus'], ['credentials', '--tenant'], ['credentials', '--tenant', 'a', '--type', 'x', '--config', file], ['rules', 'run'], ['init', '--tenant', 'a']]) {
      const r = await cli(args)
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.err}`)
      assert.match(r.err, /Usage:/)
    }
  })
})
