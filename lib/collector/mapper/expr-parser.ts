// Lexer and recursive-descent parser of mapper expressions (Entra-style, VBA flavoured):
//   expr    := operand [ ('=' | '<>') operand ]
//   operand := string | number | &Hhex | true | false | null | constant | '[' path ']'
//            | name '(' [arg {',' arg}] ')' | '(' expr ')'
//   arg     := expr | (nothing: an omitted argument, as in FormatDateTime([d], , "yyyyMMdd", "yyyy"))
// Strings are "double quoted"; \" \\ \n \r \t are escapes, any other backslash is kept as written
// (so regular expressions read naturally). Function names are case-insensitive.
import { MapperSyntaxError, type CmpOp, type Expr } from './ast.ts'
import { parseSourcePath } from './source-path.ts'

/** Longest expression accepted (characters) and deepest nesting — config, not user input, but bounded anyway. */
export const MAX_EXPRESSION_LENGTH = 10000
const MAX_DEPTH = 64

/** Named constants usable as bare words (InStr's compare types). */
const CONSTANTS: Readonly<Record<string, number>> = { vbbinarycompare: 0, vbtextcompare: 1, vbdatabasecompare: 2 }

type Tok =
  | { t: 'str', v: string, pos: number }
  | { t: 'num', v: number, pos: number }
  | { t: 'name', v: string, pos: number }
  | { t: 'ref', v: string, pos: number }
  | { t: 'punct', v: '(' | ')' | ',' | CmpOp, pos: number }
  | { t: 'eof', pos: number }

/**
 * Parses an expression into a tree.
 * @throws MapperSyntaxError naming the 1-based position (`unexpected ")" at 17`)
 * @example parseExpression('Join(" ", [firstName], [lastName])')
 */
export function parseExpression (text: string): Expr {
  if (text.length > MAX_EXPRESSION_LENGTH) throw new MapperSyntaxError(`expression longer than ${MAX_EXPRESSION_LENGTH} characters`, 0)
  const p = new Parser(tokenize(text))
  const e = p.expr(0)
  const t = p.peek()
  if (t.t !== 'eof') throw new MapperSyntaxError(`unexpected ${describe(t)}`, t.pos)
  return e
}

function describe (t: Tok): string {
  switch (t.t) {
    case 'eof': return 'end of expression'
    case 'str': return `string "${t.v}"`
    case 'num': return `number ${t.v}`
    case 'name': return `"${t.v}"`
    case 'ref': return `"[${t.v}]"`
    case 'punct': return `"${t.v}"`
  }
}

class Parser {
  private i = 0
  constructor (private readonly toks: Tok[]) {}

  peek (): Tok { return this.toks[this.i] ?? { t: 'eof', pos: 0 } }
  next (): Tok { const t = this.peek(); if (t.t !== 'eof') this.i++; return t }

  expr (depth: number): Expr {
    if (depth > MAX_DEPTH) throw new MapperSyntaxError('expression nested too deeply', this.peek().pos)
    const left = this.operand(depth)
    const t = this.peek()
    if (t.t === 'punct' && (t.v === '=' || t.v === '<>')) {
      this.next()
      const right = this.operand(depth)
      return { kind: 'compare', op: t.v, left, right, pos: t.pos }
    }
    return left
  }

  operand (depth: number): Expr {
    const t = this.next()
    switch (t.t) {
      case 'str': return { kind: 'literal', value: t.v, pos: t.pos }
      case 'num': return { kind: 'literal', value: t.v, pos: t.pos }
      case 'ref': return { kind: 'ref', path: parseSourcePath(t.v, t.pos + 1), pos: t.pos }
      case 'name': {
        const after = this.peek()
        if (after.t === 'punct' && after.v === '(') {
          this.next()
          return this.call(t.v, t.pos, depth)
        }
        const lower = t.v.toLowerCase()
        if (lower === 'true' || lower === 'false') return { kind: 'literal', value: lower === 'true', pos: t.pos }
        if (lower === 'null' || lower === 'nothing') return { kind: 'literal', value: null, pos: t.pos }
        const c = CONSTANTS[lower]
        if (c !== undefined) return { kind: 'constant', name: t.v, value: c, pos: t.pos }
        throw new MapperSyntaxError(`unknown name "${t.v}" (a function needs "(", an attribute needs [brackets], text needs "quotes")`, t.pos)
      }
      case 'punct':
        if (t.v === '(') {
          const e = this.expr(depth + 1)
          this.expectClose(t.pos)
          return e
        }
        throw new MapperSyntaxError(`unexpected "${t.v}"`, t.pos)
      case 'eof':
        throw new MapperSyntaxError('value expected, end of expression', t.pos)
    }
  }

  call (name: string, pos: number, depth: number): Expr {
    const args: Array<Expr | undefined> = []
    const first = this.peek()
    if (first.t === 'punct' && first.v === ')') {
      this.next()
      return { kind: 'call', name, args, pos, end: first.pos + 1 }
    }
    for (;;) {
      const t = this.peek()
      if (t.t === 'punct' && (t.v === ',' || t.v === ')')) args.push(undefined)
      else args.push(this.expr(depth + 1))
      const sep = this.next()
      if (sep.t === 'punct' && sep.v === ',') continue
      if (sep.t === 'punct' && sep.v === ')') return { kind: 'call', name, args, pos, end: sep.pos + 1 }
      if (sep.t === 'eof') throw new MapperSyntaxError(`")" expected for "${name}(" at ${pos + 1}, end of expression`, sep.pos)
      throw new MapperSyntaxError(`unexpected ${describe(sep)}, "," or ")" expected`, sep.pos)
    }
  }

  expectClose (open: number): void {
    const t = this.next()
    if (t.t === 'punct' && t.v === ')') return
    throw new MapperSyntaxError(t.t === 'eof' ? `")" expected for "(" at ${open + 1}, end of expression` : `unexpected ${describe(t)}`, t.pos)
  }
}

/** Splits an expression into tokens. */
function tokenize (text: string): Tok[] {
  const toks: Tok[] = []
  let i = 0
  const n = text.length
  while (i < n) {
    const c = text[i] as string
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') { i++; continue }
    const pos = i
    if (c === '"') {
      let v = ''
      i++
      for (;;) {
        if (i >= n) throw new MapperSyntaxError('unterminated string', pos)
        const d = text[i] as string
        if (d === '"') { i++; break }
        if (d === '\\' && i + 1 < n) {
          const e = text[i + 1] as string
          const esc = e === '"' ? '"' : e === '\\' ? '\\' : e === 'n' ? '\n' : e === 'r' ? '\r' : e === 't' ? '\t' : undefined
          if (esc !== undefined) { v += esc; i += 2; continue }
        }
        v += d
        i++
      }
      toks.push({ t: 'str', v, pos })
    } else if (c === '[') {
      const end = closingBracket(text, i)
      toks.push({ t: 'ref', v: text.slice(i + 1, end), pos })
      i = end + 1
    } else if (c === '&' && (text[i + 1] === 'H' || text[i + 1] === 'h')) {
      const m = /^[0-9A-Fa-f]+/.exec(text.slice(i + 2))
      if (m === null) throw new MapperSyntaxError('hexadecimal digits expected after "&H"', pos)
      toks.push({ t: 'num', v: parseInt(m[0], 16), pos })
      i += 2 + m[0].length
    } else if ((c >= '0' && c <= '9') || (c === '-' && /[0-9]/.test(text[i + 1] ?? ''))) {
      const m = /^-?\d+(?:\.\d+)?/.exec(text.slice(i)) as RegExpExecArray
      toks.push({ t: 'num', v: Number(m[0]), pos })
      i += m[0].length
    } else if (/[A-Za-z_]/.test(c)) {
      const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(text.slice(i)) as RegExpExecArray
      toks.push({ t: 'name', v: m[0], pos })
      i += m[0].length
    } else if (c === '(' || c === ')' || c === ',' || c === '=') {
      toks.push({ t: 'punct', v: c, pos })
      i++
    } else if (c === '<' && text[i + 1] === '>') {
      toks.push({ t: 'punct', v: '<>', pos })
      i += 2
    } else {
      throw new MapperSyntaxError(`unexpected "${c}"`, pos)
    }
  }
  toks.push({ t: 'eof', pos: n })
  return toks
}

/** Index of the `]` closing the `[` at `open`, skipping nested brackets/braces and JSON strings. */
function closingBracket (text: string, open: number): number {
  let depth = 0
  let inStr = false
  for (let i = open; i < text.length; i++) {
    const c = text[i]
    if (inStr) {
      if (c === '\\') i++
      else if (c === '"') inStr = false
    } else if (c === '"') inStr = true
    else if (c === '[' || c === '{') depth++
    else if (c === ']' || c === '}') {
      depth--
      if (depth === 0) return i
    }
  }
  throw new MapperSyntaxError('"]" expected for "["', open)
}
