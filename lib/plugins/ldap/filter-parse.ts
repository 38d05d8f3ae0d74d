// RFC 4515 filter strings → ldapts Filter objects. ldapts's own string parser turns `\XX` escapes
// into one UTF-16 code unit each, which corrupts escaped bytes ≥ 0x80: a binary GUID assertion
// (`(objectGUID=\67\5b\97\b3…)`) or an escaped UTF-8 sequence would be sent re-encoded and never
// match. Here escapes become bytes: equality values that are not valid UTF-8 go out as raw octets.
import { AndFilter, ApproximateFilter, EqualityFilter, ExtensibleFilter, GreaterThanEqualsFilter, LessThanEqualsFilter, NotFilter, OrFilter, PresenceFilter, SubstringFilter, type Filter } from 'ldapts'

export class FilterSyntaxError extends Error {
  constructor (filter: string, why: string) { super(`invalid LDAP filter ${JSON.stringify(filter)}: ${why}`); this.name = 'FilterSyntaxError' }
}

/** Parses a filter (with or without the outer parentheses). @throws FilterSyntaxError */
export function parseLdapFilter (text: string): Filter {
  const s = text.trim().startsWith('(') ? text.trim() : `(${text.trim()})`
  const [f, end] = parseAt(s, 0, text)
  if (end !== s.length) throw new FilterSyntaxError(text, `unexpected text at ${end}`)
  return f
}

function parseAt (s: string, i: number, orig: string): [Filter, number] {
  if (s[i] !== '(') throw new FilterSyntaxError(orig, `"(" expected at ${i}`)
  const op = s[i + 1]
  if (op === '&' || op === '|') {
    const filters: Filter[] = []
    let j = i + 2
    while (s[j] === '(') { const [f, k] = parseAt(s, j, orig); filters.push(f); j = k }
    if (s[j] !== ')') throw new FilterSyntaxError(orig, `")" expected at ${j}`)
    return [op === '&' ? new AndFilter({ filters }) : new OrFilter({ filters }), j + 1]
  }
  if (op === '!') {
    const [f, k] = parseAt(s, i + 2, orig)
    if (s[k] !== ')') throw new FilterSyntaxError(orig, `")" expected at ${k}`)
    return [new NotFilter({ filter: f }), k + 1]
  }
  // an item: value runs to the next unescaped ")" (escaped ones are \29)
  const close = s.indexOf(')', i + 1)
  if (close < 0) throw new FilterSyntaxError(orig, 'unbalanced parentheses')
  return [item(s.slice(i + 1, close), orig), close + 1]
}

function item (body: string, orig: string): Filter {
  const m = /^([^=~<>:()]*(?::dn)?(?::[^=:()]+)?)(~=|>=|<=|:=|=)(.*)$/s.exec(body)
  if (m === null) throw new FilterSyntaxError(orig, `bad item ${JSON.stringify(body)}`)
  const [, lhs = '', op = '', raw = ''] = m
  if (op === ':=') {
    const parts = lhs.split(':')
    const attribute = parts[0] ?? ''
    const dnAttributes = parts.includes('dn')
    const rule = parts.slice(1).find(p => p !== 'dn')
    const opts: { matchType: string, value: string, dnAttributes: boolean, rule?: string } = { matchType: attribute, value: text(raw, orig), dnAttributes }
    if (rule !== undefined) opts.rule = rule
    return new ExtensibleFilter(opts)
  }
  const attribute = lhs.trim()
  if (attribute === '') throw new FilterSyntaxError(orig, `missing attribute in ${JSON.stringify(body)}`)
  if (op === '~=') return new ApproximateFilter({ attribute, value: text(raw, orig) })
  if (op === '>=') return new GreaterThanEqualsFilter({ attribute, value: text(raw, orig) })
  if (op === '<=') return new LessThanEqualsFilter({ attribute, value: text(raw, orig) })
  if (raw === '*') return new PresenceFilter({ attribute })
  if (raw.includes('*')) {
    const parts = raw.split('*')
    const initial = parts[0] ?? ''
    const final = parts[parts.length - 1] ?? ''
    const any = parts.slice(1, -1).filter(p => p !== '').map(p => text(p, orig))
    const opts: { attribute: string, any: string[], initial?: string, final?: string } = { attribute, any }
    if (initial !== '') opts.initial = text(initial, orig)
    if (final !== '') opts.final = text(final, orig)
    return new SubstringFilter(opts)
  }
  const bytes = unescape(raw, orig)
  const asText = bytes.toString('utf8')
  // not valid UTF-8 (binary GUIDs, SIDs): send the octets as they are
  return new EqualityFilter({ attribute, value: Buffer.from(asText, 'utf8').equals(bytes) ? asText : bytes })
}

function text (raw: string, orig: string): string { return unescape(raw, orig).toString('utf8') }

function unescape (raw: string, orig: string): Buffer {
  const out: number[] = []
  for (let i = 0; i < raw.length;) {
    const ch = raw[i] ?? ''
    if (ch === '\\') {
      const hex = raw.slice(i + 1, i + 3)
      if (!/^[0-9a-fA-F]{2}$/.test(hex)) throw new FilterSyntaxError(orig, `bad escape "\\${hex}"`)
      out.push(parseInt(hex, 16))
      i += 3
      continue
    }
    if (ch === '(') throw new FilterSyntaxError(orig, 'unescaped "(" in a value')
    const cp = raw.codePointAt(i) ?? 0
    const c = String.fromCodePoint(cp)
    for (const b of Buffer.from(c, 'utf8')) out.push(b)
    i += c.length
  }
  return Buffer.from(out)
}
