// Distinguished names (RFC 4514): escaping attribute values when building a DN from SCIM input,
// parsing DNs the server returns, and a normalised form for comparing them (member values, caches).
// Commas, plus signs, quotes, backslashes, `<>;=`, NUL, a leading space or `#` and a trailing space
// in a name must never change the DN's structure — a userName "Smith, John" stays one RDN value.

/** One attribute-value assertion of an RDN (a multi-valued RDN has several, joined by `+`). */
export interface Ava { type: string, value: string }
export type Rdn = Ava[]

/** Escapes a value for use in a DN string (RFC 4514 §2.4). */
export function escapeDnValue (value: string): string {
  let out = ''
  for (let i = 0; i < value.length; i++) {
    const ch = value[i] ?? ''
    // hex pairs rather than `\,`: a DN then never contains an unescaped-looking separator, which
    // keeps naive splitters (ldapts's modifyDN splits the new RDN at the first `[^\\],`) right
    const special = ch === '\u0000' || '"+,;<>\\='.includes(ch) || (i === 0 && (ch === ' ' || ch === '#')) || (i === value.length - 1 && ch === ' ')
    out += special ? '\\' + ch.charCodeAt(0).toString(16).padStart(2, '0') : ch
  }
  return out
}

/** A DN from RDNs (each value escaped). */
export function formatDn (rdns: Rdn[]): string {
  return rdns.map(rdn => rdn.map(a => `${a.type}=${escapeDnValue(a.value)}`).join('+')).join(',')
}

/** Builds `<type>=<escaped value>,<parent>`. */
export function childDn (type: string, value: string, parent: string): string {
  return `${type}=${escapeDnValue(value)}${parent === '' ? '' : ',' + parent}`
}

/** A malformed DN. */
export class DnSyntaxError extends Error {
  constructor (dn: string, why: string) { super(`invalid DN ${JSON.stringify(dn)}: ${why}`); this.name = 'DnSyntaxError' }
}

/**
 * Parses a DN string into RDNs with unescaped values. Accepts `\XX` hex pairs (UTF-8 sequences),
 * `\<special>` escapes and quoted values (RFC 2253 style, still sent by some servers).
 * @throws DnSyntaxError
 */
export function parseDn (dn: string): Rdn[] {
  const rdns: Rdn[] = []
  if (dn.trim() === '') return rdns
  let i = 0
  let rdn: Rdn = []
  const n = dn.length
  while (i < n) {
    while (i < n && dn[i] === ' ') i++
    const eq = dn.indexOf('=', i)
    if (eq < 0) throw new DnSyntaxError(dn, `missing "=" after position ${i}`)
    const type = dn.slice(i, eq).trim()
    if (!/^([A-Za-z][A-Za-z0-9-]*|[0-9]+(\.[0-9]+)*)$/.test(type)) throw new DnSyntaxError(dn, `bad attribute type ${JSON.stringify(type)}`)
    i = eq + 1
    const bytes: number[] = []
    const pushText = (s: string): void => { for (const b of Buffer.from(s, 'utf8')) bytes.push(b) }
    let trailingSpaces = 0
    if (dn[i] === '"') {
      i++
      while (i < n && dn[i] !== '"') {
        if (dn[i] === '\\' && i + 1 < n) i++
        pushText(dn[i] ?? '')
        i++
      }
      if (dn[i] !== '"') throw new DnSyntaxError(dn, 'unterminated quoted value')
      i++
      while (i < n && dn[i] === ' ') i++
    } else {
      while (i < n && dn[i] !== ',' && dn[i] !== '+' && dn[i] !== ';') {
        const ch = dn[i] ?? ''
        if (ch === '\\') {
          const hex = dn.slice(i + 1, i + 3)
          if (/^[0-9A-Fa-f]{2}$/.test(hex)) { bytes.push(parseInt(hex, 16)); i += 3 } else if (i + 1 < n) { pushText(dn[i + 1] ?? ''); i += 2 } else throw new DnSyntaxError(dn, 'dangling backslash')
          trailingSpaces = 0
          continue
        }
        trailingSpaces = ch === ' ' ? trailingSpaces + 1 : 0
        pushText(ch)
        i++
      }
      // unescaped trailing spaces are not part of the value
      if (trailingSpaces > 0) bytes.splice(bytes.length - trailingSpaces, trailingSpaces)
    }
    rdn.push({ type, value: Buffer.from(bytes).toString('utf8') })
    if (i < n && dn[i] === '+') { i++; continue }
    rdns.push(rdn)
    rdn = []
    if (i < n) i++ // ',' or ';'
  }
  if (rdn.length > 0) rdns.push(rdn)
  return rdns
}

/**
 * A canonical form for comparing DNs: types and values lower-cased, whitespace around separators
 * removed, AVAs of a multi-valued RDN sorted, values re-escaped. Unparseable input is lower-cased.
 */
export function normalizeDn (dn: string): string {
  try {
    return parseDn(dn).map(rdn => rdn
      .map(a => `${a.type.toLowerCase()}=${escapeDnValue(a.value.toLowerCase())}`)
      .sort()
      .join('+')).join(',')
  } catch {
    return dn.toLowerCase()
  }
}

/** The parent DN (everything after the first RDN), as a formatted string. */
export function parentDn (dn: string): string {
  return formatDn(parseDn(dn).slice(1))
}

/** True when `dn` equals `base` or lies below it. */
export function isUnder (dn: string, base: string): boolean {
  const d = normalizeDn(dn)
  const b = normalizeDn(base)
  return b === '' || d === b || d.endsWith(',' + b)
}
