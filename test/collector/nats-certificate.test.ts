// nats.server.certificate in the documented shape: the builtin nats-server serves the operator's own
// certificate (issued by their CA for a public DNS name only — not localhost), nothing is generated,
// the service publishes through it, a subscriber that trusts only that CA receives the messages, and
// `credentials` hands out that CA. Unusable files (missing, key of another certificate, certificate
// of another CA) are refused at start with the key's path.
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { access, mkdir, readFile, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { startService, type StreamService } from '../../lib/collector/service.ts'
import { loadStreamConfig } from '../../lib/collector/config.ts'
import { runCli } from '../../lib/collector/cli/index.ts'
import { createMemoryLogger } from '../../lib/logging/index.ts'
import { createTestCa } from '../support/pki.ts'
import { builtinServerConfig, freePort, makeWorkDir, onePersonSource, subscribe, writeConfig, type ContractSubscriber } from './support.ts'

const yaml = (port: number, certificate: string): string => builtinServerConfig(port, 'ALL', certificate)

describe('nats.server.certificate: the builtin server with the operator\'s own certificate', () => {
  let dir: string
  let file: string
  let svc: StreamService | undefined
  let sub: ContractSubscriber | undefined
  let generatedBefore = ''
  const sources = onePersonSource
  const own = `    certificate:
      certfile: nats-cert.pem
      keyfile: nats-key.pem
      cafile: acme-ca.pem
`

  before(async () => {
    dir = await makeWorkDir()
    const certs = join(dir, 'certs')
    await mkdir(certs, { recursive: true })
    generatedBefore = await readFile(join(certs, 'server-cert.pem'), 'utf8')
    const ca = createTestCa('ACME Root')
    const server = ca.issueServer(['nats.acme.test'])
    const stranger = createTestCa('Other Root').issueServer(['nats.acme.test'])
    await writeFile(join(certs, 'acme-ca.pem'), ca.certPem)
    await writeFile(join(certs, 'nats-cert.pem'), server.certPem)
    await writeFile(join(certs, 'nats-key.pem'), server.keyPem, { mode: 0o600 })
    await writeFile(join(certs, 'other-cert.pem'), stranger.certPem)
    await writeFile(join(certs, 'other-key.pem'), stranger.keyPem, { mode: 0o600 })
    file = await writeConfig(dir, yaml(await freePort(), own))
    svc = await startService({ configFile: file, log: createMemoryLogger(), sources, runAtStart: false, watch: false, env: { SEED: 'nats-cert' } })
  })

  after(async () => {
    await sub?.close()
    await svc?.stop()
    await rm(dir, { recursive: true, force: true })
  })

  it('serves the configured certificate: a subscriber trusting only that CA (verifying nats.acme.test) receives what the service publishes', async () => {
    const nats = (svc as StreamService).nats.builtin
    assert.ok(nats !== undefined)
    assert.equal(nats.tls.caFile, join(dir, 'certs', 'acme-ca.pem'))
    assert.equal(nats.tls.servername, 'nats.acme.test', 'verified under its DNS name (it does not name 127.0.0.1)')
    sub = await subscribe(nats, 'acme', 'hr', 'HR.>')
    await (svc as StreamService).runNow('acme')
    const got = await sub.take({ expectAtLeast: 1 })
    assert.deepEqual(got.map(m => [m.subject, m.body.activityOperation, m.body.targetUpn]), [['HR.ALL', 'createUser', 'ann@acme.test']])
    // makeWorkDir pre-fills certs/ with generated files; the service must not have touched them.
    assert.equal(await readFile(join(dir, 'certs', 'server-cert.pem'), 'utf8'), generatedBefore)
  })

  it('credentials hands subscribers the configured CA file', async () => {
    let out = ''
    const code = await runCli(['credentials', '--tenant', 'acme', '--type', 'hr', '--config', file], { out: (t) => { out += t }, err: () => {}, env: { SEED: 'nats-cert' } })
    assert.equal(code, 0)
    const ca = (JSON.parse(out) as { scimgateway: { stream: { certificate: { ca: string } } } }).scimgateway.stream.certificate.ca
    assert.equal(ca, join(dir, 'certs', 'acme-ca.pem'))
    await access(ca)
  })

  const refused: Array<[string, string, RegExp]> = [
    ['a missing file', own.replace('nats-cert.pem', 'absent.pem'), /nats\.server\.certificate\.certfile: .*absent\.pem cannot be read \(no such file/],
    ['the key of another certificate', own.replace('nats-key.pem', 'other-key.pem'), /nats\.server\.certificate\.keyfile: .*is not the key of/],
    ['a certificate of another CA', own.replace('nats-cert.pem', 'other-cert.pem').replace('nats-key.pem', 'other-key.pem'), /nats\.server\.certificate\.cafile: .*is not issued by the CA/]
  ]
  for (const [name, certificate, message] of refused) {
    it(`${name} is refused at start with its path`, async () => {
      const bad = await writeConfig(dir, yaml(4222, certificate), `bad-${name.replace(/\W+/g, '-')}.yaml`)
      await assert.rejects(loadStreamConfig(bad, { encryptInPlace: false }), message)
    })
  }
})
