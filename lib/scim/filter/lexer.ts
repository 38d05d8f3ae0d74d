// Lexer for SCIM filters and PATCH paths (RFC 7644 §3.4.2.2, §3.5.2).
// Produces punctuation, JSON string literals and "words". A word is any run of characters other than
// whitespace, parentheses, brackets and double quotes; the parser decides from its position whether a
// word is an attribute path, an operator keyword or an unquoted value (as Entra ID sends them).

export type TokenKind = '(' | ')' | '[' | ']' | 'string' | 'word' | 'eof'

export interface Token {
  kind: TokenKind
  /** The source text of the token (for strings: including the quotes). */
  text: string
  /** For strings: the decoded value. For words: the text. */
  value: string
  /** 0-based offset in the input. */
  pos: number
}

/** Thrown by the lexer; the parser turns it into the right ScimError subclass. */
export class LexError extends Error {
  readonly pos: number
  constructor (message: string, pos: number, options?: ErrorOptions) {
    super(message, options)
    this.name = 'LexError'
    this.pos = pos
  }
}

const SPACE = 1
const PUNCT = 2
const QUOTE = 3
// character classes of the ASCII range; everything else is a word character
const CLASS = new Uint8Array(128)
for (const c of [9, 10, 11, 12, 13, 32]) CLASS[c] = SPACE
for (const c of '()[]') CLASS[c.charCodeAt(0)] = PUNCT
CLASS[34] = QUOTE

function isSpace (c: number): boolean {
  return c < 128 ? CLASS[c] === SPACE : (c === 0xa0 || c === 0xfeff || c === 0x2028 || c === 0x2029)
}

/** Splits `text` into tokens; the last token is always `eof`. Throws LexError on a malformed string. */
export function tokenize (text: string): Token[] {
  const out: Token[] = []
  const n = text.length
  let i = 0
  while (i < n) {
    const c = text.charCodeAt(i)
    if (isSpace(c)) { i++; continue }
    const cls = c < 128 ? CLASS[c] : 0
    if (cls === PUNCT) {
      const ch = text[i] as '(' | ')' | '[' | ']'
      out.push({ kind: ch, text: ch, value: ch, pos: i })
      i++
    } else if (cls === QUOTE) {
      i = readString(text, i, out)
    } else {
      const start = i
      i++
      while (i < n) {
        const d = text.charCodeAt(i)
        if (d < 128 ? CLASS[d] !== 0 : isSpace(d)) break
        i++
      }
      const w = text.slice(start, i)
      out.push({ kind: 'word', text: w, value: w, pos: start })
    }
  }
  out.push({ kind: 'eof', text: '', value: '', pos: n })
  return out
}

/** Reads a JSON string starting at the quote at `start`; returns the index after the closing quote. */
function readString (text: string, start: number, out: Token[]): number {
  const n = text.length
  let i = start + 1
  let chunkStart = i
  let value = ''
  while (true) {
    if (i >= n) throw new LexError('Unterminated string', start)
    const c = text.charCodeAt(i)
    if (c === 34) break
    if (c !== 92) { i++; continue }
    value += text.slice(chunkStart, i)
    const e = text[i + 1]
    switch (e) {
      case '"': value += '"'; break
      case '\\': value += '\\'; break
      case '/': value += '/'; break
      case 'b': value += '\b'; break
      case 'f': value += '\f'; break
      case 'n': value += '\n'; break
      case 'r': value += '\r'; break
      case 't': value += '\t'; break
      case 'u': {
        const hex = text.slice(i + 2, i + 6)
        if (!/^[0-9a-fA-F]{4}$/.test(hex)) throw new LexError('Invalid \\u escape in string', i)
        value += String.fromCharCode(parseInt(hex, 16))
        i += 4
        break
      }
      default:
        throw new LexError(e === undefined ? 'Unterminated string' : `Invalid escape "\\${e}" in string`, i)
    }
    i += 2
    chunkStart = i
  }
  value += text.slice(chunkStart, i)
  out.push({ kind: 'string', text: text.slice(start, i + 1), value, pos: start })
  return i + 1
}
