// YAML configuration text: parse through yaml's Document API (comments kept), list the string
// scalars with their source ranges, and rewrite single values in place. Edits splice the source
// text at the scalar's range, so comments, quoting and spacing elsewhere stay byte-for-byte; only
// when a path does not exist yet does the Document add it (yaml keeps the comments then, too).
import { isMap, isPair, isScalar, isSeq, parseDocument, type Document, type Node } from 'yaml'
import type { JsonPrimitive, JsonValue } from '../scim/types.ts'
import type { ConfigProblem } from './errors.ts'
import type { StringToken } from './json-source.ts'
import { lineColumn, spliceText } from './json-source.ts'
import type { PathSegment } from './path.ts'

export interface ParsedYaml {
  doc: Document
  value: JsonValue
  /** String scalars (values, not keys) with their source range. */
  strings: StringToken[]
  problems: ConfigProblem[]
}

/** Parses YAML text; syntax errors come back as problems with line:column. */
export function parseYamlWithPositions (text: string): ParsedYaml {
  const doc = parseDocument(text, { prettyErrors: false, uniqueKeys: true })
  const problems: ConfigProblem[] = doc.errors.map(e => {
    const { line, column } = lineColumn(text, e.pos[0])
    const where = ` at line ${line}:${column}`
    return { path: '', message: `YAML syntax error${where}: ${firstLine(e.message)}` }
  })
  if (problems.length > 0) return { doc, value: null, strings: [], problems }
  const value = toJson(doc.toJS({ maxAliasCount: 100 }))
  if (value === undefined) return { doc, value: null, strings: [], problems: [{ path: '', message: 'YAML holds a value that is not plain JSON data (dates, binary, …)' }] }
  const strings: StringToken[] = []
  collect(doc.contents, [], strings)
  return { doc, value, strings, problems }
}

/** The YAML source text of a scalar: strings double-quoted (JSON escapes are valid YAML). */
export function yamlScalarText (value: JsonPrimitive): string {
  return typeof value === 'string' ? JSON.stringify(value) : String(value)
}

/**
 * Replaces the scalar tokens at the given ranges of YAML text with new values. A block scalar
 * (`|`, `>`) is replaced by a quoted one on the same line; its trailing newline is kept.
 */
export function spliceYamlScalars (text: string, edits: ReadonlyArray<{ start: number, end: number, value: JsonPrimitive }>): string {
  return spliceText(text, edits.map(e => {
    const old = text.slice(e.start, e.end)
    return { start: e.start, end: e.end, text: yamlScalarText(e.value) + (old.endsWith('\n') ? '\n' : '') }
  }))
}

/**
 * Sets one value in YAML text, keeping comments and formatting. Returns the new text.
 * @example setYamlValue(text, ['collector', 'do_initial_load'], false)
 */
export function setYamlValue (text: string, path: readonly PathSegment[], value: JsonPrimitive): string {
  const doc = parseDocument(text)
  if (doc.errors.length > 0) throw new Error(`cannot update YAML: ${firstLine(doc.errors[0]?.message ?? 'syntax error')}`)
  const node: unknown = doc.getIn(path, true)
  if (isScalar(node) && node.range !== undefined && node.range !== null) {
    return spliceYamlScalars(text, [{ start: node.range[0], end: node.range[1], value }])
  }
  doc.setIn(path, value)
  return doc.toString()
}

function collect (node: Node | null, path: PathSegment[], out: StringToken[]): void {
  if (node === null) return
  if (isMap(node)) {
    for (const item of node.items) {
      if (!isPair(item)) continue
      const key = isScalar(item.key) ? String(item.key.value) : String(item.key)
      if (item.value !== null && isNode(item.value)) collect(item.value, [...path, key], out)
    }
  } else if (isSeq(node)) {
    node.items.forEach((item, i) => { if (isNode(item)) collect(item, [...path, i], out) })
  } else if (isScalar(node) && typeof node.value === 'string' && node.range != null) {
    out.push({ path, value: node.value, start: node.range[0], end: node.range[1] })
  }
}

function isNode (v: unknown): v is Node {
  return isMap(v) || isSeq(v) || isScalar(v)
}

function toJson (v: unknown): JsonValue | undefined {
  if (v === null || typeof v === 'string' || typeof v === 'boolean') return v
  if (typeof v === 'number') return Number.isFinite(v) ? v : undefined
  if (Array.isArray(v)) {
    const out: JsonValue[] = []
    for (const el of v) { const j = toJson(el); if (j === undefined) return undefined; out.push(j) }
    return out
  }
  if (typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype) {
    const out: Record<string, JsonValue> = {}
    for (const [k, el] of Object.entries(v)) { const j = toJson(el); if (j === undefined) return undefined; out[k] = j }
    return out
  }
  return undefined
}

function firstLine (s: string): string {
  return s.split('\n')[0] ?? s
}
