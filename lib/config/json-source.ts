// A JSON parser that also returns where each string value sits in the source text, so secrets can
// be rewritten in place while every other byte of the file stays as it was. Syntax errors carry
// line:column. Strict JSON (RFC 8259): no comments, no trailing commas.
import type { JsonObject, JsonValue } from '../scim/types.ts'
import type { PathSegment } from './path.ts'

/** A string value (not a key) in the source: its path and the [start, end) offsets of its token, quotes included. */
export interface StringToken { path: PathSegment[], value: string, start: number, end: number }

export interface ParsedJson {
  value: JsonValue
  /** Every string value of the document, in source order. */
  strings: StringToken[]
  /** Paths of keys that appear twice in one object (the last one wins, as with JSON.parse). */
  duplicateKeys: PathSegment[][]
}

/** A JSON syntax error with a 1-based line and column. */
export class JsonSyntaxError extends Error {
  constructor (readonly reason: string, readonly line: number, readonly column: number, options?: ErrorOptions) {
    super(`${reason} at line ${line}:${column}`, options)
    this.name = 'JsonSyntaxError'
  }
}

/**
 * Parses JSON text and records the position of every string value.
 * @example parseJsonWithPositions('{"a":"x"}').strings // [{ path: ['a'], value: 'x', start: 5, end: 8 }]
 */
export function parseJsonWithPositions (text: string): ParsedJson {
  const p = new Parser(text)
  if (text.charCodeAt(0) === 0xfeff) p.pos = 1 // a byte-order mark some editors write
  p.ws()
  const value = p.value([])
  p.ws()
  if (p.pos < text.length) p.fail('unexpected content after the JSON value')
  return { value, strings: p.strings, duplicateKeys: p.duplicates }
}

/** Replaces [start, end) ranges of `text` with new text; ranges must not overlap. */
export function spliceText (text: string, edits: ReadonlyArray<{ start: number, end: number, text: string }>): string {
  let out = text
  for (const e of [...edits].sort((a, b) => b.start - a.start)) out = out.slice(0, e.start) + e.text + out.slice(e.end)
  return out
}

/** 1-based line and column of an offset. */
export function lineColumn (text: string, offset: number): { line: number, column: number } {
  let line = 1
  let lineStart = 0
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) { line++; lineStart = i + 1 }
  }
  return { line, column: offset - lineStart + 1 }
}

const NUMBER_SOURCE = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/.source
const STRING_BODY_SOURCE = /(?:[^"\\\u0000-\u001f]|\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4}))*"/.source

class Parser {
  pos = 0
  // Sticky regexes carry lastIndex, so each parser has its own (no shared mutable state).
  readonly number = new RegExp(NUMBER_SOURCE, 'y')
  readonly stringBody = new RegExp(STRING_BODY_SOURCE, 'y')
  strings: StringToken[] = []
  duplicates: PathSegment[][] = []
  constructor (readonly text: string) {}

  fail (reason: string, at = this.pos): never {
    const { line, column } = lineColumn(this.text, at)
    throw new JsonSyntaxError(reason, line, column)
  }

  ws (): void {
    while (this.pos < this.text.length) {
      const c = this.text.charCodeAt(this.pos)
      if (c === 32 || c === 9 || c === 10 || c === 13) this.pos++
      else break
    }
  }

  value (path: PathSegment[]): JsonValue {
    const c = this.text[this.pos]
    if (c === '{') return this.object(path)
    if (c === '[') return this.array(path)
    if (c === '"') {
      const start = this.pos
      const value = this.string()
      this.strings.push({ path, value, start, end: this.pos })
      return value
    }
    for (const [word, v] of [['true', true], ['false', false], ['null', null]] as const) {
      if (this.text.startsWith(word, this.pos)) { this.pos += word.length; return v }
    }
    this.number.lastIndex = this.pos
    const m = this.number.exec(this.text)
    if (m !== null) { this.pos += m[0].length; return Number(m[0]) }
    if (c === undefined) return this.fail('unexpected end of input')
    return this.fail(`unexpected character ${JSON.stringify(c)}`)
  }

  string (): string {
    const start = this.pos
    this.stringBody.lastIndex = this.pos + 1
    const m = this.stringBody.exec(this.text)
    if (m === null) return this.failInString()
    this.pos = this.stringBody.lastIndex
    return JSON.parse(this.text.slice(start, this.pos)) as string
  }

  /** Finds the offending character of a string the fast regex rejected, for a precise position. */
  failInString (): never {
    const t = this.text
    let i = this.pos + 1
    while (i < t.length) {
      const c = t[i]
      if (c === '"') break
      if (t.charCodeAt(i) < 0x20) this.fail('invalid character in string', i)
      if (c !== '\\') { i++; continue }
      const next = t[i + 1] ?? ''
      if ('"\\/bfnrt'.includes(next) && next !== '') i += 2
      else if (next === 'u' && /^[0-9a-fA-F]{4}$/.test(t.slice(i + 2, i + 6))) i += 6
      else this.fail('invalid escape in string', i)
    }
    return this.fail('unterminated string', i)
  }

  object (path: PathSegment[]): JsonObject {
    const out: JsonObject = {}
    this.pos++
    this.ws()
    if (this.text[this.pos] === '}') { this.pos++; return out }
    for (;;) {
      if (this.text[this.pos] !== '"') this.fail('expected a property name in double quotes')
      const key = this.string()
      this.ws()
      if (this.text[this.pos] !== ':') this.fail('expected ":" after property name')
      this.pos++
      this.ws()
      if (Object.hasOwn(out, key)) this.duplicates.push([...path, key])
      const v = this.value([...path, key])
      // Like JSON.parse, "__proto__" is an own property, never the prototype.
      Object.defineProperty(out, key, { value: v, enumerable: true, writable: true, configurable: true })
      this.ws()
      const c = this.text[this.pos]
      if (c === ',') { this.pos++; this.ws(); continue }
      if (c === '}') { this.pos++; return out }
      this.fail('expected "," or "}" after property value')
    }
  }

  array (path: PathSegment[]): JsonValue[] {
    const out: JsonValue[] = []
    this.pos++
    this.ws()
    if (this.text[this.pos] === ']') { this.pos++; return out }
    for (;;) {
      out.push(this.value([...path, out.length]))
      this.ws()
      const c = this.text[this.pos]
      if (c === ',') { this.pos++; this.ws(); continue }
      if (c === ']') { this.pos++; return out }
      this.fail('expected "," or "]" after array element')
    }
  }
}
