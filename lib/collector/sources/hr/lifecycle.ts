// Joiner-Mover-Leaver: where a person stands on a given day, from the start and end dates of their
// employments. Dates in every form parseHrDate reads (`<unix ms>`, `/Date(ms)/`, `/Date(ms+0000)/`,
// `YYYY-MM-dd`, `YYYY/MM/dd`, `dd/MM/YYYY`).
//
// Rules (exact):
// - A period is one element under the common prefix of the start and end paths: with
//   `employmentNav.results.startDate` / `employmentNav.results.endDate` each employment is a
//   period; with `startDate` / `endDate` the record itself is the only one.
// - A period with neither date is ignored. A start or end that is present but unreadable makes the
//   record malformed (HrRecordError): guessing would provision or disable the wrong person.
// - The start is the first instant of employment; pre-activation begins `preActivateDays` × 24 h
//   before it. The end date is the last day of employment and counts in full: the period ends at the
//   start of the next UTC day (end 2024-03-31 → left from 2024-04-01T00:00Z). No end = open-ended.
// - Per period: now < start − preActivateDays → `future`; now < start → `preactive`; now < end of
//   the end day → `active`; else `left`.
// - The person takes the best state of their periods: active > preactive > future > left (a mover
//   with an ended and a current employment is active; a leaver rehired in future is `future`).
// - A record with no dated period at all is `active` (a source without lifecycle data).
// - Published: every state except `future` (future joiners are not created before pre-activation).
//   `user.active` is true for `preactive` and `active`, false for `left`.
import { parseHrDate } from '../../mapper/index.ts'
import type { JsonObject, JsonValue } from '../../../scim/types.ts'
import { getAll, getPath, parsePath, type PathSegment } from './json-path.ts'

/** Where a person stands. */
export type HrLifecycleState = 'future' | 'preactive' | 'active' | 'left'

/** The lifecycle decision for one person. */
export interface HrLifecycle {
  state: HrLifecycleState
  /** The value of `user.active`. */
  active: boolean
  /** Whether the person is published at all (false only for `future`). */
  include: boolean
}

/** Options of {@link lifecycleOf}. */
export interface LifecycleOptions {
  startDatePath: string
  endDatePath: string
  preActivateDays: number
  now: Date
}

/** A record that cannot be used (not an object, unreadable dates). */
export class HrRecordError extends Error {
  constructor (message: string) {
    super(message)
    this.name = 'HrRecordError'
  }
}

const DAY_MS = 86_400_000
const RANK: Record<HrLifecycleState, number> = { left: 0, future: 1, preactive: 2, active: 3 }

/**
 * The lifecycle state of `person` at `now`.
 * @throws HrRecordError when a date is present but unreadable
 * @example lifecycleOf(person, { startDatePath: 'employmentNav.results.startDate',
 *   endDatePath: 'employmentNav.results.endDate', preActivateDays: 7, now: new Date() })
 */
export function lifecycleOf (person: JsonObject, opts: LifecycleOptions): HrLifecycle {
  return compileLifecycle(opts)(person, opts.now)
}

/** {@link lifecycleOf} with the paths parsed once, for many persons. */
export function compileLifecycle (opts: Omit<LifecycleOptions, 'now'>): (person: JsonObject, now: Date) => HrLifecycle {
  const start = parsePath(opts.startDatePath)
  const end = parsePath(opts.endDatePath)
  let common = 0
  while (common < start.length - 1 && common < end.length - 1 && sameSegment(start[common], end[common])) common++
  const prefix = start.slice(0, common)
  const startRest = start.slice(common)
  const endRest = end.slice(common)
  const preMs = opts.preActivateDays * DAY_MS

  return (person, now) => {
    const t = now.getTime()
    let best: HrLifecycleState | undefined
    const periods = prefix.length === 0 ? [person] : getAll(person, prefix).flatMap(v => Array.isArray(v) ? v : [v])
    for (const p of periods) {
      const s = readDate(p, startRest, opts.startDatePath)
      const e = readDate(p, endRest, opts.endDatePath)
      if (s === undefined && e === undefined) continue
      const startMs = s?.getTime() ?? -Infinity
      const leftAt = e === undefined ? Infinity : Math.floor(e.getTime() / DAY_MS) * DAY_MS + DAY_MS
      const state: HrLifecycleState = t < startMs - preMs ? 'future' : t < startMs ? 'preactive' : t < leftAt ? 'active' : 'left'
      if (best === undefined || RANK[state] > RANK[best]) best = state
    }
    const state = best ?? 'active'
    return { state, active: state === 'active' || state === 'preactive', include: state !== 'future' }
  }
}

function readDate (period: JsonValue, rest: readonly PathSegment[], path: string): Date | undefined {
  const v = getPath(period, rest)
  if (v === undefined || v === null || v === '') return undefined
  const d = parseHrDate(v)
  if (d === undefined) throw new HrRecordError(`unreadable date ${JSON.stringify(v)} at ${path}`)
  return d
}

function sameSegment (a: PathSegment | undefined, b: PathSegment | undefined): boolean {
  if (a === undefined || b === undefined) return false
  if ('key' in a) return 'key' in b && a.key === b.key
  return 'index' in b && a.index === b.index
}
