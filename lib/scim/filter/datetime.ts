// ISO-8601 / xsd:dateTime parsing to an instant with sub-millisecond precision, for filter comparisons
// of dateTime attributes (`meta.lastModified gt "2015-10-10T14:38:21.8617979-07:00"`). Date.parse is
// not used: it drops digits beyond milliseconds and accepts many non-ISO forms.

/** A point in time: milliseconds since the epoch (UTC) plus nanoseconds within that millisecond. */
export interface Instant { ms: number, ns: number }

const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,12}))?)?)?(Z|z|[+-]\d{2}(?::?\d{2})?)?$/

/**
 * Parses `YYYY-MM-DD[Thh:mm[:ss[.fraction]]][Z|±hh:mm]`. A missing offset means UTC.
 * With `requireTime` a date alone is rejected (used when guessing whether a string is a date-time).
 * Returns undefined for anything else, including out-of-range fields.
 */
export function parseInstant (s: string, requireTime = false): Instant | undefined {
  if (s.length < 10 || s.length > 64) return undefined
  const m = DATE_TIME.exec(s)
  if (m === null) return undefined
  const [, y, mo, d, h, mi, sec, frac, off] = m
  if (requireTime && h === undefined) return undefined
  const year = Number(y); const month = Number(mo); const day = Number(d)
  const hour = h === undefined ? 0 : Number(h)
  const minute = mi === undefined ? 0 : Number(mi)
  const second = sec === undefined ? 0 : Number(sec)
  if (month < 1 || month > 12 || day < 1 || day > daysIn(year, month) || hour > 24 || minute > 59 || second > 60) return undefined
  if (hour === 24 && (minute !== 0 || second !== 0 || (frac !== undefined && /[1-9]/.test(frac)))) return undefined
  const digits = (frac ?? '').padEnd(9, '0')
  const fracMs = Number(digits.slice(0, 3))
  const ns = Number(digits.slice(3, 9))
  let offsetMin = 0
  if (off !== undefined && off !== 'Z' && off !== 'z') {
    const sign = off.startsWith('-') ? -1 : 1
    const body = off.slice(1).replace(':', '')
    const oh = Number(body.slice(0, 2)); const om = body.length > 2 ? Number(body.slice(2, 4)) : 0
    if (oh > 23 || om > 59) return undefined
    offsetMin = sign * (oh * 60 + om)
  }
  const base = Date.UTC(year, month - 1, day, hour, minute, second, fracMs)
  // Date.UTC maps years 0-99 to 1900-1999; correct for it
  const ms = (year < 100 ? new Date(base).setUTCFullYear(year) : base) - offsetMin * 60000
  return { ms, ns }
}

/** Negative when a < b, 0 when equal, positive when a > b. */
export function compareInstants (a: Instant, b: Instant): number {
  return a.ms !== b.ms ? a.ms - b.ms : a.ns - b.ns
}

function daysIn (year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31
}
