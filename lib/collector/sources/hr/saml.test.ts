// auth.oauth_saml_assertion (SAP SuccessFactors) against the HR emulator over real HTTP: the
// collector signs an assertion with the configured key files, exchanges it at token_url with the SAML2
// bearer grant plus client_id and company_id, and sends every data request with the token; the token
// is cached and fetched again when it runs out. The emulator verifies each assertion with the
// registered certificate and refuses tampered, expired and wrong-audience ones; the collector then
// fails with the endpoint's reason. Missing or mismatched key files are config problems with paths.
import { test, describe, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { silentLogger } from '../../../logging/types.ts'
import { startHrEmulator, type HrEmulator } from '../../../../test/support/hr-emulator.ts'
import { makeSigningKeyPair } from '../../../../test/support/saml-verifier.ts'
import { hrConfigProblems } from './definition.ts'
import { createHrCollector, hrSamlAssertion, parseHrConfig } from './index.ts'
import type { SamlAssertionProvider } from '../../../helpers/rest/index.ts'

const V2 = '/odata/v2/PerPerson?$expand=employmentNav&$format=json'
const keys = makeSigningKeyPair('sf-signer')
const stranger = makeSigningKeyPair('not registered')
let dir: string
let certs: string
const emulators: HrEmulator[] = []

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hr-saml-'))
  certs = join(dir, 'certs')
  await mkdir(certs)
  await writeFile(join(certs, 'sf-key.pem'), keys.keyPem, { mode: 0o600 })
  await writeFile(join(certs, 'sf-cert.pem'), keys.certPem)
  await writeFile(join(certs, 'other-cert.pem'), stranger.certPem)
})
after(async () => {
  await Promise.all(emulators.map(async e => { await e.stop() }))
  await rm(dir, { recursive: true, force: true })
})

/** Every documented key of auth.oauth_saml_assertion. */
function samlAuth (emu: HrEmulator, over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    base_urls: [emu.url],
    oauth_saml_assertion: {
      audience: 'www.successfactors.com',
      key_file: 'sf-key.pem',
      cert_file: 'sf-cert.pem',
      client_id: 'API-KEY-1',
      company_id: 'ACME01',
      issuer: 'scim-stream',
      name_id: 'sfapi',
      token_url: '/oauth/token',
      user_identifier_format: 'userName',
      life_time: 300,
      ...over
    }
  }
}

async function start (saml: { expiresIn?: number, now?: () => Date, audience?: string, certificatePem?: string } = {}): Promise<HrEmulator> {
  const emu = await startHrEmulator({
    persons: 12,
    pageSize: 5,
    auth: { saml: { client_id: 'API-KEY-1', company_id: 'ACME01', certificatePem: saml.certificatePem ?? keys.certPem, audience: saml.audience ?? 'www.successfactors.com', ...(saml.expiresIn !== undefined ? { expiresIn: saml.expiresIn } : {}), ...(saml.now !== undefined ? { now: saml.now } : {}) } }
  })
  emulators.push(emu)
  return emu
}

describe('auth.oauth_saml_assertion', () => {
  test('every page is requested with the token the signed assertion was exchanged for', async () => {
    const emu = await start()
    const hr = createHrCollector({ auth: { ...samlAuth(emu), base_urls: [`${emu.url}/odata/v2`] }, general: { collect_query_string: V2.replace('/odata/v2', '') } }, { log: silentLogger, certDir: certs })
    const r = await hr.collect()
    assert.equal(r.persons.length, 12)
    assert.equal(r.pages, 3)
    assert.equal(emu.tokenRequests, 1)
    assert.deepEqual(emu.samlSubjects, ['sfapi'])
    assert.deepEqual(emu.tokenRejections, [])
  })

  test('the token is cached across runs and fetched again when it runs out', async () => {
    let clock = Date.now()
    const now = (): Date => new Date(clock)
    const emu = await start({ expiresIn: 3600, now })
    const hr = createHrCollector({ auth: samlAuth(emu), general: { collect_query_string: V2 } }, { log: silentLogger, certDir: certs, now })
    await hr.collect()
    await hr.collect()
    assert.equal(emu.tokenRequests, 1, 'second run uses the cached token')
    clock += 3600_000 // past expiry (the emulator's tokens run on real time, so it still accepts the old one)
    await hr.collect()
    assert.equal(emu.tokenRequests, 2, 'a new assertion and token once the old one is due')
    assert.deepEqual(emu.samlSubjects, ['sfapi', 'sfapi'])
  })

  test('a revoked token (401) gets a new one once and the run goes on', async () => {
    const emu = await start()
    const hr = createHrCollector({ auth: samlAuth(emu), general: { collect_query_string: V2 } }, { log: silentLogger, certDir: certs })
    await hr.collect()
    emu.revokeTokens()
    const r = await hr.collect()
    assert.equal(r.persons.length, 12)
    assert.equal(emu.tokenRequests, 2)
  })

  const refusals: Array<{ name: string, emu: Parameters<typeof start>[0], over?: Record<string, unknown>, tamper?: boolean, reason: RegExp }> = [
    { name: 'a tampered assertion', emu: {}, tamper: true, reason: /invalid signature|digest/i },
    { name: 'an assertion signed by an unregistered key', emu: { certificatePem: stranger.certPem }, reason: /invalid signature/i },
    { name: 'an expired assertion', emu: { now: () => new Date(Date.now() + 301_000) }, reason: /expired/ },
    { name: 'the wrong audience', emu: {}, over: { audience: 'scim-stream' }, reason: /wrong audience/ },
    { name: 'the wrong company', emu: {}, over: { company_id: 'OTHER' }, reason: /company_id/ }
  ]
  for (const c of refusals) {
    test(`${c.name} is refused and the run fails with the endpoint's reason`, async () => {
      const emu = await start(c.emu)
      const cfg = parseHrConfig({ auth: samlAuth(emu, c.over), general: { collect_query_string: V2 } })
      const honest = hrSamlAssertion(cfg.auth.oauth_saml_assertion ?? assert.fail('no saml config'))
      // a tampered assertion: the signed XML changed afterwards (another NameID)
      const tampered: SamlAssertionProvider = async (req) => (await honest(req)).replace('>sfapi<', '>admin<')
      const hr = createHrCollector(cfg, { log: silentLogger, certDir: certs, ...(c.tamper === true ? { samlAssertion: tampered } : {}) })
      await assert.rejects(hr.collect(), (err: Error) => /token request refused .*SAML bearer client API-KEY-1/.test(err.message) && c.reason.test(err.message))
      assert.ok(c.reason.test(emu.tokenRejections.at(-1) ?? ''), emu.tokenRejections.join('; '))
      assert.equal(emu.samlSubjects.length, 0)
    })
  }
})

describe('auth.oauth_saml_assertion configuration', () => {
  test('defaults: token_url /oauth/token, issuer and audience scim-stream, userName, 3600 s', () => {
    const cfg = parseHrConfig({ auth: { base_urls: ['https://sf.test'], oauth_saml_assertion: { client_id: 'k', company_id: 'c', name_id: 'n', key_file: 'k.pem', cert_file: 'c.pem' } }, general: { collect_query_string: '/x' } })
    assert.deepEqual(cfg.auth.oauth_saml_assertion, { token_url: '/oauth/token', client_id: 'k', company_id: 'c', name_id: 'n', key_file: 'k.pem', cert_file: 'c.pem', issuer: 'scim-stream', audience: 'scim-stream', user_identifier_format: 'userName', life_time: 3600 })
  })

  const problems: Array<[string, Record<string, unknown>, string, RegExp]> = [
    ['missing key_file', { key_file: 'absent.pem' }, 'hr.sf.auth.oauth_saml_assertion.key_file', /no such file/],
    ['certificate of another key', { cert_file: 'other-cert.pem' }, 'hr.sf.auth.oauth_saml_assertion.key_file', /do not belong together/],
    ['a certificate as key', { key_file: 'sf-cert.pem' }, 'hr.sf.auth.oauth_saml_assertion.key_file', /no usable private key/],
    ['a key as certificate', { cert_file: 'sf-key.pem' }, 'hr.sf.auth.oauth_saml_assertion.cert_file', /no X.509 certificate/],
    ['an unknown user_identifier_format', { user_identifier_format: 'mail' }, 'hr.sf.auth.oauth_saml_assertion.user_identifier_format', /userName, userId, email/],
    ['no name_id', { name_id: null }, 'hr.sf.auth.oauth_saml_assertion.name_id', /required|non-empty/],
    ['a life_time of 0', { life_time: 0 }, 'hr.sf.auth.oauth_saml_assertion.life_time', />= 1/]
  ]
  for (const [name, over, path, message] of problems) {
    test(`${name} is reported with its path`, () => {
      const section = { auth: { base_urls: ['https://sf.test'], oauth_saml_assertion: { ...samlAuth({ url: 'https://sf.test' } as HrEmulator).oauth_saml_assertion as object, ...over } }, general: { collect_query_string: '/x' } }
      const ps = hrConfigProblems('hr.sf', section, dir)
      assert.ok(ps.some(p => p.path === path && message.test(p.message)), JSON.stringify(ps))
    })
  }

  test('oauth_saml_assertion with basic is refused', () => {
    const ps = hrConfigProblems('hr.sf', { auth: { base_urls: ['https://sf.test'], basic: { username: 'u', password: 'p' }, oauth_saml_assertion: samlAuth({ url: 'https://sf.test' } as HrEmulator).oauth_saml_assertion }, general: { collect_query_string: '/x' } }, dir)
    assert.ok(ps.some(p => p.path === 'hr.sf.auth' && /excludes basic/.test(p.message)), JSON.stringify(ps))
  })
})
