// The whole product chain: HR emulator → SCIM Stream service (in process, builtin nats-server) →
// a real gateway (plugin-loki in memory) whose stream subscriber is configured with exactly what
// `scim-stream credentials` prints. Joiner created at the endpoint, mover's dynamic group applied,
// leaver deactivated; a user in groups A, B, C who loses B keeps A, C and a group joined at the
// endpoint outside the stream.
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { rm } from 'node:fs/promises'
import { gatewayConfigSchema, validate } from '../../lib/config/index.ts'
import { runCli } from '../../lib/collector/cli/index.ts'
import { startService, type StreamService } from '../../lib/collector/service.ts'
import { silentLogger } from '../../lib/logging/types.ts'
import type { JsonObject } from '../../lib/scim/types.ts'
import { startHrEmulator, type HrEmulator } from '../support/hr-emulator.ts'
import { AUTH_HEADER, BASIC, getUser, startStreamGateway, waitFor, type StreamGateway } from '../stream/support.ts'
import { freePort, makeWorkDir, writeConfig } from './support.ts'

const DAY = 86_400_000
const TODAY = Date.UTC(new Date().getUTCFullYear(), new Date().getUTCMonth(), new Date().getUTCDate())

function person (id: string, first: string, dept: string, end?: number, jobTitle = 'Engineer'): JsonObject {
  return {
    personIdExternal: id,
    personalInfoNav: { results: [{ firstName: first, lastName: 'Gw' }] },
    employmentNav: { results: [{ userId: `u${id}`, startDate: `/Date(${TODAY - 50 * DAY})/`, endDate: end === undefined ? null : `/Date(${end})/`, jobInfoNav: { results: [{ department: dept, jobTitle }] } }] }
  }
}

const groupNames = (u: Record<string, unknown> | undefined): string[] =>
  (Array.isArray(u?.groups) ? u.groups as Array<{ display?: string }> : []).map(g => g.display ?? '').sort()

describe('SCIM Stream → gateway subscriber (plugin-loki), configured by `scim-stream credentials`', () => {
  let dir: string
  let hr: HrEmulator
  let svc: StreamService | undefined
  let gw: StreamGateway | undefined

  before(async () => {
    dir = await makeWorkDir()
    hr = await startHrEmulator({ persons: [person('1', 'gina', 'Engineering'), person('2', 'hal', 'Engineering'), person('3', 'ivy', 'Support', undefined, 'Lead')] })
    const file = await writeConfig(dir, `hr:
  acme:
    auth: { base_urls: [ "${hr.url}/odata/v2" ] }
    general: { collect_interval: 3600, collect_query_string: "/PerPerson?$expand=personalInfoNav,employmentNav/jobInfoNav&$format=json" }
    mapper:
      user:
        - { source: personIdExternal, map_to: externalId }
        - { source: 'Join("", LowerCase([personalInfoNav.results.[0].firstName]), "@acme.test")', map_to: userName }
        - { source: 'personalInfoNav.results.[0].firstName', map_to: name.givenName }
        - { source: '(employmentNav.results -most_current "startDate").jobInfoNav.results.[0].department', map_to: department }
        - { source: '(employmentNav.results -most_current "startDate").jobInfoNav.results.[0].jobTitle', map_to: title }
    dynamics:
      - { dynamic_id: sales, rules: [ { filter: '(user.department -match "^Sales$")' } ], assignments: { user.groups: [ { value: Sales, display: Sales } ] } }
      - { dynamic_id: support-a, rules: [ { filter: '(user.department -match "^Support$")' } ], assignments: { user.groups: [ { value: grp-a, display: Team A } ] } }
      - { dynamic_id: support-b, rules: [ { filter: '(user.department -match "^Support$") and (user.title -match "^Lead$")' } ], assignments: { user.groups: [ { value: grp-b, display: Team B } ] } }
      - { dynamic_id: support-c, rules: [ { filter: '(user.department -match "^Support$")' } ], assignments: { user.groups: [ { value: grp-c, display: Team C } ] } }
    streams:
      - { channel: LOKI, rules: [ { filter: '(.*)' } ] }
nats:
  server: { host: 127.0.0.1, port: ${await freePort()} }
`)
    svc = await startService({ configFile: file, log: silentLogger, runAtStart: false, watch: false })
    let printed = ''
    const code = await runCli(['credentials', '--tenant', 'acme', '--type', 'hr', '--entity', 'acme', '--config', file],
      { out: (t) => { printed += t }, err: (t) => { printed += t }, env: { SEED: 'x' } })
    assert.equal(code, 0, printed)
    const fragment = JSON.parse(printed) as { scimgateway: { stream: JsonObject } }
    const r = validate(gatewayConfigSchema, {
      scimgateway: { localhostonly: true, auth: { basic: [BASIC] }, stream: fragment.scimgateway.stream },
      endpoint: { entity: { acme: {} } }
    })
    assert.ok(r.ok, JSON.stringify(r.errors))
    gw = await startStreamGateway(r.value)
  })

  after(async () => {
    await gw?.stop()
    await svc?.stop()
    await hr?.stop()
    await rm(dir, { recursive: true, force: true })
  })

  it('joiners are created at the endpoint', async () => {
    await (svc as StreamService).runNow('acme')
    const url = (gw as StreamGateway).url
    await waitFor('users at the endpoint', async () => (await getUser(url, 'gina@acme.test', 'acme')) !== undefined && (await getUser(url, 'hal@acme.test', 'acme')) !== undefined, 30_000)
    const gina = await getUser(url, 'gina@acme.test', 'acme')
    assert.equal((gina?.name as { givenName?: string } | undefined)?.givenName, 'gina')
  })

  it('a mover gets the dynamic group; a leaver is deactivated', async () => {
    hr.setPersons([person('1', 'gina', 'Sales'), person('2', 'hal', 'Engineering', TODAY - 2 * DAY), person('3', 'ivy', 'Support', undefined, 'Lead')])
    await (svc as StreamService).runNow('acme')
    const url = (gw as StreamGateway).url
    await waitFor('gina in Sales, hal inactive', async () => {
      const g = await getUser(url, 'gina@acme.test', 'acme')
      const h = await getUser(url, 'hal@acme.test', 'acme')
      const groups = JSON.stringify(g?.groups ?? [])
      return groups.includes('Sales') && h?.active === false
    }, 30_000)
  })

  it('a user in groups A, B, C who loses B keeps A and C, and a group joined outside the stream', async () => {
    const url = (gw as StreamGateway).url
    await waitFor('ivy in Team A, B, C', async () => groupNames(await getUser(url, 'ivy@acme.test', 'acme')).join() === 'Team A,Team B,Team C', 30_000)
    const ivy = await getUser(url, 'ivy@acme.test', 'acme')
    const res = await fetch(`${url}/acme/Groups`, {
      method: 'POST',
      headers: { authorization: AUTH_HEADER, 'content-type': 'application/scim+json' },
      body: JSON.stringify({ schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], displayName: 'Manual', members: [{ value: ivy?.id }] })
    })
    assert.equal(res.status, 201, await res.text())
    assert.deepEqual(groupNames(await getUser(url, 'ivy@acme.test', 'acme')), ['Manual', 'Team A', 'Team B', 'Team C'])

    hr.setPersons([person('1', 'gina', 'Sales'), person('2', 'hal', 'Engineering', TODAY - 2 * DAY), person('3', 'ivy', 'Support', undefined, 'Engineer')])
    const stats = await (svc as StreamService).runNow('acme')
    assert.ok(stats.published >= 1, JSON.stringify(stats))
    await waitFor('ivy out of Team B', async () => !groupNames(await getUser(url, 'ivy@acme.test', 'acme')).includes('Team B'), 30_000)
    assert.deepEqual(groupNames(await getUser(url, 'ivy@acme.test', 'acme')), ['Manual', 'Team A', 'Team C'])
  })

  it('losing the last stream groups leaves the group joined outside the stream', async () => {
    const url = (gw as StreamGateway).url
    hr.setPersons([person('1', 'gina', 'Sales'), person('2', 'hal', 'Engineering', TODAY - 2 * DAY), person('3', 'ivy', 'Engineering', undefined, 'Engineer')])
    await (svc as StreamService).runNow('acme')
    await waitFor('ivy out of Team A and C', async () => !groupNames(await getUser(url, 'ivy@acme.test', 'acme')).some(g => g.startsWith('Team ')), 30_000)
    assert.deepEqual(groupNames(await getUser(url, 'ivy@acme.test', 'acme')), ['Manual'])
  })
})
