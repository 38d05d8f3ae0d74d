// Date, logical, multi-value and generator functions of the mapper (Entra semantics):
// BitAnd, CBool, CDate, Coalesce, Count, DateAdd, DateDiff, DateFromNum, FormatDateTime, Guid,
// IgnoreFlowIfNullOrEmpty, IIF, IsNull, IsNullOrEmpty, IsPresent, IsString, Item, Not, Now,
// NumFromDate, RandomString, Redact, RemoveDuplicates, SelectUniqueValue, Switch.
import { randomUUID } from 'node:crypto'
import { randomFromClasses, RandomSpecError } from '../../text/password.ts'
import { dateAdd, dateDiff, dateFromFileTime, fileTimeFromDate, formatDotNet, parseDotNet, toDate } from './datetime.ts'
import { fn, type FnContext, type FnDef } from './function-types.ts'
import { EvalError, IgnoreFlow, isNull, isNullOrEmpty, optStr, scalar, toBool, toInt, toList, toStr, type Value } from './values.ts'

const DIGITS = '0123456789'
const UPPER = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ'
const LOWER = 'abcdefghijklmnopqrstuvwxyz'
const SPECIAL = '!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~'

/** Entra's RandomString(Length, MinimumNumbers, MinimumSpecialCharacters, MinimumCapital, MinimumLowerCase, CharactersToAvoid). */
function randomString (a: Value[]): string {
  const len = toInt(a[0], 'RandomString Length')
  const opt = (v: Value, what: string): number => v === undefined || v === null ? 0 : toInt(v, what)
  const mins = [opt(a[1], 'MinimumNumbers'), opt(a[2], 'MinimumSpecialCharacters'), opt(a[3], 'MinimumCapital'), opt(a[4], 'MinimumLowerCase')]
  const avoid = a[5] === undefined || a[5] === null ? '' : toStr(a[5])
  const [digits, special, upper, lower] = [DIGITS, SPECIAL, UPPER, LOWER].map(s => [...s].filter(c => !avoid.includes(c)).join('')) as [string, string, string, string]
  if (len < 1 || len > 256) throw new EvalError('RandomString Length must be between 1 and 256')
  if (mins.reduce((x, y) => x + y, 0) > len) throw new EvalError('RandomString minimums exceed Length')
  const classes = [digits, special, upper, lower].map((chars, k) => ({ chars, min: mins[k] as number }))
  if (classes.some(c => c.min > 0 && c.chars === '')) throw new EvalError('RandomString: CharactersToAvoid removes a required character class')
  // The rest from letters and digits (special characters only when asked for).
  const rest = digits + upper + lower + ((mins[1] as number) > 0 ? special : '')
  try {
    return randomFromClasses(len, classes, rest)
  } catch (err) {
    if (err instanceof RandomSpecError) throw new EvalError(`RandomString: ${err.message}`)
    throw err
  }
}

function formatDateTime (a: Value[], ctx: FnContext): Value {
  const v = scalar(a[0])
  if (v === undefined || v === null) return undefined
  const inFmt = toStr(a[2])
  const outFmt = toStr(a[3])
  if (v instanceof Date && inFmt === '') return formatDotNet(v, outFmt, ctx.caches.formats)
  const src = toStr(v)
  const d = inFmt === '' ? toDate(src) : parseDotNet(src, inFmt, ctx.caches.formats)
  if (d === undefined) throw new EvalError(`FormatDateTime: ${JSON.stringify(src)} does not match input format ${JSON.stringify(inFmt)}`)
  return formatDotNet(d, outFmt, ctx.caches.formats)
}

const dateArg = (v: Value): Date | undefined => {
  const s = scalar(v)
  return s === undefined || s === null || s === '' ? undefined : toDate(s)
}

export const OTHER_FUNCTIONS: readonly FnDef[] = [
  fn('BitAnd', 2, 2, a => toInt(a[0], 'BitAnd value1') & toInt(a[1], 'BitAnd value2')),
  fn('CBool', 1, 1, a => isNull(scalar(a[0])) ? undefined : toBool(a[0], 'CBool expression')),
  fn('CDate', 1, 1, a => dateArg(a[0])),
  fn('Coalesce', 1, Infinity, (a) => {
    for (const v of a) if (!isNullOrEmpty(v)) return v
    return undefined
  }),
  fn('Count', 1, 1, a => toList(a[0]).length),
  fn('DateAdd', 3, 3, (a) => {
    const d = dateArg(a[2])
    return d === undefined ? undefined : dateAdd(toStr(a[0]), toInt(a[1], 'DateAdd value'), d)
  }),
  fn('DateDiff', 3, 3, (a) => {
    const d1 = dateArg(a[1])
    const d2 = dateArg(a[2])
    return d1 === undefined || d2 === undefined ? undefined : dateDiff(toStr(a[0]), d1, d2)
  }),
  fn('DateFromNum', 1, 1, a => isNullOrEmpty(scalar(a[0])) ? undefined : dateFromFileTime(scalar(a[0]))),
  fn('NumFromDate', 1, 1, (a) => { const d = dateArg(a[0]); return d === undefined ? undefined : fileTimeFromDate(d) }),
  fn('FormatDateTime', 4, 4, formatDateTime),
  fn('Guid', 0, 0, () => randomUUID(), false),
  fn('Now', 0, 0, (_a, ctx) => ctx.now, false),
  fn('RandomString', 1, 6, randomString, false),
  fn('IgnoreFlowIfNullOrEmpty', 1, 1, (a) => {
    if (isNullOrEmpty(a[0])) throw new IgnoreFlow()
    return a[0]
  }),
  fn('IIF', 3, 3, a => toBool(a[0], 'IIF condition') ? a[1] : a[2]),
  fn('IsNull', 1, 1, a => isNull(a[0])),
  fn('IsNullOrEmpty', 1, 1, a => isNullOrEmpty(a[0])),
  fn('IsPresent', 1, 1, a => !isNullOrEmpty(a[0])),
  fn('IsString', 1, 1, a => typeof scalar(a[0]) === 'string'),
  fn('Item', 2, 2, (a) => {
    const i = toInt(a[1], 'Item index')
    if (i < 1) throw new EvalError('Item index starts at 1')
    return toList(a[0])[i - 1]
  }),
  fn('Not', 1, 1, a => isNull(scalar(a[0])) ? undefined : !toBool(a[0], 'Not source')),
  // The value flows unchanged; Entra's Redact only hides it in provisioning logs (our logs mask separately).
  fn('Redact', 1, 1, a => a[0]),
  fn('RemoveDuplicates', 1, 1, (a) => {
    if (!Array.isArray(a[0])) return a[0]
    const seen = new Set<string>()
    return a[0].filter((v) => { const k = JSON.stringify(v); if (seen.has(k)) return false; seen.add(k); return true })
  }),
  fn('SelectUniqueValue', 1, Infinity, (a, ctx) => {
    if (ctx.isUnique === undefined) throw new EvalError('SelectUniqueValue needs a uniqueness check (CompileMapperOptions.isUnique)')
    for (const v of a) {
      const s = optStr(v)
      if (s !== undefined && s !== '' && ctx.isUnique(ctx.mapTo, s)) return s
    }
    throw new EvalError('SelectUniqueValue: no candidate value is unique')
  }, false),
  fn('Switch', 2, Infinity, (a) => {
    if (a.length % 2 !== 0) throw new EvalError('Switch needs source, defaultValue and key/value pairs')
    const src = toStr(a[0])
    for (let i = 2; i + 1 < a.length; i += 2) if (toStr(a[i]) === src) return a[i + 1]
    return a[1]
  }),
]
