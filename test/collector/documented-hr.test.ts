// The SuccessFactors tenant of the documentation (test/collector/fixtures/documented/successfactors.yaml,
// unchanged but for the emulator's URLs, the <…> placeholders, a free NATS port and a dynamic) end to
// end, SAML auth included: HR emulator (real HTTP, SuccessFactors OData v2, a token endpoint that
// verifies each signed SAML assertion) → the service in process (builtin nats-server child) → (a) a
// contract-checking subscriber on HR.> and (b) a gateway (plugin-loki in memory) subscribed with the
// stream module in scimgateway's config shape under entity "undefined", exactly as
// `scim-stream credentials` prints it. Joiner (the documented mapper's user: most current employment,
// primary phone by match, onCreate templates, name.formatted from the SCIM user), a future joiner not
// published, a mover out of the dynamic group and back in, a leaver (active false, then deleteUser
// when HR drops the person); the messages are the STREAM-CONTRACT shapes, and GET /Users without a
// baseEntity shows what they did.
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { readFile, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { gatewayConfigSchema, validate } from '../../lib/config/index.ts'
import { runCli } from '../../lib/collector/cli/index.ts'
import { startService, type StreamService } from '../../lib/collector/service.ts'
import { createMemoryLogger } from '../../lib/logging/index.ts'
import { startHrEmulator, type HrEmulator } from '../support/hr-emulator.ts'
import { makeSigningKeyPair } from '../support/saml-verifier.ts'
import type { JsonObject } from '../../lib/scim/types.ts'
import { BASIC, call, startStreamGateway, waitFor, type StreamGateway } from '../stream/support.ts'
import { freePort, makeWorkDir, subscribe, writeConfig, type ContractSubscriber, type Received } from './support.ts'

const CLIENT_ID = 'SF-API-KEY-1'
const COMPANY_ID = 'ACME01'
const NAME_ID = 'sfapi'
const GROUP = 'IT Staff'
/** The contract's removal of the dynamic group (STREAM-CONTRACT.md: value, display and id). */
const GROUP_REMOVAL = { op: 'remove', path: 'groups', value: [{ value: GROUP, display: GROUP, id: GROUP }] }

const DAY = 86_400_000
const ENT = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User'
const sfDate = (ms: number): string => `/Date(${ms})/`

/** A SuccessFactors PerPerson record with the navigations the documented mapper reads. */
function person (id: string, first: string, last: string, employments: Array<{ start: number, end?: number, title: string, department: string }>): JsonObject {
  return {
    personIdExternal: id,
    personalInfoNav: { results: [{ firstName: first, lastName: last }] },
    phoneNav: { results: [{ isPrimary: false, phoneNumber: '+47 000' }, { isPrimary: true, phoneNumber: `+47 ${id}` }] },
    emailNav: { results: [{ isPrimary: true, emailAddress: `${first.toLowerCase()}@example.org` }] },
    employmentNav: {
      results: employments.map(e => ({
        startDate: sfDate(e.start),
        endDate: e.end === undefined ? null : sfDate(e.end),
        userNav: { city: 'Oslo', country: 'NO', state: 'Oslo', zipCode: '0150', addressLine1: 'Main Street 2' },
        jobInfoNav: { results: [{ jobTitle: e.title, managerId: '900', department: e.department, division: 'South' }] }
      }))
    }
  }
}

describe('the documented SuccessFactors tenant (SAML auth): joiner, mover into a dynamic group and out, leaver — messages and a gateway', () => {
  let dir: string
  let hr: HrEmulator
  let svc: StreamService | undefined
  let sub: ContractSubscriber
  let gw: StreamGateway | undefined
  const log = createMemoryLogger()
  const now = Date.now()
  const since2020 = Date.UTC(2020, 0, 1)
  const keys = makeSigningKeyPair('sf-scim-stream')
  let ann: JsonObject

  /** The user `userName` as GET /Users (no baseEntity) shows it. */
  const atGateway = async (userName: string): Promise<Record<string, unknown> | undefined> => {
    const r = await call((gw as StreamGateway).url, 'GET', `/Users?filter=${encodeURIComponent(`userName eq "${userName}"`)}`)
    assert.equal(r.status, 200, r.text)
    return (r.body?.Resources as Array<Record<string, unknown>> | undefined)?.[0]
  }
  const groupsAtGateway = (u: Record<string, unknown> | undefined): string[] =>
    (Array.isArray(u?.groups) ? u.groups as Array<{ display?: string, value?: string }> : []).map(g => g.display ?? g.value ?? '').sort()
  /** Nothing of the service's own bookkeeping in a published message (dynamicIds is internal). */
  const noInternals = (m: Received): void => {
    assert.ok(!('dynamicIds' in m.body.user), `user carries dynamicIds: ${JSON.stringify(m.body.user)}`)
    assert.ok(!m.body.Operations.some(op => /dynamicIds/i.test(op.path) || JSON.stringify(op.value ?? null).includes('dynamicIds')), JSON.stringify(m.body.Operations))
  }

  before(async () => {
    dir = await makeWorkDir()
    // the documented key_file / cert_file, in the config's certs directory
    await writeFile(join(dir, 'certs', 'sf-key.pem'), keys.keyPem, { mode: 0o600 })
    await writeFile(join(dir, 'certs', 'sf-cert.pem'), keys.certPem)
    ann = person('1001', 'Åse', 'Øvre Dal', [
      { start: Date.UTC(2015, 0, 1), end: Date.UTC(2019, 11, 31), title: 'Trainee', department: 'Sales' },
      { start: since2020, title: 'Consultant', department: 'IT' }
    ])
    hr = await startHrEmulator({
      persons: [ann, person('1002', 'Bo', 'Ek', [{ start: now + 400 * DAY, title: 'Analyst', department: 'IT' }])],
      auth: { saml: { client_id: CLIENT_ID, company_id: COMPANY_ID, certificatePem: keys.certPem, audience: 'www.successfactors.com' } }
    })
    const doc = await readFile(new URL('./fixtures/documented/successfactors.yaml', import.meta.url), 'utf8')
    const body = doc
      .replaceAll('https://api.successfactors.example', hr.url)
      .replace('<client-id>', CLIENT_ID)
      .replace('<company-id>', COMPANY_ID)
      .replace('<name-id>', NAME_ID)
      .replace('    dynamics: null\n', `    dynamics:
      - dynamic_id: it-staff
        rules:
          - filter: (user.urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department -match "^IT$")
        assignments:
          user.groups:
            - display: ${GROUP}
              value: ${GROUP}
`)
      .replace('nats:\n  server:\n    port: 9012\n', `nats:\n  server:\n    host: 127.0.0.1\n    port: ${await freePort()}\n`)
    assert.ok(body.includes(`token_url: ${hr.url}/oauth/token`) && !/<[a-z]+-id>/.test(body) && body.includes('it-staff') && !body.includes('9012'), 'fixture edited as intended')
    const file = await writeConfig(dir, body)
    svc = await startService({ configFile: file, log, runAtStart: false, watch: false, env: { ...process.env, SEED: 'documented-hr' } })
    const nats = svc.nats.builtin
    assert.ok(nats !== undefined)
    sub = await subscribe(nats, 'successfactors', 'hr', 'HR.>')
    // the gateway: scimgateway's stream config as `scim-stream credentials` prints it (entity "undefined")
    let printed = ''
    const code = await runCli(['credentials', '--tenant', 'successfactors', '--type', 'hr', '--config', file],
      { out: (t) => { printed += t }, err: (t) => { printed += t }, env: { SEED: 'documented-hr' } })
    assert.equal(code, 0, printed)
    const fragment = JSON.parse(printed) as { scimgateway: { stream: { subscriber: { entity: JsonObject } } } }
    assert.deepEqual(Object.keys(fragment.scimgateway.stream.subscriber.entity), ['undefined'], 'the default entity: requests without a baseEntity')
    const r = validate(gatewayConfigSchema, {
      scimgateway: { localhostonly: true, auth: { basic: [BASIC] }, stream: fragment.scimgateway.stream },
      endpoint: { entity: { undefined: {} } }
    })
    assert.ok(r.ok, JSON.stringify(r.errors))
    gw = await startStreamGateway(r.value)
  })

  after(async () => {
    await gw?.stop()
    await sub?.close()
    await svc?.stop()
    await hr?.stop()
    await rm(dir, { recursive: true, force: true })
  })

  it('joiner: createUser on HR.SF with the documented mapper\'s user (SAML token); the future joiner is not published; the gateway has the user', async () => {
    const stats = await (svc as StreamService).runNow('successfactors')
    assert.equal(stats.persons, 2)
    assert.deepEqual(hr.samlSubjects, [NAME_ID], 'one verified SAML assertion, for the documented name_id')
    assert.deepEqual(hr.tokenRejections, [])
    const got = await sub.take({ expectAtLeast: 1 })
    assert.equal(got.length, 1, JSON.stringify(got.map(m => m.body.targetUpn)))
    const m = got[0] as Received
    assert.equal(m.subject, 'HR.SF')
    assert.equal(m.body.activityOperation, 'createUser')
    noInternals(m)
    const u = m.body.user
    assert.equal(u.userName, '1001')
    assert.deepEqual(u.name, { givenName: 'Åse', familyName: 'Øvre Dal', formatted: 'Åse Øvre Dal' })
    assert.equal(u.title, 'Consultant', 'the most current employment, not [0]')
    assert.equal(u.startDate, sfDate(since2020))
    assert.deepEqual(u.phoneNumbers, [{ type: 'mobile', value: '+47 1001' }], 'the primary phone, selected by match')
    assert.deepEqual(u[ENT], { manager: { value: '900' }, department: 'IT', division: 'South' })
    assert.match(String((u.onCreate as JsonObject | undefined)?.userPrincipalName), /^GetUniqueValue\(Normalize\(Join\("", LowerCase/, 'the template goes to the subscriber, translated')
    assert.deepEqual(u.groups, [{ display: GROUP, value: GROUP }], 'the dynamic group')
    assert.equal(u.active, true)
    assert.deepEqual(m.body.Operations.find(op => op.path === 'groups'), { op: 'add', path: 'groups', value: [{ display: GROUP, value: GROUP }] })

    let seen: Record<string, unknown> | undefined
    await waitFor('the joiner at GET /Users (no baseEntity)', async () => (seen = await atGateway('1001')) !== undefined && groupsAtGateway(seen).includes(GROUP), 30_000)
    assert.equal(seen?.title, 'Consultant')
    assert.equal(seen?.active, true)
    assert.equal(await atGateway('1002'), undefined, 'the future joiner is not provisioned')
  })

  it('mover out of IT: the dynamic group is removed in the contract\'s value-list form, groups: [] sent; back into IT: added again', async () => {
    const moved = structuredClone(ann)
    const jobs = (moved.employmentNav as { results: JsonObject[] }).results
    ;(jobs[1] as JsonObject).endDate = sfDate(now - 2 * DAY)
    jobs.push((person('1001', 'Åse', 'Øvre Dal', [{ start: now - DAY, title: 'Account Manager', department: 'Sales' }]).employmentNav as { results: JsonObject[] }).results[0] as JsonObject)
    hr.setPersons([moved])
    await (svc as StreamService).runNow('successfactors')
    const out = (await sub.take({ expectAtLeast: 1, waitMs: 3000 }))
    assert.equal(out.length, 1)
    const o = out[0] as Received
    assert.equal(o.body.activityOperation, 'modifyUser')
    noInternals(o)
    assert.deepEqual(o.body.Operations.filter(op => op.op === 'remove'), [GROUP_REMOVAL])
    assert.ok(o.body.Operations.some(op => op.path === 'title' && op.value === 'Account Manager'), JSON.stringify(o.body.Operations))
    assert.deepEqual(o.body.user.groups, [], 'the last group gone: user.groups is [] (deleteUserOnLastGroupRoleRemoval on deployed subscribers)')
    await waitFor('out of the group at the gateway', async () => {
      const u = await atGateway('1001')
      return u?.title === 'Account Manager' && !groupsAtGateway(u).includes(GROUP)
    }, 30_000)

    hr.setPersons([ann])
    await (svc as StreamService).runNow('successfactors')
    const back = await sub.take({ expectAtLeast: 1, waitMs: 3000 })
    assert.equal(back.length, 1)
    const b = back[0] as Received
    assert.equal(b.body.activityOperation, 'modifyUser')
    noInternals(b)
    assert.deepEqual(b.body.Operations.find(op => op.path === 'groups'), { op: 'add', path: 'groups', value: [{ display: GROUP, value: GROUP }] })
    assert.deepEqual(b.body.user.groups, [{ display: GROUP, value: GROUP }])
    await waitFor('back in the group at the gateway', async () => groupsAtGateway(await atGateway('1001')).includes(GROUP), 30_000)
  })

  it('leaver: the last employment ended → modifyUser active false; HR drops the person → deleteUser, gone from GET /Users', async () => {
    const left = structuredClone(ann)
    ;((left.employmentNav as { results: JsonObject[] }).results[1] as JsonObject).endDate = sfDate(now - 3 * DAY)
    hr.setPersons([left])
    await (svc as StreamService).runNow('successfactors')
    const got = await sub.take({ expectAtLeast: 1, waitMs: 3000 })
    assert.equal(got.length, 1)
    const m = got[0] as Received
    assert.equal(m.body.activityOperation, 'modifyUser')
    noInternals(m)
    assert.ok(m.body.Operations.some(op => op.path === 'active' && op.value === false), JSON.stringify(m.body.Operations))
    assert.equal(m.body.user.active, false)
    await waitFor('inactive at the gateway', async () => (await atGateway('1001'))?.active === false, 30_000)

    hr.setPersons([])
    await (svc as StreamService).runNow('successfactors')
    const del = await sub.take({ expectAtLeast: 1, waitMs: 3000 })
    assert.equal(del.length, 1)
    const d = del[0] as Received
    assert.equal(d.body.activityOperation, 'deleteUser')
    assert.equal(d.body.targetUpn, '1001')
    assert.deepEqual(d.body.Operations, [])
    assert.equal(d.body.user.userName, '1001')
    noInternals(d)
    await waitFor('the leaver removed from GET /Users', async () => (await atGateway('1001')) === undefined, 30_000)
    assert.deepEqual(hr.samlSubjects, [NAME_ID], 'the token was cached across runs')
  })
})
