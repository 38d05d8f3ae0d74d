// Lexer and recursive-descent parser of the stream-rule filter language.
//   filter     := '(.*)' | or
//   or         := and { 'or' and }
//   and        := unary { 'and' unary }
//   unary      := 'not' unary | '(' ( comparison | or ) ')'
//   comparison := path op string [ '-exclude' ] | path '-exclude' string
//   op         := -match | -notmatch | -cmatch | -cnotmatch
//   path       := segment { '.' segment },  segment := name | "quoted name" | name { ' ' word } (before a '.')
//               | [ 'user.' ] urn ':' name { '.' name }   (full-URN path: urn:…:enterprise:2.0:User:department)
// Keywords and operators are case-insensitive; precedence not > and > or. Strings are "double" or
// 'single' quoted; only the quote character itself (\" or \') is an escape, every other backslash is
// part of the regular expression (`"^\d+$"`). Regular expressions are JavaScript's (lookahead such as
// `^(?!Sync_).*` works) and are compiled here, once.
import { RuleSyntaxError, type RuleNode, type RuleOp, type RulePath } from './ast.ts'

/** Longest filter accepted (characters), and deepest nesting. */
export const MAX_RULE_LENGTH = 10000
const MAX_DEPTH = 64

type Tok =
  | { t: 'lp' | 'rp' | 'eof', pos: number }
  | { t: 'word', v: string, pos: number }
  | { t: 'op', v: string, pos: number }
  | { t: 'str', v: string, pos: number }
  | { t: 'path', segments: string[], text: string, pos: number }

/**
 * Parses a filter into a tree.
 * @throws RuleSyntaxError (`unexpected ")" at 17`, `invalid regular expression … at 20`)
 * @example parseRuleFilter('(user.groups.display -match "^Sales") and (user.department -match "IT")')
 */
export function parseRuleFilter (text: string): RuleNode {
  if (text.length > MAX_RULE_LENGTH) throw new RuleSyntaxError(`filter longer than ${MAX_RULE_LENGTH} characters`, 0)
  if (text.trim() === '(.*)') return { kind: 'all' }
  const p = new Parser(tokenize(text))
  if (p.peek().t === 'eof') throw new RuleSyntaxError('empty filter', 0)
  const node = p.or(0)
  const t = p.peek()
  if (t.t !== 'eof') throw new RuleSyntaxError(`unexpected ${describe(t)}`, t.pos)
  return node
}

function describe (t: Tok): string {
  switch (t.t) {
    case 'lp': return '"("'
    case 'rp': return '")"'
    case 'eof': return 'end of filter'
    case 'word': case 'op': return `"${t.v}"`
    case 'str': return `string "${t.v}"`
    case 'path': return `"${t.text}"`
  }
}

const OPS: ReadonlySet<string> = new Set(['-match', '-notmatch', '-cmatch', '-cnotmatch', '-exclude'])

class Parser {
  private i = 0
  constructor (private readonly toks: Tok[]) {}
  peek (): Tok { return this.toks[this.i] ?? { t: 'eof', pos: 0 } }
  next (): Tok { const t = this.peek(); if (t.t !== 'eof') this.i++; return t }
  isWord (w: string): boolean { const t = this.peek(); return (t.t === 'word' || t.t === 'path') && (t.t === 'word' ? t.v : t.text).toLowerCase() === w }

  or (depth: number): RuleNode {
    let left = this.and(depth)
    while (this.isWord('or')) { this.next(); left = { kind: 'or', left, right: this.and(depth) } }
    return left
  }

  and (depth: number): RuleNode {
    let left = this.unary(depth)
    while (this.isWord('and')) { this.next(); left = { kind: 'and', left, right: this.unary(depth) } }
    return left
  }

  unary (depth: number): RuleNode {
    if (depth > MAX_DEPTH) throw new RuleSyntaxError('filter nested too deeply', this.peek().pos)
    const t = this.peek()
    if (this.isWord('not')) { this.next(); return { kind: 'not', expr: this.unary(depth + 1), pos: t.pos } }
    if (t.t !== 'lp') throw new RuleSyntaxError(t.t === 'eof' ? '"(" expected, end of filter' : `"(" expected, found ${describe(t)}`, t.pos)
    this.next()
    const inner = this.peek()
    const node = inner.t === 'lp' || this.isWord('not') ? this.or(depth + 1) : this.comparison()
    const close = this.next()
    if (close.t !== 'rp') throw new RuleSyntaxError(close.t === 'eof' ? `")" expected for "(" at ${t.pos + 1}, end of filter` : `unexpected ${describe(close)}, ")" expected`, close.pos)
    return node
  }

  comparison (): RuleNode {
    const p = this.next()
    if (p.t !== 'path' && p.t !== 'word') throw new RuleSyntaxError(p.t === 'eof' ? 'attribute path expected, end of filter' : `attribute path expected, found ${describe(p)}`, p.pos)
    const path: RulePath = p.t === 'path' ? { segments: p.segments, text: p.text, pos: p.pos } : { segments: [p.v], text: p.v, pos: p.pos }
    const o = this.next()
    if (o.t !== 'op') throw new RuleSyntaxError(o.t === 'eof' ? 'operator expected (-match, -notmatch, -cmatch, -cnotmatch, -exclude), end of filter' : `operator expected (-match, -notmatch, -cmatch, -cnotmatch, -exclude), found ${describe(o)}`, o.pos)
    const opText = o.v.toLowerCase()
    if (!OPS.has(opText)) throw new RuleSyntaxError(`unknown operator "${o.v}" (-match, -notmatch, -cmatch, -cnotmatch, -exclude)`, o.pos)
    const s = this.next()
    if (s.t !== 'str') throw new RuleSyntaxError(`quoted regular expression expected after ${o.v}, found ${describe(s)}`, s.pos)
    let exclude = opText === '-exclude'
    const op: RuleOp = exclude ? 'match' : opText.slice(1) as RuleOp
    const mod = this.peek()
    if (mod.t === 'op' && mod.v.toLowerCase() === '-exclude') {
      if (exclude) throw new RuleSyntaxError('"-exclude" given twice', mod.pos)
      this.next()
      exclude = true
    }
    if (exclude && (op === 'notmatch' || op === 'cnotmatch')) throw new RuleSyntaxError('"-exclude" goes with -match or -cmatch', mod.pos)
    let regex: RegExp
    try {
      // `(?!Sync_.*)` as documented means "not starting with Sync_"; unanchored, a lookahead alone
      // would hold at some later position of almost any text, so a leading lookahead is anchored.
      const source = /^\(\?<?!/.test(s.v) ? `^(?:${s.v})` : s.v
      regex = new RegExp(source, op === 'cmatch' || op === 'cnotmatch' ? '' : 'i')
    } catch (err) {
      throw new RuleSyntaxError(`invalid regular expression "${s.v}": ${(err as Error).message.replace(/^Invalid regular expression: \/.*\/[a-z]*: /, '')}`, s.pos)
    }
    return { kind: 'compare', path, op, pattern: s.v, regex, exclude, ...(exclude && opText !== '-exclude' ? { qualifies: true } : {}), pos: p.pos }
  }
}

function tokenize (text: string): Tok[] {
  const toks: Tok[] = []
  let i = 0
  const n = text.length
  const readString = (q: string): string => {
    const start = i
    i++
    let v = ''
    for (;;) {
      if (i >= n) throw new RuleSyntaxError('unterminated string', start)
      const c = text[i] as string
      if (c === '\\' && text[i + 1] === q) { v += q; i += 2; continue }
      if (c === q) { i++; return v }
      v += c
      i++
    }
  }
  while (i < n) {
    const c = text[i] as string
    if (/\s/.test(c)) { i++; continue }
    const pos = i
    if (c === '(') { toks.push({ t: 'lp', pos }); i++ } else if (c === ')') { toks.push({ t: 'rp', pos }); i++ } else if (c === '"' || c === '\'') {
      toks.push({ t: 'str', v: readString(c), pos })
    } else if (c === '-' && /[A-Za-z]/.test(text[i + 1] ?? '')) {
      const m = /^-[A-Za-z_]+/.exec(text.slice(i)) as RegExpExecArray
      toks.push({ t: 'op', v: m[0], pos })
      i += m[0].length
    } else if (URN_PATH.test(text.slice(i, i + 9))) {
      const m = /^[^\s()"']+/.exec(text.slice(i)) as RegExpExecArray
      toks.push({ t: 'path', segments: urnSegments(m[0], pos), text: m[0], pos })
      i += m[0].length
    } else {
      // A path: segments separated by dots, each a name or a quoted name.
      const segments: string[] = []
      for (;;) {
        const d = text[i]
        if (d === '"' || d === '\'') segments.push(readString(d))
        else {
          const m = /^[^\s()."'.]+/.exec(text.slice(i))
          if (m === null) throw new RuleSyntaxError(`unexpected "${d ?? ''}"`, i)
          i += m[0].length
          // A name with spaces, unquoted, as documented (`user.roles.Entra Application Test.value`): the
          // words go on while the path does (a "." follows them), never into an operator or keyword.
          const spaced = segments.length > 0 ? SPACED_WORDS.exec(text.slice(i)) : null
          if (spaced !== null && !/\s(and|or|not)(\s|$)/i.test(spaced[1] ?? '')) {
            segments.push(m[0] + (spaced[1] ?? '').replace(/\s+/g, ' '))
            i += (spaced[1] ?? '').length
          } else segments.push(m[0])
        }
        if (text[i] === '.') { i++; continue }
        break
      }
      const raw = text.slice(pos, i)
      if (segments.length === 1 && /^(and|or|not)$/i.test(raw)) toks.push({ t: 'word', v: raw, pos })
      else toks.push({ t: 'path', segments, text: raw, pos })
    }
  }
  toks.push({ t: 'eof', pos: n })
  return toks
}

/** Space-separated words (none starting with "-" or a quote) that end where the path goes on with ".". */
const SPACED_WORDS = /^((?:[ \t]+[^\s()."'\-][^\s()."']*)+)(?=\.)/

/** A full-URN attribute path, with or without `user.` in front. */
const URN_PATH = /^(user\.)?urn:/i
const CORE_USER = 'urn:ietf:params:scim:schemas:core:2.0:user'

/**
 * `[user.]<schema URN>:<attr>[.<sub>…]` → `user`, the URN, the attribute names: the same segments as
 * `user."<schema URN>".attr.sub`, so it reads the extension object the mapper writes
 * (`urn:…:enterprise:2.0:User:manager.value` → user[urn].manager.value). The attribute starts after
 * the URN's last colon (a URN may itself contain dots: `…:2.0:User`). Core-schema URNs address the
 * top-level attribute (`urn:…:core:2.0:User:userName` = `user.userName`).
 */
function urnSegments (raw: string, pos: number): string[] {
  const path = raw.replace(/^user\./i, '')
  const colon = path.lastIndexOf(':')
  const urn = path.slice(0, colon)
  const names = path.slice(colon + 1).split('.')
  if (urn.indexOf(':', 4) < 0 || names.some(n => n === '')) {
    throw new RuleSyntaxError(`"${raw}" is not a schema URN followed by an attribute (urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department)`, pos)
  }
  return urn.toLowerCase() === CORE_USER ? ['user', ...names] : ['user', urn, ...names]
}
