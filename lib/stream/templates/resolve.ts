// Resolves every template string inside a message user (and its onCreate attributes) to the value
// to write. Two passes: templates that need no endpoint first, then GetUniqueValue/Increment
// templates, whose `[refs]` then already see the evaluated pure values.
//
// Idempotence: a GetUniqueValue/Increment value is generated once. When the endpoint user already
// holds a value at the same place (same attribute; for multi-valued attributes the element of the
// same `type`), that value is kept instead of generating another one — so re-applying a message, or
// a later modify carrying the same template, changes nothing.
import { isJsonObject, type JsonObject, type JsonValue } from '../../scim/types.ts'
import { looksLikeTemplate, needsEndpoint, parseTemplate, type TemplateNode } from './parse.ts'
import { evaluateTemplate, type TemplateEndpoint } from './evaluate.ts'

export interface ResolveOptions {
  /** Endpoint for GetUniqueValue/Increment; without it such templates are an error. */
  endpoint?: TemplateEndpoint
  /** The endpoint's current user (on update): generated values it already holds are kept. */
  current?: JsonObject
}

type Seg = string | number

/**
 * A copy of `user` with template strings replaced by their values (attributes whose template
 * yields no value are dropped). Attributes under `onCreate` are addressed without the `onCreate`
 * prefix (`onCreate.emails[0].value` has target `emails.value`).
 * @throws TemplateError (a PermanentMessageError) for a malformed template
 * @example await resolveTemplates({ userName: 'jdoe', nickName: 'LowerCase([userName])' }, {})
 */
export async function resolveTemplates (user: JsonObject, opts: ResolveOptions = {}): Promise<JsonObject> {
  // most messages hold no template: one allocation-free scan instead of two copying walks
  if (!containsTemplate(user)) return { ...user }
  const pure = await walkObject(user, [], user, opts, false)
  return await walkObject(pure, [], pure, opts, true)
}

/** True when some string in the value is a template. */
export function containsTemplate (v: JsonValue | undefined): boolean {
  if (typeof v === 'string') return v.includes('(') && looksLikeTemplate(v)
  if (Array.isArray(v)) {
    for (const x of v) if (containsTemplate(x)) return true
    return false
  }
  if (isJsonObject(v)) {
    for (const k in v) if (containsTemplate(v[k])) return true
  }
  return false
}

async function walkObject (obj: JsonObject, at: Seg[], refs: JsonObject, opts: ResolveOptions, endpointPass: boolean): Promise<JsonObject> {
  const out: JsonObject = {}
  for (const [key, value] of Object.entries(obj)) {
    const v = await walkValue(value, [...at, key], refs, opts, endpointPass)
    if (v !== undefined) out[key] = v
  }
  return out
}

async function walkValue (value: JsonValue | undefined, at: Seg[], refs: JsonObject, opts: ResolveOptions, endpointPass: boolean): Promise<JsonValue | undefined> {
  if (Array.isArray(value)) {
    const out: JsonValue[] = []
    for (let i = 0; i < value.length; i++) {
      const v = await walkValue(value[i], [...at, i], refs, opts, endpointPass)
      if (v !== undefined) out.push(v)
    }
    return out
  }
  if (isJsonObject(value)) return await walkObject(value, at, refs, opts, endpointPass)
  if (typeof value !== 'string' || !looksLikeTemplate(value)) return value
  const node: TemplateNode = parseTemplate(value)
  if (needsEndpoint(node) !== endpointPass) return value
  const segs = at[0] === 'onCreate' ? at.slice(1) : at
  if (endpointPass && opts.current !== undefined) {
    const kept = currentValueAt(opts.current, refs, at, segs)
    if (kept !== undefined) return kept
  }
  const ctx = { user: refs, target: targetPath(segs), ...(opts.endpoint !== undefined ? { endpoint: opts.endpoint } : {}) }
  return await evaluateTemplate(node, ctx, value)
}

/** `emails[0].value` → `emails.value`; `urn:…:User.employeeNumber` → `urn:…:User:employeeNumber`. */
export function targetPath (segs: readonly Seg[]): string {
  const names = segs.filter((s): s is string => typeof s === 'string')
  const [head, ...rest] = names
  if (head === undefined) return ''
  if (head.toLowerCase().startsWith('urn:') && rest.length > 0) return `${head}:${rest.join('.')}`
  return names.join('.')
}

/** The value the endpoint user holds at the template's place, matching array elements by `type`. */
function currentValueAt (current: JsonObject, message: JsonObject, at: readonly Seg[], segs: readonly Seg[]): JsonValue | undefined {
  let cur: JsonValue | undefined = current
  let msg: JsonValue | undefined = message
  const msgStart = at.length - segs.length
  for (let i = 0; i < msgStart; i++) msg = step(msg, at[i])
  for (const seg of segs) {
    if (typeof seg === 'number') {
      const incoming = step(msg, seg)
      const type = isJsonObject(incoming) ? incoming.type : undefined
      if (!Array.isArray(cur)) return undefined
      cur = type === undefined ? cur[0] : cur.find(el => isJsonObject(el) && el.type === type)
      msg = incoming
      continue
    }
    cur = stepKey(cur, seg)
    msg = step(msg, seg)
  }
  return cur === null || cur === '' ? undefined : cur
}

function step (v: JsonValue | undefined, seg: Seg | undefined): JsonValue | undefined {
  if (seg === undefined) return undefined
  if (typeof seg === 'number') return Array.isArray(v) ? v[seg] : undefined
  return isJsonObject(v) ? v[seg] : undefined
}

function stepKey (v: JsonValue | undefined, key: string): JsonValue | undefined {
  if (!isJsonObject(v)) return undefined
  const k = Object.keys(v).find(x => x.toLowerCase() === key.toLowerCase())
  return k === undefined ? undefined : v[k]
}
