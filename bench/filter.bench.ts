// Benchmark of the SCIM filter engine (npx tsx bench/filter.bench.ts). Not a test: prints figures.
// Method: warm up, then run each workload for a fixed wall time and report operations per second
// (median of 5 rounds).
import { cpus } from 'node:os'
import { coreResourceSchema } from '../lib/scim/schema/resolve.ts'
import type { JsonObject } from '../lib/scim/types.ts'
import { compileFilter, parseFilter } from '../lib/scim/filter/index.ts'

const ROUND_MS = Number(process.env.BENCH_ROUND_MS ?? 400)
const ROUNDS = 5

/** Runs `batch()` (which performs `perBatch` operations) repeatedly; returns the median ops/s. */
function measure (perBatch: number, batch: () => unknown): number {
  let sink: unknown
  for (let i = 0; i < 3; i++) sink = batch()
  const rates: number[] = []
  for (let r = 0; r < ROUNDS; r++) {
    let ops = 0
    const t0 = process.hrtime.bigint()
    let elapsed = 0
    while (elapsed < ROUND_MS) {
      sink = batch()
      ops += perBatch
      elapsed = Number(process.hrtime.bigint() - t0) / 1e6
    }
    rates.push(ops / (elapsed / 1000))
  }
  if (sink === Symbol.for('never')) console.log('')
  rates.sort((a, b) => a - b)
  return rates[Math.floor(ROUNDS / 2)] as number
}

const fmt = (n: number): string => Math.round(n).toLocaleString('en-US').padStart(14)

console.log(`node ${process.version}, ${cpus()[0]?.model ?? 'unknown CPU'} (${cpus().length} cores), ${ROUNDS} rounds x ${ROUND_MS} ms, median`)
console.log('')
console.log('parseFilter                                                                        parses/s')
const filters = [
  'userName eq "bjensen"',
  'userName eq "bjensen" and (emails.value co "example.com" or name.familyName sw "J")',
  'emails[type eq "work" and value co "@example.com"] or meta.lastModified gt "2011-05-13T04:42:34Z"',
  'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value eq "26118915-6090-4610-87e4-49d8ca9f808d"',
  'userName sw O'
]
for (const f of filters) {
  const rate = measure(1000, () => { let n; for (let i = 0; i < 1000; i++) n = parseFilter(f); return n })
  console.log(`  ${f.length > 80 ? `${f.slice(0, 77)}...` : f.padEnd(80)} ${fmt(rate)}`)
}

const USERS = 100_000
const users: JsonObject[] = []
for (let i = 0; i < USERS; i++) {
  users.push({
    schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
    id: `id-${i}`,
    userName: `User${i}@Example.com`,
    name: { givenName: `Given${i}`, familyName: `Family${i % 1000}` },
    active: i % 3 !== 0,
    emails: [{ value: `user${i}@example.com`, type: 'work', primary: true }, { value: `u${i}@home.org`, type: 'home' }],
    meta: { created: new Date(Date.UTC(2020, 0, 1) + i * 60000).toISOString() }
  })
}
const schema = coreResourceSchema('User')
console.log('')
console.log(`compileFilter (User schema) over ${USERS.toLocaleString('en-US')} users              resources/s   matches`)
const evals = [
  'userName eq "user99999@example.com"',
  'userName eq "x"',
  'emails[type eq "work" and value ew "@example.com"]',
  'name.familyName sw "family99" and active eq true',
  'meta.created gt "2020-02-01T00:00:00Z"'
]
for (const f of evals) {
  const match = compileFilter(parseFilter(f), schema)
  let hits = 0
  const rate = measure(USERS, () => { let n = 0; for (const u of users) if (match(u)) n++; hits = n; return n })
  console.log(`  ${f.padEnd(70)} ${fmt(rate)} ${String(hits).padStart(9)}`)
}
