// The documented config shapes (test/collector/fixtures/documented: an Entra tenant and a
// SuccessFactors HR tenant written key by key from the SCIM Stream configuration reference) load
// through the public loader and behave as documented: translation said in one log line each, mapper
// output for sample persons (samples.yaml, exact), the built-in Entra mapper merged with the tenant's
// (fixed entries kept, a tenant override of one said), stream channel selection with dynamics and the
// message initiator, and typos anywhere reported with their path and a "did you mean".
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parse } from 'yaml'
import { isConfigError } from '../../lib/config/index.ts'
import { loadStreamConfig, type LoadedStreamConfig } from '../../lib/collector/config.ts'
import { compileTenantMapper, prepareTenantMapper } from '../../lib/collector/tenant-mapper.ts'
import { parseEntraConfig } from '../../lib/collector/sources/entra/index.ts'
import { recipientsOf } from '../../lib/collector/email-settings.ts'
import { compileStreamRules } from '../../lib/collector/rules/index.ts'
import { applyDynamics, compileDynamics, type DynamicDef } from '../../lib/collector/dynamics/index.ts'
import { initiatorOf, ruleMessage } from '../../lib/collector/initiator.ts'
import { createMemoryLogger } from '../../lib/logging/index.ts'
import type { JsonObject } from '../../lib/scim/types.ts'
import { createTestCa } from '../support/pki.ts'
import { makeSigningKeyPair } from '../support/saml-verifier.ts'

const FIXTURES = new URL('./fixtures/documented/', import.meta.url)
const NOW = new Date('2024-06-15T12:00:00Z')
const text = async (name: string): Promise<string> => await readFile(new URL(name, FIXTURES), 'utf8')
interface Sample { name: string, person: JsonObject, user: JsonObject }
const samples = async (): Promise<{ successfactors: Sample[], entra: Sample[] }> => parse(await text('samples.yaml')) as { successfactors: Sample[], entra: Sample[] }

describe('documented configuration shapes (Entra and SuccessFactors fixtures)', () => {
  let dir: string
  const env = { SEED: 'documented-fixtures' }
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'scim-stream-doc-'))
    // The files the fixtures name, in the config's certs directory: the SuccessFactors SAML signing
    // key and certificate, the Entra example's nats.server.certificate (a CA and a server certificate).
    const certs = join(dir, 'certs')
    await mkdir(certs)
    const saml = makeSigningKeyPair('sf-scim-stream')
    await writeFile(join(certs, 'sf-key.pem'), saml.keyPem, { mode: 0o600 })
    await writeFile(join(certs, 'sf-cert.pem'), saml.certPem)
    const ca = createTestCa('documented example CA')
    const server = ca.issueServer(['localhost'])
    await writeFile(join(certs, 'ca.pem'), ca.certPem)
    await writeFile(join(certs, 'cert.pem'), server.certPem)
    await writeFile(join(certs, 'key.pem'), server.keyPem, { mode: 0o600 })
  })
  after(async () => { await rm(dir, { recursive: true, force: true }) })

  const write = async (name: string, body: string): Promise<string> => {
    const f = join(dir, name)
    await writeFile(f, body)
    return f
  }
  /** Loads the whole file; any problem fails the test with every path and message. */
  const load = async (name: string, body: string): Promise<{ loaded: LoadedStreamConfig, log: ReturnType<typeof createMemoryLogger> }> => {
    const log = createMemoryLogger()
    try {
      return { loaded: await loadStreamConfig(await write(name, body), { env, log }), log }
    } catch (err) {
      if (!isConfigError(err)) throw err
      assert.fail(`the documented shape is refused: ${err.problems.map(p => `${p.path}: ${p.message}`).join('; ')}`)
    }
  }

  it('the SuccessFactors example loads as documented; what was translated is said in one line each', async () => {
    const { loaded, log } = await load('sf.yaml', await text('successfactors.yaml'))
    const t = loaded.config.hr.successfactors
    assert.ok(t !== undefined)
    assert.equal(t.general.collect_interval, '15 1 * * 1-5')
    assert.equal((t.general as JsonObject).collect_query_result_path, 'd.results', 'general.hr block read as general keys')
    assert.match(String((t.general as JsonObject).collect_query_string), /^\/odata\/v2\/PerPerson\?/)
    const infos = log.lines.filter(l => l.level === 'info').map(l => l.message)
    assert.ok(infos.some(m => m.startsWith('hr.successfactors.general.hr: documented block translated: pre_activate_days, collect_query_result_path, collect_query_string')), infos.join('\n'))
    const note = infos.find(m => m.startsWith('hr.successfactors.mapper: documented mapper shape translated'))
    assert.ok(note !== undefined, infos.join('\n'))
    assert.match(note, /"- <source>: \{ map_to \}" → \{ source, map_to \} ×19/)
    assert.match(note, /Join\(a, b, …\) \(concatenation\) → Join\("", a, b, …\) ×3/)
    assert.match(note, /mapper\.rules -most_current applied to a source path ×11/)
    assert.match(note, /map_to "…:User\.<attr>" read as "…:User:<attr>" ×3/)
  })

  it('SuccessFactors mapper output for sample persons (most current employment, match selection, onCreate, URN dot form)', async () => {
    const { loaded } = await load('sf-map.yaml', await text('successfactors.yaml'))
    const mapper = compileTenantMapper('hr', loaded.config.hr.successfactors?.mapper, 'hr.successfactors.mapper', { now: () => NOW })
    for (const s of (await samples()).successfactors) {
      const { user, errors } = mapper.map(s.person)
      assert.deepEqual(errors, [], s.name)
      assert.deepEqual(user, s.user, s.name)
    }
  })

  it('the Entra example loads as documented (several OAuth clients with general.entra.tenant_id, e-mail to a comma string, nats.server.certificate)', async () => {
    const { loaded, log } = await load('entra.yaml', await text('entra.yaml'))
    const notes = log.lines.map(l => l.message)
    assert.ok(loaded.config.entra.mycompany !== undefined)
    // the keys are honoured, not only accepted: both clients (round-robin) with the tenant id from
    // general.entra, the comma-separated recipients, the certificate files of the builtin server
    const entra = parseEntraConfig(loaded.config.entra.mycompany)
    assert.deepEqual(entra.auth.clients.map(c => c.client_id), ['<client-id-1>', '<client-id-2>'])
    assert.equal(entra.auth.tenant_id, '<tenant-id>')
    assert.deepEqual(entra.general.skip_upn_startswith, ['svc'])
    assert.deepEqual(recipientsOf(loaded.config.email.on_error.to), ['ops@example.org', 'security@example.org'])
    assert.equal(loaded.config.nats.server.certificate?.certfile, 'cert.pem')
    assert.ok(notes.some(m => m.startsWith('entra.mycompany.mapper: built-in Entra mapper (31 entries) merged with 4 tenant entries: 1 replace a default, 0 ignored (fixed), 32 in all')), notes.join('\n'))
  })

  it('Entra: the built-in mapper merged with the tenant mapper gives the documented SCIM user', async () => {
    const raw = parse(await text('entra.yaml')) as { entra: Record<string, JsonObject> }
    const section = raw.entra.mycompany?.mapper
    const prepared = prepareTenantMapper('entra', section, 'entra.mycompany.mapper')
    assert.deepEqual(prepared.problems, [])
    assert.deepEqual(prepared.warnings, [], 'displayName → displayName and appRoles → roles repeat the fixed entries: nothing to say')
    assert.equal(prepared.mapper.user.length, 32, '31 defaults, id replaces mailNickname → externalId, nickName added')
    const mapper = compileTenantMapper('entra', prepared.mapper, 'entra.mycompany.mapper')
    for (const s of (await samples()).entra) {
      const { user, errors } = mapper.map(s.person)
      assert.deepEqual(errors, [], s.name)
      assert.deepEqual(user, s.user, s.name)
    }
  })

  it('Entra: a tenant entry writing a fixed attribute is ignored and said; others override or extend', async () => {
    const p = prepareTenantMapper('entra', {
      user: [
        { givenName: { map_to: 'displayName' } },
        { memberOf: { map_to: 'groups' } },
        { 'Join("x", [a])': { map_to: 'roles' } },
        { employeeId: { map_to: 'userName' } },
        { extensionAttribute1: { map_to: 'urn:acme:User:badge' } }
      ]
    }, 'entra.t.mapper')
    assert.deepEqual(p.problems, [])
    assert.equal(p.warnings.length, 2)
    assert.match(p.warnings[0] ?? '', /^entra\.t\.mapper\.user\[0\]: "givenName" → displayName ignored: the built-in Entra mapper's displayName → displayName cannot be overridden/)
    assert.match(p.warnings[1] ?? '', /^entra\.t\.mapper\.user\[2\]: .* → roles ignored: the built-in Entra mapper's appRoles → roles cannot be overridden/)
    const m = compileTenantMapper('entra', p.mapper, 'entra.t.mapper')
    const { user } = m.map({ displayName: 'Ann Able', givenName: 'Ann', employeeId: 'E1', userPrincipalName: 'ann@x', extensionAttribute1: 'B-7', officeLocation: 'Building 7', memberOf: [{ value: 'g', display: 'G' }], appRoles: [] })
    assert.deepEqual(user.addresses, [{ type: 'work', formatted: 'Building 7' }], 'physicalDeliveryOfficeName is officeLocation in Graph')
    assert.equal(user.displayName, 'Ann Able')
    assert.equal(user.userName, 'E1', 'a tenant entry replaces the default writing the same attribute')
    assert.deepEqual(user.groups, [{ value: 'g', display: 'G' }])
    assert.deepEqual((user['urn:acme:User'] as JsonObject).badge, 'B-7')
  })

  it('Entra example streams and dynamics select channels as documented (object ids, spaced names, -exclude, initiatedByUpn)', async () => {
    const raw = parse(await text('entra.yaml')) as { entra: Record<string, JsonObject> }
    const tenant = raw.entra.mycompany as JsonObject
    const mapper = compileTenantMapper('entra', tenant.mapper, 'entra.mycompany.mapper')
    const dynamics = compileDynamics(tenant.dynamics as unknown as DynamicDef[])
    const streams = compileStreamRules(tenant.streams as never)
    const roleApps = { 'a12f063b-1c8b-40e0-9988-01b46f478349': 'App One' }
    const run = (person: JsonObject): Record<string, { groups: unknown, roles: unknown }> => {
      const { user } = applyDynamics(mapper.map(person).user, dynamics)
      const by = initiatorOf(person, { id: 'scim-stream', upn: 'scim-stream@mycompany' })
      const out: Record<string, { groups: unknown, roles: unknown }> = {}
      for (const v of streams.evaluate(ruleMessage(user, by, person))) {
        out[v.channel] = { groups: (v.user.groups as JsonObject[] | undefined)?.map(g => g.display), roles: (v.user.roles as JsonObject[] | undefined)?.map(r => r.value) }
      }
      return out
    }
    const base = { userPrincipalName: 'x@contoso.example', accountEnabled: true, '@roleApps': roleApps }
    // a consultant in Employees with roles of App One (by object id) and Application 1; changed by a person
    const ann = run({
      ...base, id: 'u1', jobTitle: 'Senior Consultant', mail: 'ann@example.org',
      memberOf: [{ value: 'dc474382-b3b6-4d7b-a6da-e9721c4ba150', display: 'Employees' }, { value: 'g3', display: 'App3_Users' }],
      appRoles: [{ type: 'App One', display: 'Reader', value: 'app1.reader' }, { type: 'Application 1', display: 'Employees access', value: 'Employees' }],
      '@initiatedBy': { id: 'a-1', upn: 'admin@contoso.example' }
    })
    assert.deepEqual(Object.keys(ann).sort(), ['AD', 'APP1', 'APP2', 'APP3', 'APP4', 'APP5', 'DYN'])
    assert.deepEqual(ann.APP1, { groups: [], roles: ['app1.reader'] }, 'user.roles.<object id>: the roles of that application only')
    assert.deepEqual(ann.APP2, { groups: ['Employees'], roles: [] })
    assert.deepEqual(ann.APP3, { groups: ['App3_Users'], roles: ['Employees'] }, 'App3.* groups and "Application 1" (unquoted, with a space) roles')
    assert.deepEqual(ann.AD, { groups: [], roles: [] }, '-exclude: provisioned by Employees membership, the group not sent')
    assert.deepEqual(ann.DYN?.groups, [], 'the channel selects no groups; dynamic-1 qualified the user')
    assert.deepEqual(ann.APP5?.groups, ['Employees', 'App3_Users', 'Grp1-name', 'Grp2-name'], 'dynamic groups added')
    // the same user changed by Entra Connect sync: not looped back to AD
    const synced = run({ ...base, id: 'u2', jobTitle: 'Driver', memberOf: [{ value: 'dc474382-b3b6-4d7b-a6da-e9721c4ba150', display: 'Employees' }], '@initiatedBy': { id: 's-1', upn: 'Sync_DC01_1a2b@contoso.onmicrosoft.com' } })
    assert.deepEqual(Object.keys(synced).sort(), ['APP2', 'APP5'])
    // a Dog Trainer in App4 without the example.org mail
    const dog = run({ ...base, id: 'u3', jobTitle: 'Dog Trainer', mail: 'dt@contoso.example', memberOf: [{ value: 'g4', display: 'App4_Kennel' }] })
    assert.deepEqual(dog.APP4, { groups: ['App4_Kennel'], roles: undefined }, 'no appRoles: no roles attribute')
    assert.deepEqual(Object.keys(dog).sort(), ['APP4', 'APP5'])
  })

  it('typos anywhere are problems with their path and a "did you mean"', async () => {
    const sf = (await text('successfactors.yaml'))
      .replace('collect_interval: 15 1', 'collect_intervall: 15 1')
      .replace('map_to: userName', 'map_to: userNamee')
      .replace('map_to: title', 'mapto: title')
      .replace('life_time: 3600', 'lifetime: 3600')
      .replace('collect_query_result_path: d.results', 'collect_query_results_path: d.results')
      .replace('- filter: (employmentNav.results -most_current "startDate")', '- filtr: (employmentNav.results -most_current "startDate")')
    const extra = `    dynamics:
      - dynamic_idd: d1
        rules: [ { filter: (user.title -match "x") } ]
        assignments: { user.userType: X }
`
    const body = sf.replace('    dynamics: null\n', extra)
      .replace("        - employmentNav.results.[0].endDate:\n            map_to: endDate", "        - employmentNav.results.[0].endDate:\n            map_to: endDate\n        - personIdExternal:\n            map_to: externalIdd")
    await assert.rejects(loadStreamConfig(await write('typos.yaml', body), { env }), (err: unknown) => {
      assert.ok(isConfigError(err))
      const byPath = new Map(err.problems.map(p => [p.path, p.message]))
      const expect: Array<[string, RegExp]> = [
        ['hr.successfactors.general.collect_intervall', /unknown key \(did you mean "collect_interval"\?\)/],
        ['hr.successfactors.mapper.user[0].map_to', /unknown SCIM attribute "userNamee" \(did you mean "userName"\?\)/],
        ['hr.successfactors.mapper.user[5].map_to', /unknown SCIM attribute "externalIdd" \(did you mean "externalId"\?\)/],
        ['hr.successfactors.mapper.user[16].mapto', /unknown key \(did you mean "map_to"\?\)/],
        ['hr.successfactors.auth.oauth_saml_assertion.lifetime', /unknown key \(did you mean "life_time"\?\)/],
        ['hr.successfactors.general.hr.collect_query_results_path', /unknown key \(did you mean "collect_query_result_path"\?\)/],
        ['hr.successfactors.mapper.rules[0].filtr', /unknown key \(did you mean "filter"\?\)/],
        ['hr.successfactors.dynamics[0].dynamic_idd', /unknown key \(did you mean "dynamic_id"\?\)/]
      ]
      for (const [path, re] of expect) assert.match(byPath.get(path) ?? `(no problem at ${path}; got ${[...byPath.keys()].join(', ')})`, re)
      return true
    })
  })

  it('the reference spelling dynamicId is read as dynamic_id, and said', async () => {
    const body = (await text('successfactors.yaml')).replace('    dynamics: null\n', `    dynamics:
      - dynamicId: consultants
        rules: [ { filter: (user.title -match "Consultant") } ]
        assignments: { user.userType: Consultant }
`)
    const { loaded, log } = await load('dyn.yaml', body)
    assert.equal((loaded.config.hr.successfactors?.dynamics[0] as JsonObject).dynamic_id, 'consultants')
    assert.ok(log.lines.some(l => l.message === 'hr.successfactors.dynamics: documented dynamicId read as dynamic_id ×1'))
  })

  it('an unknown documented-entry shape or a typo inside map_to sub-attributes is reported', () => {
    const p = prepareTenantMapper('hr', {
      user: [
        { mail: 'emails[type eq "work"].value' },
        { mail: { map_to: 'emails[type eq "work"].valeu' } },
        { a: { map_to: 'title' }, b: { map_to: 'title' } },
        { c: { map_to: 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:departmnt' } }
      ],
      rulez: []
    }, 'hr.t.mapper')
    assert.deepEqual(p.problems.map(x => `${x.path}: ${x.message}`), [
      'hr.t.mapper.rulez: unknown key (did you mean "rules"?)',
      'hr.t.mapper.user[0]: "mail" needs { map_to: <SCIM attribute> } as its value',
      'hr.t.mapper.user[2]: must be "- <source>: { map_to: <SCIM attribute> }" or "{ source, map_to }"; found keys "a", "b"',
      'hr.t.mapper.user[1].map_to: unknown sub-attribute "emails.valeu" (did you mean "value"?)',
      'hr.t.mapper.user[3].map_to: unknown enterprise attribute "departmnt" (did you mean "department"?)'
    ])
  })
})
