// An HR tenant configured in the documented SuccessFactors shape — auth.oauth_saml_assertion with every
// documented key and its key files in the config's certs directory, general.hr.{collect_query_string,
// collect_query_result_path, pre_activate_days}, a 5-field crontab — run by the service against the HR
// emulator, whose token endpoint verifies each SAML assertion: a joiner is created, a mover gets a
// dynamic group and loses it again, a leaver is deactivated; one token serves every run.
// (The mapper here is in this project's { source, map_to } form: the documented list form and
// mapper.rules are another branch's work — issue 11 items 1 and 2.)
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { startService, type StreamService } from '../../lib/collector/service.ts'
import { createMemoryLogger } from '../../lib/logging/index.ts'
import type { JsonObject } from '../../lib/scim/types.ts'
import { startHrEmulator, type HrEmulator } from '../support/hr-emulator.ts'
import { makeSigningKeyPair } from '../support/saml-verifier.ts'
import { freePort, makeWorkDir, subscribe, writeConfig, type ContractSubscriber, type Received } from './support.ts'

const DAY = 86_400_000
const TODAY = Date.UTC(new Date().getUTCFullYear(), new Date().getUTCMonth(), new Date().getUTCDate())

function person (id: string, first: string, dept: string, end?: number): JsonObject {
  return {
    personIdExternal: id,
    personalInfoNav: { results: [{ firstName: first, lastName: 'Sf' }] },
    employmentNav: { results: [{ userId: `u${id}`, startDate: `/Date(${TODAY - 50 * DAY})/`, endDate: end === undefined ? null : `/Date(${end})/`, jobInfoNav: { results: [{ department: dept, jobTitle: 'Engineer' }] } }] }
  }
}

describe('HR tenant in the documented SuccessFactors shape (SAML bearer, emulator, builtin NATS)', () => {
  let dir: string
  let hr: HrEmulator
  let svc: StreamService | undefined
  let sub: ContractSubscriber
  const keys = makeSigningKeyPair('sf-scim-stream')
  const run = async (): Promise<Received[]> => {
    await (svc as StreamService).runNow('sf')
    return await sub.take({ expectAtLeast: 1, waitMs: 5000 })
  }

  before(async () => {
    dir = await makeWorkDir()
    await writeFile(join(dir, 'certs', 'sf-key.pem'), keys.keyPem, { mode: 0o600 })
    await writeFile(join(dir, 'certs', 'sf-cert.pem'), keys.certPem)
    hr = await startHrEmulator({
      persons: [person('1', 'ada', 'Engineering'), person('2', 'ben', 'Engineering')],
      auth: { saml: { client_id: 'API-KEY-1', company_id: 'ACME01', certificatePem: keys.certPem, audience: 'www.successfactors.com' } }
    })
    const file = await writeConfig(dir, `hr:
  sf:
    auth:
      base_urls: [ "${hr.url}/odata/v2" ]
      oauth_saml_assertion:
        audience: www.successfactors.com
        key_file: sf-key.pem
        cert_file: sf-cert.pem
        client_id: API-KEY-1
        company_id: ACME01
        issuer: scim-stream
        name_id: sfapi
        token_url: ${hr.url}/oauth/token
        user_identifier_format: userName
        life_time: 3600
    general:
      collect_interval: 15 1 * * 1-5
      do_initial_load: false
      hr:
        pre_activate_days: 0
        collect_query_result_path: d.results
        collect_query_string: /PerPerson?$count=true&customPageSize=100&$format=json&$expand=employmentNav/userNav,employmentNav/jobInfoNav,personalInfoNav,phoneNav,emailNav&$filter=employmentNav/startDate ne null
    streams:
      - channel: SF
        comment: All included
        rules:
          - filter: (.*)
    dynamics:
      - { dynamic_id: sales, rules: [ { filter: '(user.department -match "^Sales$")' } ], assignments: { user.groups: [ { value: Sales, display: Sales } ] } }
    mapper:
      user:
        - { source: personIdExternal, map_to: externalId }
        - { source: 'Join("", LowerCase([personalInfoNav.results.[0].firstName]), "@acme.test")', map_to: userName }
        - { source: 'personalInfoNav.results.[0].firstName', map_to: name.givenName }
        - { source: '(employmentNav.results -most_current "startDate").jobInfoNav.results.[0].department', map_to: department }
nats:
  server:
    host: 127.0.0.1
    port: ${await freePort()}
log:
  console: false
`)
    svc = await startService({ configFile: file, log: createMemoryLogger(), runAtStart: false, watch: false, env: { SEED: 'sf-e2e' } })
    const nats = svc.nats.builtin
    assert.ok(nats !== undefined)
    sub = await subscribe(nats, 'sf', 'hr', 'HR.>')
  })

  after(async () => {
    await sub?.close()
    await svc?.stop()
    await hr?.stop()
    await rm(dir, { recursive: true, force: true })
  })

  it('schedules on the crontab and collects with a verified SAML assertion: joiners are created', async () => {
    const next = (svc as StreamService).nextRun('sf')
    assert.deepEqual([next?.getHours(), next?.getMinutes()], [1, 15])
    const got = await run()
    assert.deepEqual(got.map(m => [m.subject, m.body.activityOperation, m.body.targetUpn]).sort(), [['HR.SF', 'createUser', 'ada@acme.test'], ['HR.SF', 'createUser', 'ben@acme.test']])
    assert.deepEqual(hr.samlSubjects, ['sfapi'])
    assert.deepEqual(hr.tokenRejections, [])
  })

  it('a mover into Sales gets the dynamic group, and loses it moving back', async () => {
    hr.setPersons([person('1', 'ada', 'Engineering'), person('2', 'ben', 'Sales')])
    const into = await run()
    assert.equal(into.length, 1)
    assert.equal(into[0]?.body.targetUpn, 'ben@acme.test')
    assert.deepEqual(into[0]?.body.Operations.find(o => o.path === 'groups'), { op: 'add', path: 'groups', value: [{ value: 'Sales', display: 'Sales' }] })
    hr.setPersons([person('1', 'ada', 'Engineering'), person('2', 'ben', 'Engineering')])
    const out = await run()
    assert.equal(out.length, 1)
    // the removal in the contract's value-list form (STREAM-CONTRACT.md), and groups: [] as the last one went
    assert.deepEqual(out[0]?.body.Operations.filter(o => o.op === 'remove'), [{ op: 'remove', path: 'groups', value: [{ value: 'Sales', display: 'Sales', id: 'Sales' }] }])
    assert.deepEqual(out[0]?.body.user.groups, [])
  })

  it('a leaver (end date passed) is deactivated; the cached token served every run', async () => {
    hr.setPersons([person('1', 'ada', 'Engineering', TODAY - 2 * DAY), person('2', 'ben', 'Engineering')])
    const got = await run()
    assert.deepEqual(got.map(m => [m.body.activityOperation, m.body.targetUpn]), [['modifyUser', 'ada@acme.test']])
    // (-most_current sees no current employment any more, so the department goes too.)
    assert.ok(got[0]?.body.Operations.some(o => o.op === 'replace' && o.path === 'active' && o.value === false), JSON.stringify(got[0]?.body.Operations))
    assert.equal(hr.tokenRequests, 1)
  })
})
