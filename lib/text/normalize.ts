// Normalize(): diacritics and the letters Unicode cannot decompose → ASCII, so generated user names
// and mail addresses are safe for every endpoint. One implementation for the collector's mapper
// (Normalize, NormalizeDiacritics) and the subscriber's templates (Normalize), so a value computed
// on either side is the same: "Ærøskøbing" → "Aeroskobing", "ÆRØ" → "AERO", "Łódź" → "Lodz".
//
// Steps: letters without a canonical decomposition are transliterated (Æ Ø ß Œ Ł Đ Þ Ð ı …), then
// NFD splits the rest into base letter + combining marks and the marks are dropped.
// An upper-case letter with a multi-letter transliteration is written in title case ("Ae") when the
// next letter is lower-case (inside a capitalised word) and in capitals ("AE") otherwise (a word in
// capitals, or the letter alone), so the case pattern of the word survives.

/** Lower-case transliterations of letters NFD cannot decompose (upper-case forms derived below). */
const LOWER: Readonly<Record<string, string>> = {
  æ: 'ae', ø: 'o', ß: 'ss', œ: 'oe', ł: 'l', đ: 'd', þ: 'th', ð: 'd', ı: 'i', ħ: 'h', ŧ: 't', ŋ: 'ng',
  ĳ: 'ij', ŀ: 'l', ſ: 's', ĸ: 'k'
}
const UPPER: Readonly<Record<string, string>> = {
  Æ: 'ae', Ø: 'o', ẞ: 'ss', Œ: 'oe', Ł: 'l', Đ: 'd', Þ: 'th', Ð: 'd', Ħ: 'h', Ŧ: 't', Ŋ: 'ng', Ĳ: 'ij', Ŀ: 'l'
}
const ASCII = /^[\x00-\x7f]*$/
const MARKS = /\p{M}+/gu
const MARK = /^\p{M}$/u
const LOWER_LETTER = /^\p{Ll}$/u

/**
 * Removes diacritics and transliterates letters without a decomposition to ASCII letters.
 * ASCII input is returned as it is.
 * @example normalizeText('Zoë Bjørnstad') // 'Zoe Bjornstad'
 * @example normalizeText('Ærøskøbing') // 'Aeroskobing'
 * @example normalizeText('ÆRØ') // 'AERO'
 */
export function normalizeText (s: string): string {
  if (ASCII.test(s)) return s
  const chars = [...s]
  let out = ''
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i] as string
    const lower = LOWER[c]
    if (lower !== undefined) { out += lower; continue }
    const upper = UPPER[c]
    if (upper === undefined) { out += c; continue }
    if (upper.length === 1) { out += upper.toUpperCase(); continue }
    out += nextLetterIsLower(chars, i + 1) ? upper.charAt(0).toUpperCase() + upper.slice(1) : upper.toUpperCase()
  }
  return out.normalize('NFD').replace(MARKS, '').normalize('NFC')
}

/** The next character after combining marks is a lower-case letter. */
function nextLetterIsLower (chars: readonly string[], from: number): boolean {
  let i = from
  while (i < chars.length && MARK.test(chars[i] as string)) i++
  const next = chars[i]
  return next !== undefined && LOWER_LETTER.test(next)
}
