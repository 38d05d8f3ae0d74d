// Date handling of the mapper functions: .NET custom date/time format strings (parse and format,
// as FormatDateTime uses them), CDate's lenient parsing, VBA DateAdd/DateDiff intervals, and AD's
// FILETIME numbers (100-ns ticks since 1601-01-01 UTC) for DateFromNum/NumFromDate.
// All computation is in UTC, as Entra's provisioning service runs in UTC: a parsed offset converts
// to UTC, a time without offset is taken as UTC.
import { parseHrDate } from './hr-date.ts'
import { EvalError } from './values.ts'

const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December']
const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday']

type FmtTok = { lit: string } | { spec: string }

/** Split format strings, kept by the caller (one per compiled mapper; no module-level state). */
export type FormatCache = Map<string, FmtTok[]>

/** Splits a .NET custom format string into specifiers (runs of one letter) and literals, memoised in `cache`. */
function tokenizeFormat (fmt: string, cache: FormatCache | undefined): FmtTok[] {
  let toks = cache?.get(fmt)
  if (toks === undefined) {
    toks = splitFormat(fmt)
    if (cache !== undefined) {
      if (cache.size > 256) cache.clear()
      cache.set(fmt, toks)
    }
  }
  return toks
}

function splitFormat (fmt: string): FmtTok[] {
  const out: FmtTok[] = []
  let i = 0
  while (i < fmt.length) {
    const c = fmt[i] as string
    if (c === '\'' || c === '"') {
      const end = fmt.indexOf(c, i + 1)
      const stop = end < 0 ? fmt.length : end
      out.push({ lit: fmt.slice(i + 1, stop) })
      i = stop + 1
    } else if (c === '\\') {
      out.push({ lit: fmt[i + 1] ?? '' })
      i += 2
    } else if (c === '%') {
      i++
    } else if ('yMdHhmsfFtzK'.includes(c)) {
      let j = i
      while (fmt[j] === c) j++
      out.push({ spec: fmt.slice(i, j) })
      i = j
    } else {
      out.push({ lit: c })
      i++
    }
  }
  return out
}

const pad = (n: number, w: number): string => String(n).padStart(w, '0')

/**
 * Formats a date with a .NET custom format string, in UTC (zzz gives +00:00).
 * @example formatDotNet(new Date('2015-01-23T10:53:47Z'), 'yyyy-MM-dd') // '2015-01-23'
 */
export function formatDotNet (d: Date, fmt: string, cache?: FormatCache): string {
  let out = ''
  for (const t of tokenizeFormat(fmt, cache)) {
    if ('lit' in t) { out += t.lit; continue }
    const s = t.spec
    const n = s.length
    switch (s[0]) {
      case 'y': out += n === 2 ? pad(d.getUTCFullYear() % 100, 2) : n === 1 ? String(d.getUTCFullYear() % 100) : pad(d.getUTCFullYear(), n); break
      case 'M': {
        const m = d.getUTCMonth()
        const name = MONTHS[m] as string
        out += n >= 4 ? name : n === 3 ? name.slice(0, 3) : n === 2 ? pad(m + 1, 2) : String(m + 1)
        break
      }
      case 'd': {
        const name = DAYS[d.getUTCDay()] as string
        out += n >= 4 ? name : n === 3 ? name.slice(0, 3) : n === 2 ? pad(d.getUTCDate(), 2) : String(d.getUTCDate())
        break
      }
      case 'H': out += n >= 2 ? pad(d.getUTCHours(), 2) : String(d.getUTCHours()); break
      case 'h': { const h = d.getUTCHours() % 12 || 12; out += n >= 2 ? pad(h, 2) : String(h); break }
      case 'm': out += n >= 2 ? pad(d.getUTCMinutes(), 2) : String(d.getUTCMinutes()); break
      case 's': out += n >= 2 ? pad(d.getUTCSeconds(), 2) : String(d.getUTCSeconds()); break
      case 'f': case 'F': {
        let frac = pad(d.getUTCMilliseconds(), 3).padEnd(7, '0').slice(0, n)
        if (s[0] === 'F') frac = frac.replace(/0+$/, '')
        out += frac
        break
      }
      case 't': { const ap = d.getUTCHours() < 12 ? 'AM' : 'PM'; out += n === 1 ? ap[0] : ap; break }
      case 'z': out += n >= 3 ? '+00:00' : n === 2 ? '+00' : '+0'; break
      case 'K': out += 'Z'; break
    }
  }
  return out
}

/**
 * Parses text with a .NET custom format string (exact match, like ParseExact). An offset (z, zz,
 * zzz, K) converts to UTC; without one the time is UTC. Undefined when the text does not match.
 * @example parseDotNet('20150123105347.1Z', 'yyyyMMddHHmmss.fZ') // 2015-01-23T10:53:47.100Z
 */
export function parseDotNet (text: string, fmt: string, cache?: FormatCache): Date | undefined {
  const fields: string[] = []
  let re = '^'
  for (const t of tokenizeFormat(fmt, cache)) {
    if ('lit' in t) { re += t.lit.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'); continue }
    const s = t.spec
    const n = s.length
    const c = s[0] as string
    let part: string
    if (c === 'y') part = n <= 2 ? '(\\d{1,2})' : `(\\d{${n}})`
    else if (c === 'M') part = n >= 4 ? `(${MONTHS.join('|')})` : n === 3 ? `(${MONTHS.map(m => m.slice(0, 3)).join('|')})` : n === 2 ? '(\\d{2})' : '(\\d{1,2})'
    else if (c === 'd') part = n >= 4 ? `(${DAYS.join('|')})` : n === 3 ? `(${DAYS.map(m => m.slice(0, 3)).join('|')})` : n === 2 ? '(\\d{2})' : '(\\d{1,2})'
    else if (c === 'H' || c === 'h' || c === 'm' || c === 's') part = n >= 2 ? '(\\d{2})' : '(\\d{1,2})'
    else if (c === 'f') part = `(\\d{${n}})`
    else if (c === 'F') part = `(\\d{0,${n}})`
    else if (c === 't') part = n === 1 ? '([AP])' : '(AM|PM)'
    else if (c === 'z') part = n >= 3 ? '([+-]\\d{2}:\\d{2})' : n === 2 ? '([+-]\\d{2})' : '([+-]\\d{1,2})'
    else part = '(Z|[+-]\\d{2}:\\d{2})?'
    fields.push(s)
    re += part
  }
  const m = new RegExp(re + '$', 'i').exec(text.trim())
  if (m === null) return undefined
  let y = 1; let mo = 1; let d = 1; let h = 0; let mi = 0; let sec = 0; let ms = 0; let pm: boolean | undefined; let off = 0
  fields.forEach((s, k) => {
    const v = m[k + 1] ?? ''
    const c = s[0]
    if (c === 'y') y = s.length <= 2 ? 2000 + Number(v) : Number(v)
    else if (c === 'M') mo = s.length >= 3 ? MONTHS.findIndex(x => x.toLowerCase().startsWith(v.toLowerCase())) + 1 : Number(v)
    else if (c === 'd') { if (s.length <= 2) d = Number(v) }
    else if (c === 'H' || c === 'h') h = Number(v)
    else if (c === 'm') mi = Number(v)
    else if (c === 's') sec = Number(v)
    else if ((c === 'f' || c === 'F') && v !== '') ms = Math.round(Number(`0.${v}`) * 1000)
    else if (c === 't') pm = v.toUpperCase().startsWith('P')
    else if ((c === 'z' || c === 'K') && v !== '' && v.toUpperCase() !== 'Z') off = offsetMinutes(v)
  })
  if (pm !== undefined) h = (h % 12) + (pm ? 12 : 0)
  const t = Date.UTC(y, mo - 1, d, h, mi, sec, ms)
  const date = new Date(t)
  if (date.getUTCMonth() !== mo - 1 || date.getUTCDate() !== d || h > 23 || mi > 59 || sec > 59) return undefined
  return new Date(t - off * 60000)
}

function offsetMinutes (v: string): number {
  const m = /^([+-])(\d{1,2})(?::?(\d{2}))?$/.exec(v)
  if (m === null) return 0
  const mins = Number(m[2]) * 60 + Number(m[3] ?? 0)
  return m[1] === '-' ? -mins : mins
}

const LENIENT = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?$/i

/**
 * CDate's parsing: ISO 8601 dates and date-times, including Workday's date with offset
 * (`2020-03-16-07:00`), plus everything {@link parseHrDate} reads.
 * @throws EvalError when the text is not a date
 */
export function toDate (v: unknown): Date {
  if (v instanceof Date) return v
  if (typeof v === 'string') {
    const m = LENIENT.exec(v.trim())
    if (m !== null) {
      const t = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4] ?? 0), Number(m[5] ?? 0), Number(m[6] ?? 0), m[7] !== undefined ? Math.round(Number(`0.${m[7]}`) * 1000) : 0)
      const off = m[8] !== undefined && m[8].toUpperCase() !== 'Z' ? offsetMinutes(m[8]) : 0
      if (!Number.isNaN(t)) return new Date(t - off * 60000)
    }
  }
  const d = parseHrDate(v)
  if (d !== undefined) return d
  if (typeof v === 'string') {
    const t = Date.parse(v)
    if (!Number.isNaN(t)) return new Date(t)
  }
  throw new EvalError(`not a date: ${JSON.stringify(v) ?? String(v)}`)
}

/**
 * VBA DateAdd: adds `n` intervals (yyyy, q, m, y, d, w, ww, h, n, s). Adding months clamps to the
 * month's last day (Jan 31 + 1 month = Feb 28/29).
 * @throws EvalError for an unknown interval
 */
export function dateAdd (interval: string, n: number, d: Date): Date {
  const iv = interval.toLowerCase()
  const addMonths = (months: number): Date => {
    const y = d.getUTCFullYear()
    const m = d.getUTCMonth() + months
    const last = new Date(Date.UTC(y, m + 1, 0)).getUTCDate()
    const r = new Date(d.getTime())
    r.setUTCFullYear(y, m, Math.min(d.getUTCDate(), last))
    return r
  }
  switch (iv) {
    case 'yyyy': return addMonths(12 * n)
    case 'q': return addMonths(3 * n)
    case 'm': return addMonths(n)
    case 'y': case 'd': case 'w': return new Date(d.getTime() + n * 86400000)
    case 'ww': return new Date(d.getTime() + n * 7 * 86400000)
    case 'h': return new Date(d.getTime() + n * 3600000)
    case 'n': return new Date(d.getTime() + n * 60000)
    case 's': return new Date(d.getTime() + n * 1000)
    default: throw new EvalError(`unknown interval "${interval}" (yyyy, q, m, y, d, w, ww, h, n, s)`)
  }
}

/**
 * VBA DateDiff: the number of interval boundaries between d1 and d2 (positive when d2 is later).
 * yyyy/q/m count calendar boundaries, d/y count midnights, w counts whole weeks, ww counts Sundays,
 * h/n/s count hour/minute/second boundaries.
 * @throws EvalError for an unknown interval
 */
export function dateDiff (interval: string, d1: Date, d2: Date): number {
  const iv = interval.toLowerCase()
  const bound = (unit: number): number => Math.floor(d2.getTime() / unit) - Math.floor(d1.getTime() / unit)
  switch (iv) {
    case 'yyyy': return d2.getUTCFullYear() - d1.getUTCFullYear()
    case 'q': return (d2.getUTCFullYear() - d1.getUTCFullYear()) * 4 + Math.floor(d2.getUTCMonth() / 3) - Math.floor(d1.getUTCMonth() / 3)
    case 'm': return (d2.getUTCFullYear() - d1.getUTCFullYear()) * 12 + d2.getUTCMonth() - d1.getUTCMonth()
    case 'y': case 'd': return bound(86400000)
    case 'w': return Math.trunc((d2.getTime() - d1.getTime()) / (7 * 86400000))
    case 'ww': {
      // 1970-01-04 was a Sunday: count week starts (Sundays) crossed.
      const sunday = Date.UTC(1970, 0, 4)
      const wk = (d: Date): number => Math.floor((d.getTime() - sunday) / (7 * 86400000))
      return wk(d2) - wk(d1)
    }
    case 'h': return bound(3600000)
    case 'n': return bound(60000)
    case 's': return bound(1000)
    default: throw new EvalError(`unknown interval "${interval}" (yyyy, q, m, y, d, w, ww, h, n, s)`)
  }
}

/** Milliseconds between 1601-01-01 and 1970-01-01 in FILETIME ticks (100 ns). */
const EPOCH_TICKS = 116444736000000000n

/**
 * AD's FILETIME number (100-ns ticks since 1601-01-01 UTC) to a Date.
 * @throws EvalError when the value is not an integer
 */
export function dateFromFileTime (v: unknown): Date {
  let ticks: bigint
  try {
    ticks = BigInt(typeof v === 'number' ? Math.trunc(v) : String(v).trim())
  } catch {
    throw new EvalError(`not a FILETIME number: ${JSON.stringify(v) ?? String(v)}`)
  }
  return new Date(Number((ticks - EPOCH_TICKS) / 10000n))
}

/** A Date as AD's FILETIME number (exact: every such value is a multiple of 16 below 2^57). */
export function fileTimeFromDate (d: Date): number {
  return Number(BigInt(d.getTime()) * 10000n + EPOCH_TICKS)
}
