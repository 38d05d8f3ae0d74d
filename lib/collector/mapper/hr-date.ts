// Dates as HR systems send them, and the "-most_current" choice among several employments.
// Shared with the HR collector (joiner/leaver dates), hence exported from the mapper's index.
import { isJsonObject, type JsonObject, type JsonValue } from '../../scim/types.ts'

const MS_DATE = /^\/Date\((-?\d+)(?:[+-]\d{4})?\)\/$/
const DIGITS = /^-?\d{10,16}$/ // unix ms; shorter digit strings (e.g. yyyyMMdd) are not taken as instants
const YMD = /^(\d{4})[-/](\d{2})[-/](\d{2})$/
const DMY = /^(\d{2})\/(\d{2})\/(\d{4})$/
const ISO_TIME = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}/

/**
 * Parses an HR date: OData v2 `/Date(ms)/` and `/Date(ms+0000)/` (the ms are UTC; the offset is
 * informational), unix milliseconds (a number, or a string of 10–16 digits), `YYYY-MM-dd`, `YYYY/MM/dd`,
 * `dd/MM/YYYY` (date-only forms are UTC midnight), ISO 8601 date-times and Date objects.
 * Anything else, and impossible dates such as `2023-02-30`, give undefined.
 * @example parseHrDate('/Date(1704067200000)/') // 2024-01-01T00:00:00.000Z
 * @example parseHrDate('31/12/2023')            // 2023-12-31T00:00:00.000Z
 */
export function parseHrDate (value: unknown): Date | undefined {
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? undefined : value
  if (typeof value === 'number') return Number.isFinite(value) ? new Date(value) : undefined
  if (typeof value !== 'string') return undefined
  const s = value.trim()
  let m = MS_DATE.exec(s)
  if (m !== null) return new Date(Number(m[1]))
  if (DIGITS.test(s)) return new Date(Number(s))
  m = YMD.exec(s)
  if (m !== null) return utcDate(Number(m[1]), Number(m[2]), Number(m[3]))
  m = DMY.exec(s)
  if (m !== null) return utcDate(Number(m[3]), Number(m[2]), Number(m[1]))
  if (ISO_TIME.test(s)) {
    const t = Date.parse(s)
    return Number.isNaN(t) ? undefined : new Date(t)
  }
  return undefined
}

function utcDate (y: number, mo: number, d: number): Date | undefined {
  const t = Date.UTC(y, mo - 1, d)
  const date = new Date(t)
  if (date.getUTCFullYear() !== y || date.getUTCMonth() !== mo - 1 || date.getUTCDate() !== d) return undefined
  return date
}

/**
 * The element of `list` whose period contains `now`: `start <= now` and (no end, or `now < end`).
 * Past and future elements are excluded; among several current ones the latest start wins (on a
 * tie, the first). Elements without a parseable start are skipped. Undefined when none is current.
 * @example mostCurrent(employments, 'startDate', 'endDate', new Date())
 */
export function mostCurrent (list: readonly JsonValue[], startField: string, endField: string, now: Date): JsonObject | undefined {
  const t = now.getTime()
  let best: JsonObject | undefined
  let bestStart = -Infinity
  for (const e of list) {
    if (!isJsonObject(e)) continue
    const start = parseHrDate(e[startField])
    if (start === undefined || start.getTime() > t) continue
    const endRaw = e[endField]
    if (endRaw !== undefined && endRaw !== null && endRaw !== '') {
      const end = parseHrDate(endRaw)
      if (end !== undefined && t >= end.getTime()) continue
    }
    if (start.getTime() > bestStart) {
      best = e
      bestStart = start.getTime()
    }
  }
  return best
}
