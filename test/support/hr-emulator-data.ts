// Deterministic SuccessFactors-shaped persons for the HR emulator: person i is a pure function of
// (i, seed, reference date, revision), so 100,000 of them cost nothing until a page is served and
// two runs with the same options see the same data. The mix covers the Joiner-Mover-Leaver cases:
//   i % 20 == 0  future joiner (starts 1..60 days after the reference date)
//   i % 20 == 1  leaver (left 1..30 days before)          i % 20 == 2  mover (two employments)
//   i % 20 == 3  rehire (old employment, gap, new one)    i % 20 == 4  leaving 1..30 days after
//   otherwise    employed since 30..3650 days before
// `revision` > 0 changes the department of every person with i % changeEvery == 0 (default 100,
// i.e. 1%) — the incremental-run benchmark's "1% changed".
import type { JsonObject } from '../../lib/scim/types.ts'

/** Options of the generated data. */
export interface GenerateOptions {
  seed?: number
  /** Dates are relative to this day (default: today, 00:00 UTC). */
  referenceDate?: Date
  revision?: number
  changeEvery?: number
}

const DAY = 86_400_000
const FIRST = ['Anna', 'Bjørn', 'Chloé', 'David', 'Emma', 'François', 'Grace', 'Hiroshi', 'Ingrid', 'José', 'Karin', 'Lars', 'María', 'Nils', 'Olga', 'Pål', 'Quentin', 'Rosa', 'Søren', 'Tuva']
const LAST = ['Andersen', 'Berg', 'Cohen', 'Dahl', 'Eriksen', 'Fischer', 'García', 'Hansen', 'Ito', 'Johansen', 'Kowalski', 'Larsen', 'Müller', 'Nguyen', 'Olsen', 'Petersen', 'Quist', 'Rossi', 'Strøm', 'Tanaka']
const TITLES = ['Engineer', 'Senior Engineer', 'Accountant', 'Sales Manager', 'Consultant', 'HR Partner', 'Analyst', 'Team Lead']
const DEPARTMENTS = ['Engineering', 'Finance', 'Sales', 'Consulting', 'HR', 'Operations', 'Marketing', 'Support']
const COMPANIES = ['ACME Corp', 'ACME Nordic', 'ACME GmbH']
const LOCATIONS = ['Oslo', 'Berlin', 'Madrid', 'Paris', 'Tokyo', 'Stockholm']

/** Persons 0..count-1 as an indexable source. */
export function generatePersons (count: number, opts: GenerateOptions): { count: number, get: (i: number) => JsonObject } {
  const ref = referenceOf(opts)
  return { count, get: (i) => generatePerson(i, { ...opts, referenceDate: ref }) }
}

/**
 * Person number `i` (deterministic).
 * @example generatePerson(0, { seed: 1, referenceDate: new Date('2025-01-01') })
 */
export function generatePerson (i: number, opts: GenerateOptions = {}): JsonObject {
  const ref = referenceOf(opts).getTime()
  const rnd = mulberry32(((opts.seed ?? 1) * 2_654_435_761 + i * 40_503) >>> 0)
  const pick = <T>(list: readonly T[]): T => list[Math.floor(rnd() * list.length)] as T
  const id = String(100_000 + i)
  const first = pick(FIRST)
  const last = pick(LAST)
  const changed = (opts.revision ?? 0) > 0 && i % (opts.changeEvery ?? 100) === 0
  const dept = pick(DEPARTMENTS)
  const job = (start: number, department: string): JsonObject => ({
    startDate: sfDate(start),
    jobTitle: pick(TITLES),
    department,
    company: pick(COMPANIES),
    location: pick(LOCATIONS),
    managerId: i === 0 ? null : `u${100_000 + Math.floor(rnd() * i)}`
  })
  const employment = (start: number, end: number | null, department: string): JsonObject => ({
    personIdExternal: id,
    userId: `u${id}`,
    startDate: sfDate(start),
    endDate: end === null ? null : sfDate(end),
    jobInfoNav: { results: [job(start, department)] }
  })
  const daysAgo = (lo: number, hi: number): number => ref - (lo + Math.floor(rnd() * (hi - lo + 1))) * DAY
  const daysAhead = (lo: number, hi: number): number => ref + (lo + Math.floor(rnd() * (hi - lo + 1))) * DAY
  const currentDept = changed ? `${dept} r${opts.revision ?? 0}` : dept
  let jobs: JsonObject[]
  switch (i % 20) {
    case 0: jobs = [employment(daysAhead(1, 60), null, currentDept)]; break
    case 1: jobs = [employment(daysAgo(400, 2000), daysAgo(1, 30), currentDept)]; break
    case 2: {
      const moved = daysAgo(1, 200)
      jobs = [employment(moved - 700 * DAY, moved - DAY, pick(DEPARTMENTS)), employment(moved, null, currentDept)]
      break
    }
    case 3: jobs = [employment(daysAgo(2000, 3000), daysAgo(900, 1000), pick(DEPARTMENTS)), employment(daysAgo(10, 300), null, currentDept)]; break
    case 4: jobs = [employment(daysAgo(300, 3000), daysAhead(1, 30), currentDept)]; break
    default: jobs = [employment(daysAgo(30, 3650), null, currentDept)]
  }
  const emailName = `${ascii(first)}.${ascii(last)}.${id}`
  return {
    personIdExternal: id,
    dateOfBirth: sfDate(Date.UTC(1960 + Math.floor(rnd() * 40), Math.floor(rnd() * 12), 1 + Math.floor(rnd() * 28))),
    lastModifiedDateTime: `/Date(${ref - Math.floor(rnd() * 100) * DAY}+0000)/`,
    personalInfoNav: { results: [{ personIdExternal: id, startDate: sfDate(ref - 4000 * DAY), firstName: first, lastName: last }] },
    emailNav: {
      results: [
        { personIdExternal: id, emailType: '8448', emailAddress: `${emailName}@example.com`, isPrimary: true },
        { personIdExternal: id, emailType: '8449', emailAddress: `${emailName}@home.example.net`, isPrimary: false }
      ]
    },
    employmentNav: { results: jobs }
  }
}

function referenceOf (opts: GenerateOptions): Date {
  if (opts.referenceDate !== undefined) return opts.referenceDate
  const now = Date.now()
  return new Date(now - (now % DAY))
}

function sfDate (ms: number): string {
  return `/Date(${ms - (ms % DAY)})/`
}

function ascii (s: string): string {
  return s.normalize('NFD').replace(/[\u0300-\u036f]/g, '').replace(/ø/g, 'o').replace(/å/g, 'a').replace(/æ/g, 'ae').toLowerCase()
}

// Small, fast, seedable PRNG (public domain algorithm by Tommy Ettinger).
function mulberry32 (seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6D2B79F5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296
  }
}
