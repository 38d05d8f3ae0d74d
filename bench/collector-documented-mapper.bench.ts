// Benchmark of the documented SuccessFactors mapper (test/collector/fixtures/documented/successfactors.yaml:
// 19 documented-shape entries, the -most_current mapper rule, two GetUniqueValue templates, a
// SCIM-user Join) as the service compiles it (translated at load), mapping 100,000 generated
// SuccessFactors persons with 1–3 employments each, on one core. Also the one-off translation time.
// A program, not a test:  npm run bench:documented-mapper
import { readFileSync } from 'node:fs'
import { performance } from 'node:perf_hooks'
import { parse } from 'yaml'
import { compileTenantMapper, prepareTenantMapper } from '../lib/collector/tenant-mapper.ts'
import type { JsonObject } from '../lib/scim/types.ts'

const PERSONS = 100_000
const raw = parse(readFileSync(new URL('../test/collector/fixtures/documented/successfactors.yaml', import.meta.url), 'utf8')) as { hr: { successfactors: JsonObject } }
const section = raw.hr.successfactors.mapper

const t0 = performance.now()
const prepared = prepareTenantMapper('hr', section, 'hr.successfactors.mapper')
const mapper = compileTenantMapper('hr', prepared.mapper, 'hr.successfactors.mapper', { now: () => new Date(Date.UTC(2024, 5, 15)) })
const compileMs = performance.now() - t0

const FIRST = ['Åse Marie', 'Bjørn', 'Zoë', 'José', 'Kari']
const LAST = ['Øvre Dal', 'Müller', 'Hansen', 'García', 'Næss']
const DAY = 86_400_000
const persons: JsonObject[] = []
for (let i = 0; i < PERSONS; i++) {
  const n = 1 + (i % 3)
  const results: JsonObject[] = []
  for (let k = 0; k < n; k++) {
    const start = Date.UTC(2015 + k * 3, 0, 1) + (i % 50) * DAY
    results.push({
      startDate: `/Date(${start})/`,
      endDate: k < n - 1 ? `/Date(${start + 3 * 365 * DAY})/` : null,
      userNav: { city: 'Oslo', country: 'NO', state: 'Oslo', zipCode: String(1000 + (i % 9000)), addressLine1: `Street ${i}` },
      jobInfoNav: { results: [{ jobTitle: `Title ${k}`, managerId: String(900 + k), department: 'IT', division: 'South' }] }
    })
  }
  persons.push({
    personIdExternal: String(100000 + i),
    personalInfoNav: { results: [{ firstName: FIRST[i % FIRST.length], lastName: LAST[i % LAST.length] }] },
    phoneNav: { results: [{ isPrimary: false, phoneNumber: '+47 1' }, { isPrimary: true, phoneNumber: `+47 ${i}` }] },
    emailNav: { results: [{ isPrimary: true, emailAddress: `p${i}@example.org` }] },
    employmentNav: { results }
  })
}

for (let i = 0; i < 5_000; i++) mapper.map(persons[i] as JsonObject) // warm-up
let errors = 0
const cpu0 = process.cpuUsage()
const t1 = performance.now()
for (const p of persons) errors += mapper.map(p).errors.length
const ms = performance.now() - t1
const cpu = process.cpuUsage(cpu0)
const cpuMs = (cpu.user + cpu.system) / 1000
console.log(`documented SuccessFactors mapper: ${prepared.mapper.user.length} entries, translated + compiled in ${compileMs.toFixed(1)} ms`)
console.log(`mapped ${PERSONS} persons in ${ms.toFixed(0)} ms wall clock: ${Math.round(PERSONS / (ms / 1000)).toLocaleString('en')} persons/s, ${(ms * 1000 / PERSONS).toFixed(2)} µs/person, ${errors} mapping errors`)
console.log(`  per CPU second of this process: ${Math.round(PERSONS / (cpuMs / 1000)).toLocaleString('en')} persons/s (${cpuMs.toFixed(0)} ms CPU; less sensitive to other load on the machine)`)
