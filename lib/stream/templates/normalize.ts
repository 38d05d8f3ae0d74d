// Normalize(): diacritics and the letters Unicode cannot decompose → ASCII, so generated user names
// and mail addresses are safe for every endpoint ("Ærøskøbing" → "AEroskobing").

/** Letters without a canonical decomposition, transliterated. Upper-case forms stay upper-case. */
const TRANSLIT: Readonly<Record<string, string>> = {
  Æ: 'AE', æ: 'ae', Ø: 'O', ø: 'o', ß: 'ss', Œ: 'OE', œ: 'oe', Ł: 'L', ł: 'l', Đ: 'D', đ: 'd',
  Þ: 'TH', þ: 'th', Ð: 'D', ð: 'd', ı: 'i', Ħ: 'H', ħ: 'h', Ŧ: 'T', ŧ: 't', Ŋ: 'NG', ŋ: 'ng'
}
const SPECIAL = new RegExp(`[${Object.keys(TRANSLIT).join('')}]`, 'g')
const ASCII = /^[\x00-\x7f]*$/

/**
 * Removes diacritics and transliterates special letters.
 * @example normalizeText('Zoë Bjørnstad') // 'Zoe Bjornstad'
 */
export function normalizeText (s: string): string {
  if (ASCII.test(s)) return s
  return s.replace(SPECIAL, c => TRANSLIT[c] ?? c).normalize('NFD').replace(/\p{M}+/gu, '').normalize('NFC')
}
