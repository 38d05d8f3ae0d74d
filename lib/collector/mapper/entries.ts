// A tenant's `mapper` section as written → the entries the compiler takes, in one shape.
// Accepted entry shapes of `mapper.user`:
//   documented:  - <source>: { map_to: <SCIM path> }            (source = the key: a path or a function
//                - ? <long source>                               expression, `?` for a multi-line key)
//                  : map_to: <SCIM path>
//                - <source>:            (the flattened form some pages of the documentation show:
//                  map_to: <SCIM path>   the key with no value next to map_to)
//   ours:        - { source: <source>, map_to: <SCIM path>, scim_refs?: true }
// `mapper.rules: [ { filter: (list -most_current "startDate") } ]` applies to every entry.
// Documented entries are translated (documented.ts): SCIM Stream's Join/ElementNumber argument order,
// `[attr]` references to the SCIM user being built (`scim_refs`), `…:User.manager.value` → `…:User:manager.value`.
// Typos in keys and in map_to names are problems with their path and a "did you mean".
import type { ConfigProblem } from '../../config/errors.ts'
import { didYouMean } from '../../config/path.ts'
import { isJsonObject, type JsonObject, type JsonValue } from '../../scim/types.ts'
import type { SourcePath } from './ast.ts'
import { isExpression, parseMostCurrentRule, translateSource, type MostCurrentRule } from './documented.ts'
import { mapToTypo } from './scim-attributes.ts'
import { parseSourcePath } from './source-path.ts'

/** One entry in our shape, with where it came from. */
export interface NormalizedEntry {
  source: string
  map_to: string
  /** `[attr]` references read the SCIM user being built first (then the source). */
  scim_refs?: boolean
  /** Config path of the entry (`hr.sf.mapper.user[3]`). */
  at: string
  /** The source as written in the config. */
  original: string
  /** Written in the documented shape. */
  documented?: boolean
}

/** The normalized section, its problems and what was translated (for one log line). */
export interface NormalizedMapper {
  user: NormalizedEntry[]
  rules: MostCurrentRule[]
  problems: ConfigProblem[]
  /** Counts of what was translated, by kind (empty when nothing was). */
  translated: Map<string, number>
}

const OUR_KEYS = ['source', 'map_to', 'scim_refs', 'comment']
const DOC_VALUE_KEYS = ['map_to', 'comment']
const SECTION_KEYS = ['user', 'rules']
const RULE_KEYS = ['filter', 'comment']
const URN_DOT = /^(onCreate\.)?(urn:ietf:params:scim:schemas:extension:enterprise:2\.0:User)\.(.+)$/i

/**
 * Normalizes `mapper` (`{ user, rules }`; null/absent = empty) found at config path `at`.
 * @example normalizeMapper({ user: [{ 'Join([a], " ", [b])': { map_to: 'displayName' } }] }, 'hr.sf.mapper')
 */
export function normalizeMapper (raw: unknown, at: string): NormalizedMapper {
  const out: NormalizedMapper = { user: [], rules: [], problems: [], translated: new Map() }
  if (raw === undefined || raw === null) return out
  if (!isJsonObject(raw as JsonValue)) { out.problems.push({ path: at, message: 'must be an object { user: [...], rules: [...] }' }); return out }
  const section = raw as JsonObject
  unknownKeys(section, SECTION_KEYS, at, out.problems)
  const user = section.user ?? []
  if (!Array.isArray(user)) { out.problems.push({ path: `${at}.user`, message: 'must be a list of mapper entries (- <source>: { map_to: <SCIM attribute> })' }); return out }
  const raws: Array<{ source: string, map_to: string, scim_refs?: boolean, at: string, documented: boolean }> = []
  user.forEach((e, i) => {
    const r = readEntry(e, `${at}.user[${i}]`, out.problems)
    if (r !== undefined) raws.push(r)
  })
  out.rules = readRules(section.rules, `${at}.rules`, raws, out.problems)
  for (const r of raws) {
    let source = r.source
    let mapTo = r.map_to
    const urnDot = URN_DOT.exec(mapTo)
    if (urnDot !== null) {
      mapTo = `${urnDot[1] ?? ''}${urnDot[2] ?? ''}:${urnDot[3] ?? ''}`
      count(out, 'map_to "…:User.<attr>" read as "…:User:<attr>"')
    }
    const typo = mapToTypo(mapTo)
    if (typo !== undefined) out.problems.push({ path: `${r.at}.map_to`, message: typo })
    try {
      const t = translateSource(source, r.documented, out.rules)
      source = t.source
      if (t.join) count(out, 'Join(a, b, …) (concatenation) → Join("", a, b, …)')
      if (t.elementNumber) count(out, 'ElementNumber(arg, separator, n) → ElementNumber(arg, n, separator)')
      if (t.mostCurrent) count(out, 'mapper.rules -most_current applied to a source path')
    } catch {
      // left as written: the compiler reports the syntax error with its position
    }
    const scimRefs = r.scim_refs ?? (r.documented && isExpression(source) && source.includes('['))
    if (r.documented && scimRefs) count(out, '[attr] references read the mapped SCIM user (scim_refs)')
    if (r.documented) count(out, '"- <source>: { map_to }" → { source, map_to }')
    out.user.push({ source, map_to: mapTo, ...(scimRefs ? { scim_refs: true } : {}), at: r.at, original: r.source, ...(r.documented ? { documented: true } : {}) })
  }
  return out
}

/** One line saying what was translated, or undefined when nothing was. */
export function translationNote (at: string, m: NormalizedMapper): string | undefined {
  if (m.translated.size === 0) return undefined
  return `${at}: documented mapper shape translated: ${[...m.translated].map(([what, n]) => `${what} ×${n}`).join('; ')}`
}

function count (out: NormalizedMapper, what: string): void {
  out.translated.set(what, (out.translated.get(what) ?? 0) + 1)
}

function readEntry (e: unknown, at: string, problems: ConfigProblem[]): { source: string, map_to: string, scim_refs?: boolean, at: string, documented: boolean } | undefined {
  const shapes = 'must be "- <source>: { map_to: <SCIM attribute> }" or "{ source, map_to }"'
  if (!isJsonObject((e ?? null) as JsonValue)) { problems.push({ path: at, message: shapes }); return undefined }
  const obj = e as JsonObject
  const keys = Object.keys(obj)
  // ours: { source, map_to } (also when one of them is missing or misspelt next to the other)
  if ('source' in obj || 'map_to' in obj) {
    const extra = keys.filter(k => !OUR_KEYS.includes(k))
    const nullKey = extra.length === 1 && extra[0] !== undefined && obj[extra[0]] === null && !('source' in obj) ? extra[0] : undefined
    if (nullKey !== undefined) return documentedEntry(nullKey, obj, at, problems) // `- <source>:` + `map_to:` flattened
    unknownKeys(obj, OUR_KEYS, at, problems)
    const source = obj.source
    const mapTo = obj.map_to
    let ok = true
    if (typeof source !== 'string' || source.trim() === '') { problems.push({ path: `${at}.source`, message: 'must be a non-empty string' }); ok = false }
    if (typeof mapTo !== 'string' || mapTo.trim() === '') { problems.push({ path: `${at}.map_to`, message: 'must be a non-empty string (a SCIM attribute)' }); ok = false }
    if (obj.scim_refs !== undefined && typeof obj.scim_refs !== 'boolean') { problems.push({ path: `${at}.scim_refs`, message: 'must be true or false' }); ok = false }
    if (!ok) return undefined
    return { source: source as string, map_to: mapTo as string, ...(obj.scim_refs === true ? { scim_refs: true } : {}), at, documented: false }
  }
  if (keys.length !== 1 || keys[0] === undefined) { problems.push({ path: at, message: `${shapes}; found keys ${keys.map(k => JSON.stringify(k)).join(', ')}` }); return undefined }
  const key = keys[0]
  const value = obj[key]
  if (!isJsonObject((value ?? null) as JsonValue)) {
    problems.push({ path: at, message: `"${key}" needs { map_to: <SCIM attribute> } as its value` })
    return undefined
  }
  return documentedEntry(key, value as JsonObject, at, problems)
}

function documentedEntry (key: string, value: JsonObject, at: string, problems: ConfigProblem[]): { source: string, map_to: string, at: string, documented: boolean } | undefined {
  const inner = Object.fromEntries(Object.entries(value).filter(([k]) => k !== key))
  unknownKeys(inner, DOC_VALUE_KEYS, at, problems)
  const mapTo = inner.map_to
  if (key.trim() === '') { problems.push({ path: at, message: 'the source (the key) must not be empty' }); return undefined }
  if (typeof mapTo !== 'string' || mapTo.trim() === '') { problems.push({ path: `${at}.map_to`, message: 'must be a non-empty string (a SCIM attribute)' }); return undefined }
  return { source: key, map_to: mapTo, at, documented: true }
}

function readRules (raw: unknown, at: string, entries: ReadonlyArray<{ source: string, map_to: string }>, problems: ConfigProblem[]): MostCurrentRule[] {
  if (raw === undefined || raw === null) return []
  if (!Array.isArray(raw)) { problems.push({ path: at, message: 'must be a list of { filter: (<list> -most_current "startDate") }' }); return [] }
  const out: MostCurrentRule[] = []
  raw.forEach((r: unknown, i) => {
    const p = `${at}[${i}]`
    if (!isJsonObject((r ?? null) as JsonValue)) { problems.push({ path: p, message: 'must be { filter: (<list> -most_current "startDate") }' }); return }
    unknownKeys(r as JsonObject, RULE_KEYS, p, problems)
    const filter = (r as JsonObject).filter
    if (typeof filter !== 'string' || filter.trim() === '') { problems.push({ path: `${p}.filter`, message: 'must be a non-empty string' }); return }
    try {
      out.push(parseMostCurrentRule(filter, (attr, list) => fieldMappedTo(entries, attr, list)))
    } catch (err) {
      problems.push({ path: `${p}.filter`, message: (err as Error).message })
    }
  })
  return out
}

/** The element field of `list` an entry maps to SCIM `attr` (`employmentNav.results.[0].startDate` → startDate). */
function fieldMappedTo (entries: ReadonlyArray<{ source: string, map_to: string }>, attr: string, list: SourcePath): string | undefined {
  for (const e of entries) {
    if (e.map_to.trim().toLowerCase() !== attr.toLowerCase() || isExpression(e.source)) continue
    let p: SourcePath
    try { p = parseSourcePath(e.source.trim()) } catch { continue }
    const n = list.steps.length
    const prefix = p.steps.slice(0, n).every((s, i) => { const l = list.steps[i]; return s.kind === 'key' && l?.kind === 'key' && s.name.toLowerCase() === l.name.toLowerCase() })
    if (!prefix) continue
    const rest = p.steps.slice(n)
    const tail = rest[0]?.kind === 'index' ? rest.slice(1) : rest
    const field = tail[0]
    if (tail.length === 1 && field?.kind === 'key') return field.name
  }
  return undefined
}

function unknownKeys (obj: JsonObject, known: readonly string[], at: string, problems: ConfigProblem[]): void {
  for (const k of Object.keys(obj)) {
    if (known.includes(k)) continue
    const hint = didYouMean(k, known)
    problems.push({ path: `${at}.${k}`, message: hint !== undefined ? `unknown key (did you mean "${hint}"?)` : `unknown key; allowed: ${known.join(', ')}` })
  }
}
