// Evaluation of a parsed template against the message user (for `[attr.path]` references) and, for
// GetUniqueValue and Increment, against the endpoint (TemplateEndpoint). Pure functions follow the
// collector's definitions so a template means the same on both sides.
//
// GetUniqueValue(base [, suffix]): the first of `base+suffix`, `base+"2"+suffix`, `base+"3"+suffix`,
//   … that no other endpoint user holds in the attribute the template is assigned to (compared with
//   SCIM `eq`, so case-insensitively for userName/emails). The numbering starts at 2 ("the second
//   jdoe"); the SCIM Stream product docs available to us do not state theirs — see FIRST_NUMBER.
// Increment([attr] [, start]): the next free integer of endpoint attribute `attr` (default: the
//   attribute the template is assigned to): 1 + the largest all-digit value any endpoint user holds,
//   at least `start` (default 1), zero-padded to the width of the largest value or of `start`.
// Increment(start, includeFirst) — the documented counter form, inside GetUniqueValue: the number
//   GetUniqueValue's attempt adds, from `start` up (zero-padded to its width); with includeFirst
//   false the first attempt has no number (`ann.lee`, `ann.lee01`, `ann.lee02`, …), with true it
//   starts at `start` (`lee01`, `lee02`, …). GetUniqueValue then varies only that counter.
import type { JsonObject, JsonValue } from '../../scim/types.ts'
import { isJsonObject } from '../../scim/types.ts'
import { TemplateError, type TemplateNode } from './parse.ts'
import { normalizeText } from './normalize.ts'

/** What GetUniqueValue and Increment ask of the endpoint. */
export interface TemplateEndpoint {
  /** True when an endpoint user other than the one being applied holds `value` in `attribute`. */
  isTaken: (attribute: string, value: string) => Promise<boolean>
  /** Every value of `attribute` held by endpoint users. */
  valuesOf: (attribute: string) => Promise<string[]>
}

/** Where a template is evaluated. */
export interface TemplateContext {
  /** The message user that `[attr.path]` references read. */
  user: JsonObject
  /** The SCIM attribute path the value is assigned to (`userName`, `emails.value`, `urn:…:employeeNumber`). */
  target: string
  /** Needed by GetUniqueValue and Increment; without it they are an error. */
  endpoint?: TemplateEndpoint
  /** GetUniqueValue's attempt (0 = first), read by the counter form of Increment. */
  attempt?: number
}

/** A value during evaluation. */
export type TemplateValue = string | number | boolean | undefined | TemplateValue[]

/** First number GetUniqueValue appends when the plain value is taken. */
export const FIRST_NUMBER = 2
/** GetUniqueValue gives up (permanent error) after this many candidates. */
export const MAX_CANDIDATES = 1000

/**
 * Evaluates a template to the value to write; `undefined` when a referenced attribute is missing.
 * @example await evaluateTemplate(parseTemplate('LowerCase([name.familyName])'), { user, target: 'nickName' }, text)
 */
export async function evaluateTemplate (node: TemplateNode, ctx: TemplateContext, text: string): Promise<string | number | boolean | undefined> {
  const v = await evaluate(node, ctx, text)
  return first(v)
}

async function evaluate (node: TemplateNode, ctx: TemplateContext, text: string): Promise<TemplateValue> {
  switch (node.kind) {
    case 'string': return node.value
    case 'number': return node.value
    case 'boolean': return node.value
    case 'ref': return readPath(ctx.user, node.path)
    case 'call': break
  }
  const fail = (problem: string): never => { throw new TemplateError(text, `${node.name}: ${problem}`) }
  if (node.name === 'Increment') return isCounter(node) ? counter(node.args, ctx, fail) : await increment(node.args, ctx, text, fail)
  if (node.name === 'GetUniqueValue' && node.args[0] !== undefined && hasCounter(node.args[0])) return await uniqueByCounter(node.args, ctx, text, fail)
  const args: TemplateValue[] = []
  for (const a of node.args) args.push(await evaluate(a, ctx, text))
  switch (node.name) {
    case 'Join': {
      const sep = str(args[0]) ?? ''
      return args.slice(1).flatMap(flatten).filter(v => v !== undefined && v !== '').map(String).join(sep)
    }
    case 'Normalize': return mapSource(args[0], normalizeText)
    case 'LowerCase': return mapSource(args[0], s => s.toLowerCase())
    case 'UpperCase': return mapSource(args[0], s => s.toUpperCase())
    case 'FirstN': {
      const n = int(args[1]) ?? fail('n must be an integer')
      return mapSource(args[0], s => n <= 0 ? '' : [...s].slice(0, n).join(''))
    }
    case 'ElementNumber': {
      const n = int(args[1]) ?? fail('n must be an integer')
      const src = args[0]
      const sep = str(args[2])
      const list = typeof src === 'string' && sep !== undefined && sep !== '' ? src.split(sep) : flatten(src)
      return list[n < 0 ? list.length + n : n - 1]
    }
    case 'Replace': {
      const from = str(args[1]) ?? ''
      const to = str(args[2]) ?? ''
      return mapSource(args[0], s => from === '' ? s : s.split(from).join(to))
    }
    case 'GetUniqueValue': {
      const base = str(first(args[0]))
      if (base === undefined || base === '') return undefined
      const suffix = str(first(args[1])) ?? ''
      const endpoint = ctx.endpoint ?? fail('needs the endpoint')
      for (let i = 0; i < MAX_CANDIDATES; i++) {
        const candidate = i === 0 ? base + suffix : `${base}${FIRST_NUMBER + i - 1}${suffix}`
        if (!await endpoint.isTaken(ctx.target, candidate)) return candidate
      }
      return fail(`no unique value for ${ctx.target} after ${MAX_CANDIDATES} candidates`)
    }
  }
  return undefined
}

/** `Increment(start, true|false)`: the documented counter form. */
function isCounter (node: Extract<TemplateNode, { kind: 'call' }>): boolean {
  return node.args.length === 2 && node.args[1]?.kind === 'boolean' && node.args[0]?.kind !== 'ref'
}

function hasCounter (node: TemplateNode): boolean {
  return node.kind === 'call' && ((node.name === 'Increment' && isCounter(node)) || node.args.some(hasCounter))
}

function counter (args: TemplateNode[], ctx: TemplateContext, fail: (p: string) => never): string {
  const a = args[0]
  const startText = a?.kind === 'string' ? a.value : a?.kind === 'number' ? String(a.value) : ''
  if (!/^\d+$/.test(startText)) fail(`start must be a non-negative integer, got ${JSON.stringify(startText)}`)
  const includeFirst = args[1]?.kind === 'boolean' && args[1].value
  const attempt = ctx.attempt ?? 0
  if (!includeFirst && attempt === 0) return ''
  return (BigInt(startText) + BigInt(includeFirst ? attempt : attempt - 1)).toString().padStart(startText.length, '0')
}

/** GetUniqueValue over a base with a counter: the first attempt's value no other endpoint user holds. */
async function uniqueByCounter (args: TemplateNode[], ctx: TemplateContext, text: string, fail: (p: string) => never): Promise<TemplateValue> {
  const endpoint = ctx.endpoint ?? fail('needs the endpoint')
  for (let attempt = 0; attempt < MAX_CANDIDATES; attempt++) {
    const at = { ...ctx, attempt }
    const base = str(first(await evaluate(args[0] as TemplateNode, at, text)))
    if (base === undefined || base === '') return undefined
    const candidate = base + (str(first(args[1] === undefined ? undefined : await evaluate(args[1], at, text))) ?? '')
    if (!await endpoint.isTaken(ctx.target, candidate)) return candidate
  }
  return fail(`no unique value for ${ctx.target} after ${MAX_CANDIDATES} candidates`)
}

async function increment (args: TemplateNode[], ctx: TemplateContext, text: string, fail: (p: string) => never): Promise<string> {
  let attribute = ctx.target
  let rest = args
  if (args[0]?.kind === 'ref') { attribute = args[0].path; rest = args.slice(1) }
  if (rest.length > 1) fail('takes an attribute reference and a start value')
  const startRaw = rest[0] === undefined ? undefined : first(await evaluate(rest[0], ctx, text))
  const startText = startRaw === undefined ? '1' : String(startRaw)
  if (!/^\d+$/.test(startText)) fail(`start must be a non-negative integer, got ${JSON.stringify(startText)}`)
  const endpoint = ctx.endpoint ?? fail('needs the endpoint')
  let max = -1n
  let width = startText.length
  for (const v of await endpoint.valuesOf(attribute)) {
    if (!/^\d+$/.test(v)) continue
    const n = BigInt(v)
    if (n > max) { max = n; width = Math.max(width, v.length) }
  }
  const next = max + 1n > BigInt(startText) ? max + 1n : BigInt(startText)
  return next.toString().padStart(width, '0')
}

/**
 * Reads `[attr.path]` from the message user: case-insensitive names, `urn:…:attr` for extensions,
 * multi-valued attributes give the list of their elements' values.
 */
export function readPath (user: JsonObject, path: string): TemplateValue {
  let node: JsonValue | undefined = user
  let rest = path
  if (path.toLowerCase().startsWith('urn:')) {
    const key = Object.keys(user).filter(k => path.toLowerCase().startsWith(k.toLowerCase() + ':')).sort((a, b) => b.length - a.length)[0]
    if (key === undefined) return undefined
    node = user[key]
    rest = path.slice(key.length + 1)
  }
  return walk(node, rest.split('.').filter(s => s !== ''))
}

function walk (node: JsonValue | undefined, parts: string[]): TemplateValue {
  if (node === undefined || node === null) return undefined
  if (Array.isArray(node)) return node.map(el => walk(el, parts))
  const [head, ...tail] = parts
  if (head === undefined) return isJsonObject(node) ? undefined : node
  if (!isJsonObject(node)) return undefined
  const key = Object.keys(node).find(k => k.toLowerCase() === head.toLowerCase())
  return key === undefined ? undefined : walk(node[key], tail)
}

function flatten (v: TemplateValue): Array<string | number | boolean | undefined> {
  return Array.isArray(v) ? v.flatMap(flatten) : [v]
}

function first (v: TemplateValue): string | number | boolean | undefined {
  return flatten(v).find(x => x !== undefined)
}

function str (v: TemplateValue): string | undefined {
  const f = first(v)
  return f === undefined ? undefined : String(f)
}

function int (v: TemplateValue): number | undefined {
  const f = first(v)
  const n = typeof f === 'number' ? f : typeof f === 'string' && /^-?\d+$/.test(f.trim()) ? Number(f) : NaN
  return Number.isInteger(n) ? n : undefined
}

/** Applies a string function to the source value; a missing source stays missing. */
function mapSource (v: TemplateValue, f: (s: string) => string): TemplateValue {
  const s = str(v)
  return s === undefined ? undefined : f(s)
}
