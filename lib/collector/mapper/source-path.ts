// Source attribute paths of the mapper: parse once, read many.
// Grammar (whitespace allowed around selectors and inside the -most_current group):
//   path     := head ( '.' step | selector )*
//   head     := '(' path '-most_current' string [string] ')' | step
//   step     := key | selector
//   selector := '[' ( ['-'] digits | json-object ) ']'
//   key      := one or more characters other than . [ ] ( ) " whitespace
// `employmentNav.results.[0].jobInfoNav.results.[0].jobTitle` and `results[0]` are both accepted.
import { findKey } from '../../scim/filter/index.ts'
import { isJsonObject, type JsonObject, type JsonValue } from '../../scim/types.ts'
import { MapperSyntaxError, type PathStep, type SourcePath } from './ast.ts'
import { mostCurrent } from './hr-date.ts'

/**
 * Parses a source attribute path. `offset` is added to positions in errors (the path's place in a
 * larger expression).
 * @throws MapperSyntaxError
 * @example parseSourcePath('emails.[{"type":"work"}].value')
 */
export function parseSourcePath (text: string, offset = 0): SourcePath {
  const p = new PathParser(text, offset)
  const path = p.path()
  p.skipWs()
  if (!p.atEnd()) p.fail(`unexpected "${text[p.i] ?? ''}"`)
  return path
}

/**
 * Reads the value a path selects in `root`. Keys over an array map every element (flattening nested
 * arrays); the result is then an array, or undefined when nothing was found.
 * `memo` (one per source object) keeps -most_current choices, which several entries usually share.
 */
export function readSourcePath (root: JsonObject, path: SourcePath, now: Date, memo?: Map<string, JsonValue | undefined>): JsonValue | undefined {
  let cur: JsonValue | undefined = root
  for (const step of path.steps) {
    if (cur === undefined || cur === null) return undefined
    cur = applyStep(root, cur, step, now, memo)
  }
  return cur
}

function applyStep (root: JsonObject, cur: JsonValue, step: PathStep, now: Date, memo: Map<string, JsonValue | undefined> | undefined): JsonValue | undefined {
  switch (step.kind) {
    case 'key': {
      if (Array.isArray(cur)) {
        const out: JsonValue[] = []
        for (const e of cur) {
          const v = isJsonObject(e) ? getKey(e, step.name) : undefined
          if (v === undefined || v === null) continue
          if (Array.isArray(v)) out.push(...v)
          else out.push(v)
        }
        return out.length === 0 ? undefined : out
      }
      return isJsonObject(cur) ? getKey(cur, step.name) : undefined
    }
    case 'index': {
      if (!Array.isArray(cur)) return step.index === 0 || step.index === -1 ? cur : undefined
      const i = step.index < 0 ? cur.length + step.index : step.index
      return cur[i]
    }
    case 'match': {
      if (!Array.isArray(cur)) return isJsonObject(cur) && propsMatch(cur, step.props) ? cur : undefined
      for (const e of cur) if (isJsonObject(e) && propsMatch(e, step.props)) return e
      return undefined
    }
    case 'mostCurrent': {
      const key = step.memoKey
      if (memo?.has(key) === true) return memo.get(key)
      const list = readSourcePath(root, step.list, now, memo)
      const arr = Array.isArray(list) ? list : list === undefined || list === null ? [] : [list]
      const chosen = mostCurrent(arr, step.startField, step.endField, now)
      memo?.set(key, chosen)
      return chosen
    }
  }
}

function getKey (obj: JsonObject, name: string): JsonValue | undefined {
  const v = obj[name]
  if (v !== undefined) return v
  const k = findKey(obj, name)
  return k === undefined ? undefined : obj[k]
}

function propsMatch (e: JsonObject, props: JsonObject): boolean {
  for (const k in props) {
    const want = props[k]
    const got = getKey(e, k)
    if (!jsonEqual(got, want)) return false
  }
  return true
}

function jsonEqual (a: JsonValue | undefined, b: JsonValue | undefined): boolean {
  if (a === b) return true
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false
  return JSON.stringify(a) === JSON.stringify(b)
}

class PathParser {
  i = 0
  constructor (readonly text: string, readonly offset: number) {}

  atEnd (): boolean { return this.i >= this.text.length }
  fail (reason: string, at = this.i): never { throw new MapperSyntaxError(reason, at + this.offset) }
  skipWs (): void { while (this.i < this.text.length && /\s/.test(this.text[this.i] ?? '')) this.i++ }

  path (): SourcePath {
    const start = this.i
    const steps: PathStep[] = []
    this.skipWs()
    if (this.text[this.i] === '(') steps.push(this.mostCurrentGroup())
    else steps.push(this.step())
    for (;;) {
      const c = this.text[this.i]
      if (c === '.') {
        this.i++
        steps.push(this.step())
      } else if (c === '[') {
        steps.push(this.selector())
      } else {
        break
      }
    }
    return { text: this.text.slice(start, this.i).trim(), steps }
  }

  step (): PathStep {
    const c = this.text[this.i]
    if (c === '[') return this.selector()
    const start = this.i
    while (this.i < this.text.length && !/[.[\]()"\s]/.test(this.text[this.i] ?? '')) this.i++
    if (this.i === start) this.fail(this.atEnd() ? 'attribute name expected, end of text' : `unexpected "${c ?? ''}"`)
    return { kind: 'key', name: this.text.slice(start, this.i) }
  }

  selector (): PathStep {
    const open = this.i
    this.i++ // '['
    this.skipWs()
    let step: PathStep
    if (this.text[this.i] === '{') {
      const start = this.i
      this.skipJsonObject()
      let parsed: unknown
      try { parsed = JSON.parse(this.text.slice(start, this.i)) } catch { this.fail('invalid JSON object in selector', start) }
      if (!isJsonObject(parsed)) this.fail('selector must be a JSON object', start)
      step = { kind: 'match', props: parsed }
    } else {
      const m = /^-?\d+/.exec(this.text.slice(this.i))
      if (m === null) this.fail('index or JSON object expected in selector')
      step = { kind: 'index', index: Number(m[0]) }
      this.i += m[0].length
    }
    this.skipWs()
    if (this.text[this.i] !== ']') this.fail(`"]" expected for "[" at ${open + this.offset + 1}`)
    this.i++
    return step
  }

  skipJsonObject (): void {
    let depth = 0
    let inStr = false
    for (; this.i < this.text.length; this.i++) {
      const c = this.text[this.i]
      if (inStr) {
        if (c === '\\') this.i++
        else if (c === '"') inStr = false
      } else if (c === '"') inStr = true
      else if (c === '{' || c === '[') depth++
      else if (c === '}' || c === ']') {
        depth--
        if (depth === 0) { this.i++; return }
      }
    }
    this.fail('unterminated JSON object in selector')
  }

  mostCurrentGroup (): PathStep {
    const open = this.i
    this.i++ // '('
    const list = this.path()
    this.skipWs()
    const op = /^-most_current\b/i.exec(this.text.slice(this.i))
    if (op === null) this.fail(this.atEnd() ? '"-most_current" expected, end of text' : `"-most_current" expected, found "${this.text.slice(this.i, this.i + 12)}"`)
    this.i += op[0].length
    this.skipWs()
    const startField = this.string()
    this.skipWs()
    let endField = 'endDate'
    if (this.text[this.i] === '"') { endField = this.string(); this.skipWs() }
    if (this.text[this.i] !== ')') this.fail(`")" expected for "(" at ${open + this.offset + 1}`)
    this.i++
    return { kind: 'mostCurrent', list, startField, endField, memoKey: `${list.text}\u0000${startField}\u0000${endField}` }
  }

  string (): string {
    if (this.text[this.i] !== '"') this.fail('quoted field name expected')
    const start = this.i
    this.i++
    let out = ''
    while (this.i < this.text.length && this.text[this.i] !== '"') {
      if (this.text[this.i] === '\\') this.i++
      out += this.text[this.i] ?? ''
      this.i++
    }
    if (this.atEnd()) this.fail('unterminated string', start)
    this.i++
    return out
  }
}
