// The whole product chain: HR emulator → SCIM Stream service (in process, builtin nats-server) →
// a real gateway (plugin-loki in memory) whose stream subscriber is configured with exactly what
// `scim-stream credentials` prints. Joiner created at the endpoint, mover's dynamic group applied,
// leaver deactivated.
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { rm } from 'node:fs/promises'
import { gatewayConfigSchema, validate } from '../../lib/config/index.ts'
import { runCli } from '../../lib/collector/cli.ts'
import { startService, type StreamService } from '../../lib/collector/service.ts'
import { silentLogger } from '../../lib/logging/types.ts'
import type { JsonObject } from '../../lib/scim/types.ts'
import { startHrEmulator, type HrEmulator } from '../support/hr-emulator.ts'
import { BASIC, getUser, startStreamGateway, waitFor, type StreamGateway } from '../stream/support.ts'
import { freePort, makeWorkDir, writeConfig } from './support.ts'

const DAY = 86_400_000
const TODAY = Date.UTC(new Date().getUTCFullYear(), new Date().getUTCMonth(), new Date().getUTCDate())

function person (id: string, first: string, dept: string, end?: number): JsonObject {
  return {
    personIdExternal: id,
    personalInfoNav: { results: [{ firstName: first, lastName: 'Gw' }] },
    employmentNav: { results: [{ userId: `u${id}`, startDate: `/Date(${TODAY - 50 * DAY})/`, endDate: end === undefined ? null : `/Date(${end})/`, jobInfoNav: { results: [{ department: dept }] } }] }
  }
}

describe('SCIM Stream → gateway subscriber (plugin-loki), configured by `scim-stream credentials`', () => {
  let dir: string
  let hr: HrEmulator
  let svc: StreamService | undefined
  let gw: StreamGateway | undefined

  before(async () => {
    dir = await makeWorkDir()
    hr = await startHrEmulator({ persons: [person('1', 'gina', 'Engineering'), person('2', 'hal', 'Engineering')] })
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
    dynamics:
      - { dynamic_id: sales, rules: [ { filter: '(user.department -match "^Sales$")' } ], assignments: { user.groups: [ { value: Sales, display: Sales } ] } }
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
    hr.setPersons([person('1', 'gina', 'Sales'), person('2', 'hal', 'Engineering', TODAY - 2 * DAY)])
    await (svc as StreamService).runNow('acme')
    const url = (gw as StreamGateway).url
    await waitFor('gina in Sales, hal inactive', async () => {
      const g = await getUser(url, 'gina@acme.test', 'acme')
      const h = await getUser(url, 'hal@acme.test', 'acme')
      const groups = JSON.stringify(g?.groups ?? [])
      return groups.includes('Sales') && h?.active === false
    }, 30_000)
  })
})
