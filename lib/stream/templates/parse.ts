// Template functions in message values (STREAM-CONTRACT: `GetUniqueValue(...)`, `Join(...)`, …): the
// lexer and recursive-descent parser that turn a value string into a syntax tree. Evaluation walks
// the tree (evaluate.ts); nothing here splits strings on commas or parentheses.
//
// Grammar:  expr := call | string | number | ref
//           call := NAME "(" [ expr { "," expr } ] ")"     NAME is a known function, any case
//           string := '"' { char | '\"' | '\\' } '"'     number := ["-"] digits     ref := "[" path "]"
//           boolean := true | false   (any case; the documented `Increment("01", false)`)
import { PermanentMessageError } from '../message.ts'

/** A node of a template's syntax tree. */
export type TemplateNode =
  | { kind: 'call', name: FunctionName, args: TemplateNode[], pos: number }
  | { kind: 'string', value: string, pos: number }
  | { kind: 'number', value: number, pos: number }
  | { kind: 'boolean', value: boolean, pos: number }
  | { kind: 'ref', path: string, pos: number }

/** The functions a subscriber evaluates, in their canonical spelling. */
export type FunctionName = 'GetUniqueValue' | 'Increment' | 'Join' | 'Normalize' | 'LowerCase' | 'UpperCase' | 'FirstN' | 'ElementNumber' | 'Replace'

/** Argument counts [min, max] per function. */
const ARITY: Readonly<Record<FunctionName, readonly [number, number]>> = {
  GetUniqueValue: [1, 2],
  Increment: [0, 2],
  Join: [1, Infinity],
  Normalize: [1, 1],
  LowerCase: [1, 1],
  UpperCase: [1, 1],
  FirstN: [2, 2],
  ElementNumber: [2, 3],
  Replace: [3, 3]
}

const BY_LOWER: ReadonlyMap<string, FunctionName> = new Map((Object.keys(ARITY) as FunctionName[]).map(n => [n.toLowerCase(), n]))

/** A template that cannot be parsed or evaluated: the message can never be applied. */
export class TemplateError extends PermanentMessageError {
  constructor (template: string, problem: string) {
    super(`template ${JSON.stringify(template)}: ${problem}`)
    this.name = 'PermanentMessageError'
  }
}

/**
 * True when `value` is meant as a template: it starts with a known function name immediately
 * followed by `(` (as the collector emits them). Such a value must then parse — a typo is an
 * error, not a literal written to the endpoint — while ordinary text such as a group named
 * "Replace (old)" stays text.
 * @example looksLikeTemplate('Join(" ", [a], [b])') // true;  looksLikeTemplate('Replace (old)') // false
 */
export function looksLikeTemplate (value: string): boolean {
  const m = /^\s*([A-Za-z]+)\(/.exec(value)
  return m !== null && m[1] !== undefined && BY_LOWER.has(m[1].toLowerCase())
}

/**
 * Parses a template into its syntax tree.
 * @throws TemplateError (a PermanentMessageError) with the position of the problem
 * @example parseTemplate('LowerCase([name.familyName])')
 */
export function parseTemplate (text: string): TemplateNode {
  const p = new Parser(text)
  const node = p.expr()
  p.skipSpace()
  if (!p.atEnd()) p.fail(`unexpected ${JSON.stringify(text.slice(p.pos, p.pos + 10))} at ${p.pos + 1}`)
  if (node.kind !== 'call') p.fail('a template must be a function call')
  return node
}

/** True when the tree calls a function that needs the endpoint (GetUniqueValue, Increment). */
export function needsEndpoint (node: TemplateNode): boolean {
  if (node.kind !== 'call') return false
  return node.name === 'GetUniqueValue' || node.name === 'Increment' || node.args.some(needsEndpoint)
}

class Parser {
  pos = 0
  constructor (private readonly text: string) {}

  atEnd (): boolean { return this.pos >= this.text.length }

  fail (problem: string): never { throw new TemplateError(this.text, problem) }

  skipSpace (): void {
    while (!this.atEnd() && /\s/.test(this.text.charAt(this.pos))) this.pos++
  }

  expr (): TemplateNode {
    this.skipSpace()
    const start = this.pos
    const c = this.text.charAt(this.pos)
    if (c === '"') return { kind: 'string', value: this.string(), pos: start }
    if (c === '[') return { kind: 'ref', path: this.ref(), pos: start }
    if (c === '-' || (c >= '0' && c <= '9')) return { kind: 'number', value: this.number(), pos: start }
    if (/[A-Za-z]/.test(c)) return this.call()
    return this.fail(this.atEnd() ? 'unexpected end' : `unexpected ${JSON.stringify(c)} at ${start + 1}`)
  }

  private call (): TemplateNode {
    const start = this.pos
    while (!this.atEnd() && /[A-Za-z0-9_]/.test(this.text.charAt(this.pos))) this.pos++
    const written = this.text.slice(start, this.pos)
    const lower = written.toLowerCase()
    if (lower === 'true' || lower === 'false') return { kind: 'boolean', value: lower === 'true', pos: start }
    const name = BY_LOWER.get(lower)
    if (name === undefined) this.fail(`unknown function "${written}" at ${start + 1}`)
    this.skipSpace()
    if (this.text.charAt(this.pos) !== '(') this.fail(`expected "(" after ${written} at ${this.pos + 1}`)
    this.pos++
    const args: TemplateNode[] = []
    this.skipSpace()
    if (this.text.charAt(this.pos) === ')') this.pos++
    else {
      for (;;) {
        args.push(this.expr())
        this.skipSpace()
        const c = this.text.charAt(this.pos)
        this.pos++
        if (c === ')') break
        if (c !== ',') this.fail(this.pos > this.text.length ? `missing ")" for ${written}` : `expected "," or ")" at ${this.pos}`)
      }
    }
    const [min, max] = ARITY[name]
    if (args.length < min || args.length > max) {
      this.fail(`${name} takes ${min === max ? min : max === Infinity ? `at least ${min}` : `${min} to ${max}`} argument${max === 1 ? '' : 's'}, got ${args.length}`)
    }
    return { kind: 'call', name, args, pos: start }
  }

  private string (): string {
    this.pos++ // opening quote
    let out = ''
    for (;;) {
      if (this.atEnd()) this.fail('unterminated string')
      const c = this.text.charAt(this.pos++)
      if (c === '"') return out
      if (c === '\\') {
        if (this.atEnd()) this.fail('unterminated string')
        out += this.text.charAt(this.pos++)
      } else out += c
    }
  }

  private ref (): string {
    const start = ++this.pos
    const end = this.text.indexOf(']', start)
    if (end < 0) this.fail(`unterminated attribute reference at ${start}`)
    this.pos = end + 1
    const path = this.text.slice(start, end).trim()
    if (path === '') this.fail(`empty attribute reference at ${start}`)
    return path
  }

  private number (): number {
    const m = /^-?\d+/.exec(this.text.slice(this.pos))
    if (m === null) return this.fail(`expected a number at ${this.pos + 1}`)
    this.pos += m[0].length
    return Number(m[0])
  }
}
