// compileMapper: a tenant's `mapper.user` list of { source, map_to } compiled once into a function
// from a collected source object to the SCIM user of the message.
// `source` is either an attribute path (`firstName`, `employmentNav.results.[0].jobTitle`,
// `(employmentNav.results -most_current "startDate").jobInfoNav.results.[0].jobTitle`) or an
// expression (it starts with a function name and "(", a "string", a number, true/false/null or a
// [reference]). Config mistakes are reported all at once as a ConfigError; a bad value at run time
// is reported for its entry while the other entries continue.
import { ConfigError, type ConfigProblem } from '../../config/errors.ts'
import { isJsonObject, type JsonObject, type JsonValue, type ScimResource } from '../../scim/types.ts'
import { MapperSyntaxError, type Expr } from './ast.ts'
import { compileExpression, type Compiled } from './compile-expr.ts'
import { parseExpression } from './expr-parser.ts'
import { newCaches, type FnContext } from './function-types.ts'
import { compileMapTo, CORE_USER_SCHEMA, type Setter } from './map-to.ts'
import { parseSourcePath } from './source-path.ts'
import { isExpression } from './documented.ts'
import { cloneJson, IgnoreFlow, toJson } from './values.ts'

/**
 * One `mapper.user` entry in our shape (see entries.ts for the documented shape and its translation).
 * `scim_refs`: `[attr]` references read the SCIM user being built first, then the source (such entries
 * run after the others). `at`: config path used in problems (default `<configPath>[index]`).
 */
export interface MapperEntry { source: string, map_to: string, scim_refs?: boolean, at?: string }

/** A value that could not be mapped for one entry. */
export interface MapperError {
  /** Index of the entry in `mapper.user`. */
  index: number
  /** Config path of the entry, e.g. `mapper.user[3]`. */
  path: string
  mapTo: string
  message: string
}

/** Options of compileMapper. */
export interface CompileMapperOptions {
  /** The clock (default: the system clock); read once per mapped user. */
  now?: () => Date
  /**
   * Uniqueness check for SelectUniqueValue (Entra semantics need the target; without this option
   * SelectUniqueValue reports an error per user). Prefer GetUniqueValue, which the subscriber resolves.
   */
  isUnique?: (mapTo: string, value: string) => boolean
  /** Config path used in messages (default `mapper.user`). */
  configPath?: string
}

/** A compiled mapper. */
export interface CompiledMapper {
  /** Number of entries. */
  readonly size: number
  /** Maps one source object to the message user. Never throws for bad data: see `errors`. */
  map: (source: JsonObject) => { user: ScimResource, errors: MapperError[] }
}

interface Entry { index: number, at: string, mapTo: string, value: Compiled, set: Setter }


/**
 * Compiles `mapper.user`.
 * @throws ConfigError listing every bad entry (`mapper.user[3].source: unexpected ")" at 17`)
 * @example
 * const mapper = compileMapper([
 *   { source: 'firstName', map_to: 'name.givenName' },
 *   { source: 'Join(" ", [firstName], [lastName])', map_to: 'displayName' },
 *   { source: 'email', map_to: 'emails[type eq "work"].value' },
 * ])
 * const { user, errors } = mapper.map(person)
 */
export function compileMapper (entries: ReadonlyArray<MapperEntry | JsonValue>, opts: CompileMapperOptions = {}): CompiledMapper {
  const base = opts.configPath ?? 'mapper.user'
  const problems: ConfigProblem[] = []
  const compiled: Entry[] = []
  const spellings = new Map<string, string>()
  if (!Array.isArray(entries)) throw new ConfigError(undefined, [{ path: base, message: 'must be a list of { source, map_to }' }])
  const later: Entry[] = []
  entries.forEach((raw: unknown, index) => {
    const fallback = `${base}[${index}]`
    if (!isJsonObject((raw ?? null) as JsonValue)) { problems.push({ path: fallback, message: 'must be an object { source, map_to }' }); return }
    const e = raw as JsonObject
    const at = typeof e.at === 'string' ? e.at : fallback
    const source = e.source
    const mapTo = e.map_to
    const scimRefs = e.scim_refs === true
    let value: Compiled | undefined
    let set: Setter | undefined
    if (typeof source !== 'string' || source.trim() === '') problems.push({ path: `${at}.source`, message: 'must be a non-empty string' })
    else {
      try {
        value = compileSource(source, { scimRefs })
      } catch (err) {
        if (!(err instanceof MapperSyntaxError)) throw err
        problems.push({ path: `${at}.source`, message: err.message })
      }
    }
    if (typeof mapTo !== 'string' || mapTo.trim() === '') problems.push({ path: `${at}.map_to`, message: 'must be a non-empty string' })
    else {
      try {
        set = compileMapTo(mapTo, spellings)
      } catch (err) {
        problems.push({ path: `${at}.map_to`, message: (err as Error).message })
      }
    }
    if (value !== undefined && set !== undefined && typeof mapTo === 'string') (scimRefs ? later : compiled).push({ index, at, mapTo, value, set })
  })
  // Entries reading the SCIM user run after those that build it (Join([name.givenName], …)).
  compiled.push(...later)
  if (problems.length > 0) throw new ConfigError(undefined, problems)
  const clock = opts.now ?? (() => new Date())
  const isUnique = opts.isUnique
  const caches = newCaches()
  return {
    size: compiled.length,
    map (source: JsonObject) {
      const user: ScimResource = { schemas: [CORE_USER_SCHEMA] }
      const errors: MapperError[] = []
      const ctx: FnContext = { now: clock(), mapTo: '', isUnique, memo: new Map(), caches, user }
      for (const e of compiled) {
        try {
          let v: JsonValue | undefined
          if (e.value.kind === 'template') v = e.value.text
          else {
            ctx.mapTo = e.mapTo
            v = toJson(e.value.run(source, ctx))
          }
          if (v === undefined || v === null) continue
          e.set(user, typeof v === 'object' ? cloneJson(v) : v)
        } catch (err) {
          if (err instanceof IgnoreFlow) continue
          errors.push({ index: e.index, path: e.at, mapTo: e.mapTo, message: (err as Error).message })
        }
      }
      return { user, errors }
    },
  }
}

/** Parses and compiles one `source`: an attribute path or an expression (`scimRefs`: see MapperEntry). */
export function compileSource (source: string, opts: { scimRefs?: boolean } = {}): Compiled {
  let expr: Expr
  if (isExpression(source)) expr = parseExpression(source)
  else {
    const start = source.length - source.trimStart().length
    expr = { kind: 'ref', path: parseSourcePath(source.trim(), start), pos: start }
  }
  return compileExpression(expr, source, opts)
}
