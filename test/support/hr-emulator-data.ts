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
const FIRST_ASCII = FIRST.map(ascii)
const LAST_ASCII = LAST.map(ascii)
const TITLES = ['Engineer', 'Senior Engineer', 'Accountant', 'Sales Manager', 'Consultant', 'HR Partner', 'Analyst', 'Team Lead']
const DEPARTMENTS = ['Engineering', 'Finance', 'Sales', 'Consulting', 'HR', 'Operations', 'Marketing', 'Support']
const COMPANIES = ['ACME Corp', 'ACME Nordic', 'ACME GmbH']
const LOCATIONS = ['Oslo', 'Berlin', 'Madrid', 'Paris', 'Tokyo', 'Stockholm']

/** Persons 0..count-1 as an indexable source. */
export function generatePersons (count: number, opts: GenerateOptions): { count: number, get: (i: number) => JsonObject } {
  const fixed = { ...opts, referenceDate: referenceOf(opts) }
  return { count, get: (i) => generatePerson(i, fixed) }
}

/**
 * Person number `i` (deterministic).
 * @example generatePerson(0, { seed: 1, referenceDate: new Date('2025-01-01') })
 */
export function generatePerson (i: number, opts: GenerateOptions = {}): JsonObject {
  const g = new Gen(i, referenceOf(opts).getTime(), ((opts.seed ?? 1) * 2_654_435_761 + i * 40_503) >>> 0)
  const id = g.id
  const fi = g.int(FIRST.length)
  const li = g.int(LAST.length)
  const changed = (opts.revision ?? 0) > 0 && i % (opts.changeEvery ?? 100) === 0
  const dept = g.pick(DEPARTMENTS)
  const currentDept = changed ? `${dept} r${opts.revision ?? 0}` : dept
  let jobs: JsonObject[]
  switch (i % 20) {
    case 0: jobs = [g.employment(g.daysAhead(1, 60), null, currentDept)]; break
    case 1: jobs = [g.employment(g.daysAgo(400, 2000), g.daysAgo(1, 30), currentDept)]; break
    case 2: {
      const moved = g.daysAgo(1, 200)
      jobs = [g.employment(moved - 700 * DAY, moved - DAY, g.pick(DEPARTMENTS)), g.employment(moved, null, currentDept)]
      break
    }
    case 3: jobs = [g.employment(g.daysAgo(2000, 3000), g.daysAgo(900, 1000), g.pick(DEPARTMENTS)), g.employment(g.daysAgo(10, 300), null, currentDept)]; break
    case 4: jobs = [g.employment(g.daysAgo(300, 3000), g.daysAhead(1, 30), currentDept)]; break
    default: jobs = [g.employment(g.daysAgo(30, 3650), null, currentDept)]
  }
  const emailName = `${FIRST_ASCII[fi] ?? ''}.${LAST_ASCII[li] ?? ''}.${id}`
  const ref = g.ref
  return {
    personIdExternal: id,
    dateOfBirth: sfDate(Date.UTC(1960 + g.int(40), g.int(12), 1 + g.int(28))),
    lastModifiedDateTime: `/Date(${ref - g.int(100) * DAY}+0000)/`,
    personalInfoNav: { results: [{ personIdExternal: id, startDate: sfDate(ref - 4000 * DAY), firstName: FIRST[fi] ?? '', lastName: LAST[li] ?? '' }] },
    emailNav: {
      results: [
        { personIdExternal: id, emailType: '8448', emailAddress: `${emailName}@example.com`, isPrimary: true },
        { personIdExternal: id, emailType: '8449', emailAddress: `${emailName}@home.example.net`, isPrimary: false }
      ]
    },
    employmentNav: { results: jobs }
  }
}

// One person's generator state: a mulberry32 PRNG (public-domain algorithm by Tommy Ettinger) and
// the helpers that draw from it, as methods (no closures per person: generation stays cheap).
class Gen {
  readonly id: string
  private a: number
  constructor (readonly i: number, readonly ref: number, seed: number) {
    this.id = String(100_000 + i)
    this.a = seed
  }

  next (): number {
    this.a = (this.a + 0x6D2B79F5) >>> 0
    let t = this.a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296
  }

  int (n: number): number { return Math.floor(this.next() * n) }
  pick (list: readonly string[]): string { return list[this.int(list.length)] ?? '' }
  daysAgo (lo: number, hi: number): number { return this.ref - (lo + this.int(hi - lo + 1)) * DAY }
  daysAhead (lo: number, hi: number): number { return this.ref + (lo + this.int(hi - lo + 1)) * DAY }

  employment (start: number, end: number | null, department: string): JsonObject {
    return {
      personIdExternal: this.id,
      userId: `u${this.id}`,
      startDate: sfDate(start),
      endDate: end === null ? null : sfDate(end),
      jobInfoNav: {
        results: [{
          startDate: sfDate(start),
          jobTitle: this.pick(TITLES),
          department,
          company: this.pick(COMPANIES),
          location: this.pick(LOCATIONS),
          managerId: this.i === 0 ? null : `u${100_000 + this.int(this.i)}`
        }]
      }
    }
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
