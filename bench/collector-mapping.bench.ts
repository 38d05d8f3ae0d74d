// Benchmark of the SCIM Stream pipeline's pure part for one tenant: mapper (16 entries with
// functions, selectors, -most_current and a GetUniqueValue template) -> dynamics (5) -> stream rules
// (5 channels), over 100,000 generated SAP SuccessFactors-shaped persons, on one core (one thread).
// Persons are generated before timing; the timed loop does map + applyDynamics + evaluate per person.
// A program, not a test:
//   npx tsx bench/collector-mapping.bench.ts            (NODE_OPTIONS=--expose-gc for steadier heap figures)
import { cpus } from 'node:os'
import { performance } from 'node:perf_hooks'
import { compileMapper, type MapperEntry } from '../lib/collector/mapper/index.ts'
import { applyDynamics, compileDynamics, type DynamicDef } from '../lib/collector/dynamics/index.ts'
import { compileStreamRules, type StreamDef } from '../lib/collector/rules/index.ts'
import type { JsonObject } from '../lib/scim/types.ts'

const PERSONS = 100_000
const WARMUP = 5_000
const ENT = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User'
const CUR = '(employmentNav.results -most_current "startDate")'

const mapperEntries: MapperEntry[] = [
  { source: 'personalInfoNav.results.[0].firstName', map_to: 'name.givenName' },
  { source: 'personalInfoNav.results.[0].lastName', map_to: 'name.familyName' },
  { source: 'Join(" ", [personalInfoNav.results.[0].firstName], [personalInfoNav.results.[0].lastName])', map_to: 'displayName' },
  { source: 'Join("", LowerCase(Normalize([personalInfoNav.results.[0].firstName])), ".", LowerCase(Normalize([personalInfoNav.results.[0].lastName])), "@example.com")', map_to: 'userName' },
  { source: 'personIdExternal', map_to: 'externalId' },
  { source: 'emailNav.results.[{"isPrimary":true}].emailAddress', map_to: 'emails[type eq "work"].value' },
  { source: 'StripSpaces([phoneNav.results.[0].phoneNumber])', map_to: 'phoneNumbers[type eq "work"].value' },
  { source: `${CUR}.jobInfoNav.results.[0].jobTitle`, map_to: 'title' },
  { source: `${CUR}.jobInfoNav.results.[0].department`, map_to: `${ENT}:department` },
  { source: `UpperCase([${CUR}.jobInfoNav.results.[0].company])`, map_to: `${ENT}:organization` },
  { source: `${CUR}.jobInfoNav.results.[0].managerId`, map_to: `${ENT}:manager.value` },
  { source: 'personIdExternal', map_to: `${ENT}:employeeNumber` },
  { source: `IsPresent([${CUR}.userId])`, map_to: 'active' },
  { source: `${CUR}.jobInfoNav.results.[0].location`, map_to: 'addresses[type eq "work"].locality' },
  { source: `FormatDateTime(CDate([${CUR}.startDate]), , "", "yyyy-MM-dd")`, map_to: 'urn:example:hr:1.0:User:hireDate' },
  { source: 'GetUniqueValue(Join("", LowerCase(FirstN([name.givenName],1)), LowerCase([name.familyName])), "@example.com")', map_to: 'onCreate.userName' },
]

const dynamics: DynamicDef[] = [
  { dynamic_id: 'it', rules: [{ filter: '(user.department -match "^IT")' }], assignments: { 'user.groups': [{ value: 'AD-IT', display: 'AD-IT' }] } },
  { dynamic_id: 'oslo', rules: [{ filter: '(user.addresses.work.locality -match "^Oslo$")' }], assignments: { 'user.groups': [{ value: 'AD-Oslo', display: 'AD-Oslo' }, { value: 'Sync_Oslo', display: 'Sync_Oslo' }] } },
  { dynamic_id: 'managers', rules: [{ filter: '(user.title -match "manager|lead")' }], assignments: { 'user.roles': [{ type: 'Salesforce', display: 'Manager', value: 'sf-manager' }] } },
  { dynamic_id: 'sales', rules: [{ filter: '(user.department -match "^Sales$")' }], assignments: { 'user.roles': [{ type: 'Salesforce', display: 'User', value: 'sf-user' }], 'user.costCenter': 'S100' } },
  { dynamic_id: 'everyone', rules: [{ filter: '(user.active -match "^true$")' }], assignments: { 'user.groups': [{ value: 'AD-All', display: 'AD-All' }] } },
]

const streams: StreamDef[] = [
  { channel: 'AD', rules: [{ filter: '(user.groups.display -match "^AD-") and (user.groups.display -exclude "^Sync_")' }] },
  { channel: 'HR', rules: [{ filter: '(user.userName -match "(.*)")' }] },
  { channel: 'SF', rules: [{ filter: '(user.roles.Salesforce.value -match "(.*)")' }] },
  { channel: 'OSLO', rules: [{ filter: '(user.dynamicIds -match "^oslo$")' }, { filter: '(user.emails.work.value -match "\\.no$")' }] },
  { channel: 'MGMT', rules: [{ filter: '(user.dynamicIds -match "^managers$") and not (user.department -match "^Sales$")' }] },
]

const FIRST = ['Ann', 'Bjørn', 'Zoë', 'José', 'Kari', 'Ola', 'Émile', 'Siri']
const LAST = ['Lee', 'Ødegård', 'Müller', 'Hansen', 'García', 'Næss', 'Smith']
const DEPTS = ['IT', 'Sales', 'Finance', 'IT Operations', 'HR']
const TITLES = ['Engineer', 'Sales manager', 'Team lead', 'Accountant', 'Consultant']
const CITIES = ['Oslo', 'Bergen', 'London', 'Madrid']
const DAY = 86_400_000
const NOW = Date.UTC(2024, 5, 15)

function person (i: number): JsonObject {
  const f = FIRST[i % FIRST.length] as string
  const l = LAST[(i >> 3) % LAST.length] as string
  const job = (k: number): JsonObject => ({
    jobTitle: TITLES[(i + k) % TITLES.length] as string,
    department: DEPTS[(i + k) % DEPTS.length] as string,
    company: 'acme',
    location: CITIES[(i + k) % CITIES.length] as string,
    managerId: `M${i % 1000}`,
  })
  return {
    personIdExternal: String(100000 + i),
    personalInfoNav: { results: [{ firstName: f, lastName: l }] },
    emailNav: { results: [{ emailAddress: `${i}@old.example`, isPrimary: false }, { emailAddress: `p${i}@acme.${i % 3 === 0 ? 'no' : 'com'}`, isPrimary: true }] },
    phoneNav: { results: [{ phoneNumber: `+47 ${String(i).padStart(8, '0').replace(/(\d{2})(?=\d)/g, '$1 ')}` }] },
    employmentNav: {
      results: [
        { userId: `u${i}-old`, startDate: `/Date(${NOW - 2000 * DAY})/`, endDate: `/Date(${NOW - 400 * DAY})/`, jobInfoNav: { results: [job(1)] } },
        { userId: `u${i}`, startDate: `/Date(${NOW - 400 * DAY - (i % 50) * DAY}+0000)/`, jobInfoNav: { results: [job(0)] } },
        { userId: `u${i}-next`, startDate: `/Date(${NOW + 30 * DAY})/`, jobInfoNav: { results: [job(2)] } },
      ],
    },
  }
}

const mb = (n: number): string => `${(n / 1048576).toFixed(1)} MB`
const gc = (globalThis as { gc?: () => void }).gc

const now = new Date(NOW)
const mapper = compileMapper(mapperEntries, { now: () => now })
const dyn = compileDynamics(dynamics)
const channels = compileStreamRules(streams)

const persons: JsonObject[] = []
for (let i = 0; i < PERSONS; i++) persons.push(person(i))

let published = 0
let mapErrors = 0
const run = (p: JsonObject): void => {
  const { user, errors } = mapper.map(p)
  mapErrors += errors.length
  const d = applyDynamics(user, dyn)
  published += channels.evaluate({ user: d.user, activityOperation: 'modifyUser', initiatedByUpn: 'hr-sync@acme.com' }).length
}

for (let i = 0; i < WARMUP; i++) run(persons[i] as JsonObject)
published = 0
mapErrors = 0
gc?.()
const heapBefore = process.memoryUsage().heapUsed
let heapPeak = heapBefore
const cpu0 = process.cpuUsage()
const t0 = performance.now()
for (let i = 0; i < PERSONS; i++) {
  run(persons[i] as JsonObject)
  if ((i & 8191) === 0) heapPeak = Math.max(heapPeak, process.memoryUsage().heapUsed)
}
const ms = performance.now() - t0
const cpuUsed = process.cpuUsage(cpu0)
const cpuMs = (cpuUsed.user + cpuUsed.system) / 1000
heapPeak = Math.max(heapPeak, process.memoryUsage().heapUsed)

// Phase split on 20,000 persons (rough: each phase timed over the same inputs).
const SPLIT = 20_000
const users = persons.slice(0, SPLIT).map(p => mapper.map(p).user)
let t = performance.now()
for (let i = 0; i < SPLIT; i++) mapper.map(persons[i] as JsonObject)
const mapMs = performance.now() - t
t = performance.now()
const dynUsers = users.map(u => applyDynamics(u, dyn).user)
const dynMs = performance.now() - t
t = performance.now()
for (const u of dynUsers) channels.evaluate({ user: u })
const rulesMs = performance.now() - t

const cpu = cpus()[0]?.model ?? 'unknown CPU'
console.log(`collector mapping bench — ${cpu}, Node ${process.version}, one thread`)
console.log(`config: ${mapper.size} mapper entries, ${dyn.ids.length} dynamics, ${channels.channels.length} channels`)
console.log(`persons: ${PERSONS.toLocaleString('en')} (after ${WARMUP.toLocaleString('en')} warm-up)`)
console.log(`map + dynamics + rules: ${(PERSONS / (ms / 1000)).toFixed(0)} users/s wall clock (${(ms * 1000 / PERSONS).toFixed(1)} µs/user, ${ms.toFixed(0)} ms total)`)
console.log(`  per CPU second of this process: ${(PERSONS / (cpuMs / 1000)).toFixed(0)} users/s (${cpuMs.toFixed(0)} ms CPU incl. GC threads; less sensitive to other load on the machine)`)
console.log(`  split over ${SPLIT.toLocaleString('en')}: mapper ${(mapMs * 1000 / SPLIT).toFixed(1)} µs, dynamics ${(dynMs * 1000 / SPLIT).toFixed(1)} µs, rules ${(rulesMs * 1000 / SPLIT).toFixed(1)} µs per user`)
console.log(`channel messages: ${published.toLocaleString('en')} (${(published / PERSONS).toFixed(2)} per user), mapper errors: ${mapErrors}`)
console.log(`heap used: ${mb(heapBefore)} before (incl. ${PERSONS.toLocaleString('en')} source persons), peak sampled ${mb(heapPeak)}${gc === undefined ? ' (run with NODE_OPTIONS=--expose-gc for a settled baseline)' : ''}`)
console.log('target: >= 20,000 users/s')
