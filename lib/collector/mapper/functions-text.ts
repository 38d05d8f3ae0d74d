// String functions of the mapper, with the semantics Microsoft documents for Entra provisioning
// expressions, plus SCIM Stream's own (FirstN, LowerCase, UpperCase, Normalize, ElementNumber).
// Convention: a function whose first argument is the "source" returns no value when the source has
// none (so an absent attribute stays absent instead of becoming "").
import { fn, type FnDef } from './function-types.ts'
import { EvalError, optStr, toInt, toList, toStr, type Value } from './values.ts'
import { normalizeText } from '../../text/normalize.ts'

const withSource = (f: (s: string, args: Value[]) => Value) => (args: Value[]): Value => {
  const s = optStr(args[0])
  return s === undefined ? undefined : f(s, args)
}

/** Title-cases words. Without separators: .NET TextInfo.ToTitleCase (all-caps words are kept as acronyms). */
function pcase (s: string, separators: string | undefined): string {
  if (separators === undefined) {
    return s.replace(/[\p{L}\p{N}']+/gu, w => w === w.toUpperCase() && /\p{Lu}/u.test(w) ? w : w.charAt(0).toUpperCase() + w.slice(1).toLowerCase())
  }
  let out = ''
  let start = true
  for (const ch of s) {
    if (separators.includes(ch)) { out += ch; start = true; continue }
    out += start ? ch.toUpperCase() : ch.toLowerCase()
    start = false
  }
  return out
}

function locale (culture: Value): string | undefined {
  const c = optStr(culture)
  if (c === undefined || c === '') return undefined
  try {
    Intl.getCanonicalLocales(c)
  } catch {
    throw new EvalError(`unknown culture "${c}"`)
  }
  return c
}

export const TEXT_FUNCTIONS: readonly FnDef[] = [
  fn('Append', 2, 2, withSource((s, a) => s + toStr(a[1]))),
  fn('ConvertToBase64', 1, 1, withSource(s => Buffer.from(s, 'utf16le').toString('base64'))),
  fn('ConvertToUTF8Hex', 1, 1, withSource(s => Buffer.from(s, 'utf8').toString('hex').toUpperCase())),
  fn('CStr', 1, 1, a => optStr(a[0])),
  fn('InStr', 2, 4, (a) => {
    const v1 = optStr(a[0])
    if (v1 === undefined) return undefined
    const v2 = toStr(a[1])
    const start = a[2] === undefined ? 1 : toInt(a[2], 'InStr start')
    if (start < 1) throw new EvalError('InStr start must be 1 or more')
    const text = a[3] !== undefined && toInt(a[3], 'InStr compare') !== 0
    const hay = text ? v1.toLowerCase() : v1
    const needle = text ? v2.toLowerCase() : v2
    return hay.indexOf(needle, start - 1) + 1
  }),
  fn('Join', 1, Infinity, (a) => {
    const sep = toStr(a[0])
    const parts: string[] = []
    for (let i = 1; i < a.length; i++) for (const v of toList(a[i])) parts.push(toStr(v))
    return parts.join(sep)
  }),
  fn('Left', 2, 2, withSource((s, a) => { const n = toInt(a[1], 'Left numChars'); return n <= 0 ? '' : [...s].slice(0, n).join('') })),
  fn('FirstN', 2, 2, withSource((s, a) => { const n = toInt(a[1], 'FirstN n'); return n <= 0 ? '' : [...s].slice(0, n).join('') })),
  fn('Len', 1, 1, withSource(s => [...s].length)),
  fn('Mid', 3, 3, withSource((s, a) => {
    const start = toInt(a[1], 'Mid start')
    const len = toInt(a[2], 'Mid length')
    if (start < 1) throw new EvalError('Mid start must be 1 or more')
    return [...s].slice(start - 1, start - 1 + Math.max(0, len)).join('')
  })),
  // One implementation with the subscriber's Normalize (lib/text/normalize.ts): marks stripped and
  // letters without a decomposition transliterated, as Microsoft's replacement table does (æ, ø, ł, ß).
  fn('NormalizeDiacritics', 1, 1, withSource(normalizeText)),
  fn('Normalize', 1, 1, withSource(normalizeText)),
  fn('PCase', 1, 2, withSource((s, a) => pcase(s, a[1] === undefined ? undefined : toStr(a[1])))),
  fn('Split', 2, 2, withSource((s, a) => s.split(toStr(a[1])))),
  fn('StripSpaces', 1, 1, withSource(s => s.replace(/ /g, ''))),
  fn('ToLower', 1, 2, withSource((s, a) => { const l = locale(a[1]); return l === undefined ? s.toLowerCase() : s.toLocaleLowerCase(l) })),
  fn('ToUpper', 1, 2, withSource((s, a) => { const l = locale(a[1]); return l === undefined ? s.toUpperCase() : s.toLocaleUpperCase(l) })),
  fn('LowerCase', 1, 1, withSource(s => s.toLowerCase())),
  fn('UpperCase', 1, 1, withSource(s => s.toUpperCase())),
  fn('Word', 3, 3, withSource((s, a) => {
    const n = toInt(a[1], 'Word wordNumber')
    const delims = toStr(a[2])
    const words: string[] = []
    let cur = ''
    for (const ch of s) {
      if (delims.includes(ch)) { if (cur !== '') words.push(cur); cur = '' } else cur += ch
    }
    if (cur !== '') words.push(cur)
    return n >= 1 ? words[n - 1] ?? '' : ''
  })),
  fn('ElementNumber', 2, 3, (a) => {
    const n = toInt(a[1], 'ElementNumber n')
    const v = a[0]
    const src = typeof v === 'string' && a[2] !== undefined ? v.split(toStr(a[2])) : toList(v)
    const i = n < 0 ? src.length + n : n - 1
    return src[i]
  }),
]
