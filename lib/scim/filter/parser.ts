// Recursive-descent parser for SCIM filters (RFC 7644 §3.4.2.2) and PATCH / attribute paths
// (RFC 7644 §3.5.2, §3.9). Precedence: not > and > or; and/or are left-associative.
// Accepts what real identity providers send besides the RFC grammar: case-insensitive keywords,
// unquoted values (`userName sw O`, `meta.created gt 2015-10-10T14:38:21.8617979-07:00`), odd
// attribute-name casing, `not x eq y` without parentheses, and `emails[type eq "work"].value eq "x"`
// (not RFC filter grammar) which is read as `emails[type eq "work" and value eq "x"]`.
// Input length and nesting depth are bounded, so parsing never recurses deeply nor runs long.
import { InvalidFilterError, InvalidPathError, type ScimError } from '../errors.ts'
import type { AttrPath, CompareOp, FilterNode, FilterValue, PatchPath } from './ast.ts'
import { LexError, tokenize, type Token } from './lexer.ts'

/** Longest filter / path text accepted (characters). */
export const MAX_FILTER_LENGTH = 65536
/** Deepest nesting of parentheses, `not` and value filters accepted. */
export const MAX_FILTER_DEPTH = 64

export interface PathOptions {
  /**
   * Schema URNs known to the caller (core and extensions). A path equal to one of them is the whole
   * schema (`{ uri, attr: '' }`); a path starting with one of them plus ':' is qualified by it. Without
   * this list the split is guessed (see {@link parseAttrPath}).
   */
  schemaUris?: readonly string[]
}

const OPS: ReadonlySet<string> = new Set(['eq', 'ne', 'co', 'sw', 'ew', 'gt', 'ge', 'lt', 'le'])
const NAME = /^[A-Za-z_$][A-Za-z0-9_$-]*$/
const NUMBER = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/
const VERSION = /^\d+(?:\.\d+)*$/
const WHOLE_URN = /^urn:[^:\s]+(?::[^:\s]+)+$/i

type Mode = 'filter' | 'path'

/**
 * Parses a SCIM filter into a syntax tree.
 * @throws InvalidFilterError (400, invalidFilter) with the position of the problem; never anything else.
 * @example
 * parseFilter('userName eq "bjensen" and emails[type eq "work"]')
 */
export function parseFilter (text: string): FilterNode {
  const p = start(text, 'filter', undefined)
  const node = p.parseOr(false)
  p.expectEnd()
  return node
}

/**
 * Parses an attribute path `[uri:]attr[.sub]` (as in `attributes=`, `sortBy`).
 * A schema URN alone (`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User`) gives
 * `{ uri, attr: '' }`. Without `options.schemaUris`, a path is taken as a whole URN when its last
 * segment is not an attribute name (`...:enterprise:1.0`) or is capitalised and follows a version
 * segment (`...:2.0:User`).
 * @throws InvalidPathError (400, invalidPath)
 */
export function parseAttrPath (text: string, options?: PathOptions): AttrPath {
  const p = start(text, 'path', options)
  const t = p.next()
  if (t.kind !== 'word') throw p.fail(`Expected attribute path but found ${describe(t)} at position ${t.pos}`)
  const path = p.attrPath(t)
  p.expectEnd()
  return path
}

/**
 * Parses a PATCH path: `attrPath`, `attrPath[valFilter]` or `attrPath[valFilter].subAttr`, e.g.
 * `members[value eq "x"]`, `emails[type eq "work"].value`, `name.givenName`,
 * `urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value`.
 * Paths inside the value filter are relative to the elements of the multi-valued attribute.
 * @throws InvalidPathError (400, invalidPath) — also when the value filter is malformed.
 */
export function parsePatchPath (text: string, options?: PathOptions): PatchPath {
  const p = start(text, 'path', options)
  const t = p.next()
  if (t.kind !== 'word') throw p.fail(`Expected attribute path but found ${describe(t)} at position ${t.pos}`)
  const path = p.attrPath(t)
  const result: PatchPath = { path }
  if (p.peek().kind === '[') {
    const open = p.next()
    if (path.sub !== undefined || path.attr === '') throw p.fail(`Value filter not allowed after "${t.text}" at position ${open.pos}`)
    p.enter(open)
    result.filter = p.parseOr(true)
    p.close(']', open)
    const after = p.peek()
    if (after.kind === 'word' && after.text.startsWith('.')) {
      p.next()
      result.subAttr = p.subName(after)
    }
  }
  p.expectEnd()
  return result
}

function start (text: string, mode: Mode, options: PathOptions | undefined): Parser {
  const what = mode === 'filter' ? 'Filter' : 'Path'
  const Err = mode === 'filter' ? InvalidFilterError : InvalidPathError
  if (typeof text !== 'string') throw new Err(`${what} must be a string`)
  if (text.length > MAX_FILTER_LENGTH) throw new Err(`${what} is too long (${text.length} characters, maximum ${MAX_FILTER_LENGTH})`)
  if (text.trim() === '') throw new Err(`Empty ${what.toLowerCase()}`)
  let tokens: Token[]
  try {
    tokens = tokenize(text)
  } catch (e) {
    if (e instanceof LexError) throw new Err(`${e.message} at position ${e.pos} in ${what.toLowerCase()}: ${excerpt(text)}`)
    throw new Err(`Cannot read ${what.toLowerCase()}: ${excerpt(text)}`)
  }
  return new Parser(text, tokens, mode, options?.schemaUris)
}

class Parser {
  private i = 0
  private depth = 0
  private readonly text: string
  private readonly tokens: Token[]
  private readonly mode: Mode
  private readonly schemaUris: readonly string[] | undefined

  constructor (text: string, tokens: Token[], mode: Mode, schemaUris: readonly string[] | undefined) {
    this.text = text
    this.tokens = tokens
    this.mode = mode
    this.schemaUris = schemaUris
  }

  fail (message: string): ScimError {
    const detail = `${message} in ${this.mode}: ${excerpt(this.text)}`
    return this.mode === 'filter' ? new InvalidFilterError(detail) : new InvalidPathError(detail)
  }

  peek (k = 0): Token {
    // the eof token repeats forever, so lookahead past the end is safe
    return this.tokens[Math.min(this.i + k, this.tokens.length - 1)] as Token
  }

  next (): Token {
    const t = this.peek()
    if (this.i < this.tokens.length - 1) this.i++
    return t
  }

  enter (t: Token): void {
    if (++this.depth > MAX_FILTER_DEPTH) throw this.fail(`Nesting deeper than ${MAX_FILTER_DEPTH} levels at position ${t.pos}`)
  }

  close (kind: ')' | ']', open: Token): void {
    const t = this.next()
    if (t.kind !== kind) {
      if (t.kind === 'eof') throw this.fail(`Missing "${kind}" for "${open.text}" at position ${open.pos}`)
      throw this.fail(`Expected "${kind}" but found ${describe(t)} at position ${t.pos}`)
    }
    this.depth--
  }

  expectEnd (): void {
    const t = this.peek()
    if (t.kind === 'eof') return
    if (t.kind === ')' || t.kind === ']') throw this.fail(`Unbalanced "${t.text}" at position ${t.pos}`)
    throw this.fail(`Unexpected token ${describe(t)} at position ${t.pos}`)
  }

  parseOr (inValuePath: boolean): FilterNode {
    let left = this.parseAnd(inValuePath)
    while (isKeyword(this.peek(), 'or')) {
      this.next()
      left = { type: 'or', left, right: this.parseAnd(inValuePath) }
    }
    return left
  }

  private parseAnd (inValuePath: boolean): FilterNode {
    let left = this.parseUnary(inValuePath)
    while (isKeyword(this.peek(), 'and')) {
      this.next()
      left = { type: 'and', left, right: this.parseUnary(inValuePath) }
    }
    return left
  }

  private parseUnary (inValuePath: boolean): FilterNode {
    const t = this.peek()
    if (t.kind === '(') {
      this.next()
      this.enter(t)
      const e = this.parseOr(inValuePath)
      this.close(')', t)
      return e
    }
    if (isKeyword(t, 'not')) {
      const after = this.peek(1)
      // `not` is an attribute name only when an operator follows it (`not eq "x"`)
      if (after.kind === '(' || (after.kind === 'word' && !isOperator(after))) {
        this.next()
        // `not (...)` is one level: the parenthesis counts it
        const bare = after.kind !== '('
        if (bare) this.enter(t)
        const expr = this.parseUnary(inValuePath)
        if (bare) this.depth--
        return { type: 'not', expr }
      }
    }
    return this.parseAttrExp(inValuePath)
  }

  private parseAttrExp (inValuePath: boolean): FilterNode {
    const t = this.next()
    if (t.kind !== 'word') {
      if (t.kind === 'eof') throw this.fail(`Missing expression at end of ${this.mode} (position ${t.pos})`)
      throw this.fail(`Expected attribute path but found ${describe(t)} at position ${t.pos}`)
    }
    if ((isKeyword(t, 'and') || isKeyword(t, 'or')) && !isOperator(this.peek()) && this.peek().kind !== '[') {
      throw this.fail(`Missing operand before "${t.text}" at position ${t.pos}`)
    }
    const path = this.attrPath(t)
    if (this.peek().kind === '[') {
      const open = this.next()
      if (inValuePath) throw this.fail(`Nested value filter at position ${open.pos}`)
      if (path.sub !== undefined || path.attr === '') throw this.fail(`Value filter not allowed after "${t.text}" at position ${open.pos}`)
      this.enter(open)
      const inner = this.parseOr(true)
      this.close(']', open)
      const after = this.peek()
      if (after.kind === 'word' && after.text.startsWith('.')) {
        // lenient: `emails[type eq "work"].value eq "x"` = `emails[type eq "work" and value eq "x"]`
        this.next()
        const cmp = this.comparison({ attr: this.subName(after) }, after)
        return { type: 'valuePath', path, filter: { type: 'and', left: inner, right: cmp } }
      }
      return { type: 'valuePath', path, filter: inner }
    }
    return this.comparison(path, t)
  }

  private comparison (path: AttrPath, pathToken: Token): FilterNode {
    const opTok = this.next()
    if (opTok.kind !== 'word') {
      throw this.fail(`Missing operator after "${pathToken.text}" at position ${opTok.pos}`)
    }
    const op = opTok.text.toLowerCase()
    if (op === 'pr') {
      const v = this.peek()
      if (v.kind === 'string' || (v.kind === 'word' && !isKeyword(v, 'and') && !isKeyword(v, 'or'))) {
        throw this.fail(`Operator "pr" takes no value, found ${describe(v)} at position ${v.pos}`)
      }
      return { type: 'present', path }
    }
    if (!OPS.has(op)) throw this.fail(`Unknown operator "${opTok.text}" at position ${opTok.pos}`)
    const v = this.next()
    let value: FilterValue
    if (v.kind === 'string') value = v.value
    else if (v.kind === 'word' && !isKeyword(v, 'and') && !isKeyword(v, 'or')) value = literal(v.text)
    else throw this.fail(`Missing value after operator "${opTok.text}" at position ${v.pos}`)
    if (value === null && op !== 'eq' && op !== 'ne') {
      throw this.fail(`Operator "${opTok.text}" cannot compare with null at position ${v.pos}`)
    }
    return { type: 'compare', path, op: op as CompareOp, value }
  }

  /** `.name` after a value filter. */
  subName (t: Token): string {
    const name = t.text.slice(1)
    if (!NAME.test(name)) throw this.fail(`Invalid sub-attribute "${t.text}" at position ${t.pos}`)
    return name
  }

  attrPath (t: Token): AttrPath {
    const path = splitPath(t.text, this.schemaUris)
    if (path === undefined) throw this.fail(`Invalid attribute path "${t.text}" at position ${t.pos}`)
    return path
  }
}

/** `[uri:]attr[.sub]` → AttrPath, or undefined when malformed. */
function splitPath (s: string, schemaUris: readonly string[] | undefined): AttrPath | undefined {
  if (schemaUris !== undefined) {
    const ls = s.toLowerCase()
    for (const uri of schemaUris) {
      const lu = uri.toLowerCase()
      if (ls === lu) return { uri: s, attr: '' }
      if (ls.startsWith(lu) && ls.charCodeAt(lu.length) === 58) return withUri(s.slice(0, lu.length), s.slice(lu.length + 1))
    }
  }
  const colon = s.lastIndexOf(':')
  if (colon < 0) return names(s)
  const uri = s.slice(0, colon)
  const rest = s.slice(colon + 1)
  const path = withUri(uri, rest)
  const lastSeg = uri.slice(uri.lastIndexOf(':') + 1)
  const looksWhole = path === undefined || (VERSION.test(lastSeg) && !rest.includes('.') && /^[A-Z]/.test(rest))
  if (looksWhole) return WHOLE_URN.test(s) ? { uri: s, attr: '' } : undefined
  return path
}

function withUri (uri: string, rest: string): AttrPath | undefined {
  if (uri === '') return undefined
  const p = names(rest)
  if (p === undefined) return undefined
  return p.sub === undefined ? { uri, attr: p.attr } : { uri, attr: p.attr, sub: p.sub }
}

function names (s: string): AttrPath | undefined {
  const dot = s.indexOf('.')
  if (dot < 0) return NAME.test(s) ? { attr: s } : undefined
  const attr = s.slice(0, dot)
  const sub = s.slice(dot + 1)
  return NAME.test(attr) && NAME.test(sub) ? { attr, sub } : undefined
}

/** An unquoted value: true/false/null (any case), a JSON number, else the text itself as a string. */
function literal (w: string): FilterValue {
  const l = w.toLowerCase()
  if (l === 'true') return true
  if (l === 'false') return false
  if (l === 'null') return null
  if (NUMBER.test(w)) {
    const n = Number(w)
    if (Number.isFinite(n)) return n
  }
  return w
}

function isKeyword (t: Token, kw: string): boolean {
  return t.kind === 'word' && t.text.length === kw.length && t.text.toLowerCase() === kw
}

function isOperator (t: Token): boolean {
  if (t.kind !== 'word') return false
  const l = t.text.toLowerCase()
  return l === 'pr' || OPS.has(l)
}

function describe (t: Token): string {
  if (t.kind === 'eof') return 'end of input'
  const s = t.text.length > 40 ? `${t.text.slice(0, 40)}…` : t.text
  return JSON.stringify(s)
}

function excerpt (text: string): string {
  return text.length > 200 ? `${text.slice(0, 200)}… (${text.length} characters)` : text
}
