// Projection of resources for responses (RFC 7644 §3.4.2.5, §3.9; RFC 7643 §7 "returned"):
// `attributes` / `excludedAttributes` lists, including sub-attributes (`name.givenName`), extension
// paths (`urn:...:enterprise:2.0:User:department`, or the whole URN) and value filters
// (`emails[type eq "work"]`). A projection is compiled once and applied to many resources.
//
// Rules: `id`, `schemas`, `meta` and `returned: always` attributes are always present; `returned: never`
// never; `returned: request` only when named in `attributes`. Names are case-insensitive; the resource's
// own key spelling is kept. Attributes not in the schema (custom attributes) are returned by default and
// can be selected or excluded by name. With both lists, `attributes` selects first, then
// `excludedAttributes` removes from the selection.
import type { AttributeDef, JsonObject, JsonValue, ScimResource } from './types.ts'
import { isJsonObject } from './types.ts'
import type { ResourceSchema } from './schema/resolve.ts'
import { findSub } from './schema/resolve.ts'
import { SCHEMA_CORE_V1 } from './schema/definitions.ts'
import { compileFilter, parsePatchPath } from './filter/index.ts'

/** The `attributes` / `excludedAttributes` of a request. */
export interface ProjectionOptions {
  attributes?: readonly string[]
  excludedAttributes?: readonly string[]
}

/** A compiled projection: returns a new resource, never mutates its argument. */
export type Projector = (resource: ScimResource) => ScimResource

/**
 * Splits an `attributes` query value on commas that are not inside `[...]` value filters; trims and drops empties.
 * @example
 * parseAttributeList('emails[type eq "work" and value co ","],name.givenName') // ['emails[type eq "work" and value co ","]', 'name.givenName']
 */
export function parseAttributeList (text: string | undefined): string[] {
  if (text === undefined) return []
  const out: string[] = []
  let depth = 0
  let inString = false
  let cur = ''
  for (let i = 0; i < text.length; i++) {
    const ch = text[i] ?? ''
    if (inString) {
      if (ch === '\\') { cur += ch + (text[i + 1] ?? ''); i++; continue }
      if (ch === '"') inString = false
    } else if (ch === '"' && depth > 0) inString = true
    else if (ch === '[') depth++
    else if (ch === ']') depth = Math.max(0, depth - 1)
    else if (ch === ',' && depth === 0) { out.push(cur); cur = ''; continue }
    cur += ch
  }
  out.push(cur)
  return out.map(s => s.trim()).filter(s => s !== '')
}

/**
 * Compiles a projection for one resource type. Unparseable names are matched as plain top-level keys.
 * @example
 * const project = compileProjection({ attributes: ['userName', 'emails[type eq "work"].value'] }, coreResourceSchema('User'))
 * const page = resources.map(project)
 */
export function compileProjection (opts: ProjectionOptions, schema: ResourceSchema): Projector {
  const include = compileSelection(opts.attributes ?? [], schema)
  const exclude = compileSelection(opts.excludedAttributes ?? [], schema)
  const scopes = scopeTable(schema)
  const hasInclude = include.size > 0
  const hasExclude = exclude.size > 0
  return (resource) => {
    const out: ScimResource = {}
    for (const key of Object.keys(resource)) {
      const v = resource[key]
      if (v === undefined) continue
      const lk = key.toLowerCase()
      if (lk === 'id' || lk === 'schemas' || lk === 'meta') { set(out, key, v); continue }
      const ext = scopes.get(lk)
      let r: JsonValue | undefined
      if (ext !== undefined && ext !== CORE) {
        if (!isJsonObject(v)) { r = selectTop(v, lk, include, exclude, hasInclude, hasExclude); set(out, key, r); continue }
        r = projectScope(v, lk, ext, include, exclude, hasInclude, hasExclude)
        if (r !== undefined && Object.keys(r).length === 0) r = undefined
      } else {
        r = selectAttr(v, CORE, lk, ext === CORE ? undefined : scopes.coreDef(lk), include, exclude, hasInclude, hasExclude)
      }
      set(out, key, r)
    }
    return out
  }
}

/** Applies `attributes` / `excludedAttributes` to one resource. Compile once with compileProjection for lists. */
export function projectResource (resource: ScimResource, opts: ProjectionOptions, schema: ResourceSchema): ScimResource {
  return compileProjection(opts, schema)(resource)
}

/** Removes every `returned: never` attribute and sub-attribute (e.g. password); leaves everything else. */
export function stripNeverReturned (resource: ScimResource, schema: ResourceSchema): ScimResource {
  const scopes = scopeTable(schema)
  const out: ScimResource = {}
  for (const key of Object.keys(resource)) {
    const v = resource[key]
    if (v === undefined) continue
    const lk = key.toLowerCase()
    const ext = scopes.get(lk)
    if (ext !== undefined && ext !== CORE && isJsonObject(v)) {
      const o: JsonObject = {}
      for (const k of Object.keys(v)) {
        const x = v[k]
        const def = ext.def(k.toLowerCase())
        if (x !== undefined && def?.returned !== 'never') set(o, k, stripSubs(x, def))
      }
      set(out, key, o)
      continue
    }
    const def = ext === CORE ? undefined : scopes.coreDef(lk)
    if (def?.returned === 'never') continue
    set(out, key, stripSubs(v, def))
  }
  return out
}

// ---------------------------------------------------------------------------------------------

/** One requested path below a scope: attribute (lower-case), optional sub-attribute, optional element filter. */
interface Clause { sub?: string, pred?: (el: JsonObject) => boolean }
/** scope key (`core` or lower-case extension/unknown URN) → attribute (lower-case, '*' = whole scope) → clauses. */
type Selection = Map<string, Map<string, Clause[]>>

const CORE = 'core'
const WHOLE = '*'

interface ExtScope { def: (lname: string) => AttributeDef | undefined }
interface Scopes {
  get: (lkey: string) => ExtScope | typeof CORE | undefined
  coreDef: (lname: string) => AttributeDef | undefined
}

function scopeTable (schema: ResourceSchema): Scopes {
  const core = schema.schemas[0]?.id.toLowerCase()
  const exts = new Map<string, ExtScope>()
  for (const s of schema.schemas.slice(1)) {
    exts.set(s.id.toLowerCase(), { def: (n) => schema.attribute({ uri: s.id, attr: n }) })
  }
  return {
    get: (lk) => (lk === core || lk === SCHEMA_CORE_V1) ? CORE : exts.get(lk),
    coreDef: (n) => schema.attribute({ attr: n })
  }
}

function compileSelection (names: readonly string[], schema: ResourceSchema): Selection {
  const sel: Selection = new Map()
  const add = (scope: string, attr: string, clause: Clause): void => {
    let m = sel.get(scope)
    if (m === undefined) { m = new Map(); sel.set(scope, m) }
    const list = m.get(attr) ?? []
    list.push(clause)
    m.set(attr, list)
  }
  const coreId = schema.schemas[0]?.id.toLowerCase()
  const schemaUris = schema.schemas.map(s => s.id)
  for (const raw of names) {
    const text = raw.trim()
    if (text === '') continue
    const lt = text.toLowerCase()
    const whole = schema.schemas.find(s => s.id.toLowerCase() === lt)
    if (whole !== undefined || lt === SCHEMA_CORE_V1) {
      add(whole === undefined || whole.id.toLowerCase() === coreId ? CORE : lt, WHOLE, {})
      continue
    }
    let parsed
    try { parsed = parsePatchPath(text, { schemaUris }) } catch { parsed = undefined }
    if (parsed === undefined) { add(CORE, lt, {}); add(lt, WHOLE, {}); continue }
    const { path, filter, subAttr } = parsed
    const uri = path.uri?.toLowerCase()
    const scope = uri === undefined || uri === coreId || uri === SCHEMA_CORE_V1 ? CORE : uri
    const clause: Clause = {}
    const sub = path.sub ?? subAttr
    if (sub !== undefined) clause.sub = sub.toLowerCase()
    if (filter !== undefined) clause.pred = compileFilter(filter)
    add(scope, path.attr.toLowerCase(), clause)
    // A name that is not schema-known may be a custom key containing ':' or '.'; match it verbatim too.
    if (uri !== undefined && !schema.schemas.some(s => s.id.toLowerCase() === uri)) add(lt, WHOLE, {})
  }
  return sel
}

function projectScope (obj: JsonObject, scopeKey: string, scope: ExtScope, include: Selection, exclude: Selection,
  hasInclude: boolean, hasExclude: boolean): JsonObject | undefined {
  const inc = include.get(scopeKey)
  if (hasInclude && inc === undefined) return undefined
  if (hasExclude && exclude.get(scopeKey)?.has(WHOLE) === true) return undefined
  const out: JsonObject = {}
  for (const k of Object.keys(obj)) {
    const v = obj[k]
    if (v === undefined) continue
    const lk = k.toLowerCase()
    set(out, k, selectAttr(v, scopeKey, lk, scope.def(lk), include, exclude, hasInclude, hasExclude))
  }
  return out
}

/** A non-object value under an extension key or an unknown URN key: selected/excluded as a whole. */
function selectTop (v: JsonValue, lk: string, include: Selection, exclude: Selection, hasInclude: boolean, hasExclude: boolean): JsonValue | undefined {
  if (hasInclude && include.get(lk) === undefined && include.get(CORE)?.has(lk) !== true) return undefined
  if (hasExclude && (exclude.get(lk)?.has(WHOLE) === true || exclude.get(CORE)?.has(lk) === true)) return undefined
  return v
}

function selectAttr (v: JsonValue, scopeKey: string, lk: string, def: AttributeDef | undefined, include: Selection,
  exclude: Selection, hasInclude: boolean, hasExclude: boolean): JsonValue | undefined {
  if (def?.returned === 'never') return undefined
  const always = def?.returned === 'always'
  let out: JsonValue | undefined = stripSubs(v, def)
  if (!always) {
    const scopeSel = include.get(scopeKey)
    const clauses = scopeSel?.get(lk)
    const rawWhole = include.get(lk)?.has(WHOLE) === true
    if (hasInclude) {
      if (clauses !== undefined) out = applyInclude(out, def, clauses)
      else if (!(scopeSel?.has(WHOLE) === true && def?.returned !== 'request') && !rawWhole) return undefined
    } else if (def?.returned === 'request') return undefined
  }
  if (hasExclude && out !== undefined) {
    const clauses = exclude.get(scopeKey)?.get(lk)
    if (clauses !== undefined) out = applyExclude(out, def, clauses, always)
    else if (!always && exclude.get(lk)?.has(WHOLE) === true) return undefined
  }
  return out
}

function applyInclude (v: JsonValue, def: AttributeDef | undefined, clauses: Clause[]): JsonValue | undefined {
  if (clauses.some(c => c.sub === undefined && c.pred === undefined)) return v
  const pick = (el: JsonValue): JsonValue | undefined => {
    if (!isJsonObject(el)) return undefined
    const matching = clauses.filter(c => c.pred === undefined || c.pred(el))
    if (matching.length === 0) return undefined
    if (matching.some(c => c.sub === undefined)) return el
    const subs = new Set(matching.map(c => c.sub))
    const o: JsonObject = {}
    for (const k of Object.keys(el)) {
      const x = el[k]
      const lk = k.toLowerCase()
      if (x !== undefined && (subs.has(lk) || (def !== undefined && findSub(def, k)?.returned === 'always'))) set(o, k, x)
    }
    return Object.keys(o).length > 0 ? o : undefined
  }
  if (Array.isArray(v)) {
    const arr = v.map(pick).filter((x): x is JsonValue => x !== undefined)
    return arr.length > 0 ? arr : undefined
  }
  return pick(v)
}

function applyExclude (v: JsonValue, def: AttributeDef | undefined, clauses: Clause[], always: boolean): JsonValue | undefined {
  if (!always && clauses.some(c => c.sub === undefined && c.pred === undefined)) return undefined
  const drop = (el: JsonValue): JsonValue | undefined => {
    if (!isJsonObject(el)) return el
    const matching = clauses.filter(c => c.pred === undefined || c.pred(el))
    if (matching.length === 0) return el
    if (!always && matching.some(c => c.sub === undefined)) return undefined
    const subs = new Set(matching.map(c => c.sub))
    const o: JsonObject = {}
    for (const k of Object.keys(el)) {
      const x = el[k]
      const keep = !subs.has(k.toLowerCase()) || (def !== undefined && findSub(def, k)?.returned === 'always')
      if (x !== undefined && keep) set(o, k, x)
    }
    return Object.keys(o).length > 0 ? o : undefined
  }
  if (Array.isArray(v)) {
    const arr = v.map(drop).filter((x): x is JsonValue => x !== undefined)
    return arr.length > 0 ? arr : undefined
  }
  return drop(v)
}

/** Removes `returned: never` sub-attributes of a complex (multi-)value. */
function stripSubs (v: JsonValue, def: AttributeDef | undefined): JsonValue {
  if (def?.subAttributes === undefined || !def.subAttributes.some(s => s.returned === 'never')) return v
  const strip = (el: JsonValue): JsonValue => {
    if (!isJsonObject(el)) return el
    const o: JsonObject = {}
    for (const k of Object.keys(el)) {
      const x = el[k]
      if (x !== undefined && findSub(def, k)?.returned !== 'never') set(o, k, x)
    }
    return o
  }
  return Array.isArray(v) ? v.map(strip) : strip(v)
}

function set (obj: JsonObject, key: string, value: JsonValue | undefined): void {
  if (value === undefined) return
  if (key === '__proto__') Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true })
  else obj[key] = value
}
