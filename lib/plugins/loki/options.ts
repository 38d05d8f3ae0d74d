// Options of plugin-loki, their defaults, and the mapping from a scimgateway-style config file's
// `endpoint` section (`{ persistence: true, dbname: "loki.db", demoData: true, entity: {…} }`).
import { isAbsolute, resolve } from 'node:path'
import type { JsonObject } from '../../scim/types.ts'

/** Options of {@link createLokiPlugin}. */
export interface LokiOptions {
  /**
   * `'memory'`: nothing is written, data is lost on stop.
   * `{ file }`: an append-only journal at `file` (absolute, or relative to the working directory);
   * every acknowledged write survives a crash. `fsync` (default true) fdatasyncs each group of
   * writes; `compactThreshold` (default 10000) is the journal length (lines) above which it is
   * rewritten once it holds more than twice the live records.
   */
  persistence: 'memory' | { file: string, fsync?: boolean, compactThreshold?: number }
  /** Seed a new store (per baseEntity) with bjensen, jsmith, Admins and Employees. Default true. */
  demoData?: boolean
  /**
   * baseEntities served besides the default one (requests without a baseEntity). Listed ones are
   * created at start; others answer 404. Default: any baseEntity, its store created on first use.
   */
  entities?: string[]
  /** Refuse a second group with the same displayName (case-insensitive) with 409. Default true. */
  uniqueGroupDisplayName?: boolean
}

/** A bad `endpoint` section; `problems` lists every problem with its path. */
export class LokiOptionsError extends Error {
  constructor (readonly problems: string[]) {
    super(`invalid plugin-loki configuration:\n  ${problems.join('\n  ')}`)
    this.name = 'LokiOptionsError'
  }
}

const DEFAULT_DBNAME = 'loki.db'

/**
 * Maps a config file's `endpoint` section onto {@link LokiOptions}, checking every value.
 * Keys: `persistence` (boolean, default false), `dbname` (file name, relative to `configDir`, default
 * "loki.db"), `demoData` (boolean, default true), `fsync` (boolean), `uniqueGroupDisplayName`
 * (boolean), `entity` (object whose keys are the baseEntities). Unknown keys are ignored (other
 * plugins' settings may share a config).
 * @throws LokiOptionsError listing every bad value with its path (`endpoint.persistence: …`).
 * @example
 * const opts = lokiOptionsFromEndpoint({ persistence: true, dbname: 'loki.db', demoData: false }, './config')
 * // → { persistence: { file: '/abs/config/loki.db' }, demoData: false }
 */
export function lokiOptionsFromEndpoint (endpoint: JsonObject, configDir: string): LokiOptions {
  const problems: string[] = []
  const bool = (key: string): boolean | undefined => {
    const v = endpoint[key]
    if (v === undefined || v === null) return undefined
    if (typeof v === 'boolean') return v
    problems.push(`endpoint.${key}: expected true or false, got ${JSON.stringify(v)}`)
    return undefined
  }
  const persist = bool('persistence') ?? false
  const demoData = bool('demoData')
  const fsync = bool('fsync')
  const uniqueGroupDisplayName = bool('uniqueGroupDisplayName')

  let dbname = DEFAULT_DBNAME
  const rawDb = endpoint.dbname
  if (rawDb !== undefined && rawDb !== null) {
    if (typeof rawDb !== 'string' || rawDb.trim() === '') problems.push(`endpoint.dbname: expected a file name, got ${JSON.stringify(rawDb)}`)
    else if (rawDb.endsWith('/') || rawDb.endsWith('\\')) problems.push(`endpoint.dbname: expected a file name, got the directory ${JSON.stringify(rawDb)}`)
    else dbname = rawDb
  }

  let entities: string[] | undefined
  const rawEntity = endpoint.entity
  if (rawEntity !== undefined && rawEntity !== null) {
    if (typeof rawEntity !== 'object' || Array.isArray(rawEntity)) problems.push(`endpoint.entity: expected an object keyed by baseEntity, got ${JSON.stringify(rawEntity)}`)
    else {
      entities = Object.keys(rawEntity)
      for (const e of entities) if (e.trim() === '' || e.includes('/')) problems.push(`endpoint.entity: ${JSON.stringify(e)} is not a valid baseEntity`)
    }
  }
  if (problems.length > 0) throw new LokiOptionsError(problems)

  const opts: LokiOptions = {
    persistence: persist ? { file: isAbsolute(dbname) ? dbname : resolve(configDir, dbname) } : 'memory'
  }
  if (persist && fsync !== undefined && typeof opts.persistence === 'object') opts.persistence.fsync = fsync
  if (demoData !== undefined) opts.demoData = demoData
  if (uniqueGroupDisplayName !== undefined) opts.uniqueGroupDisplayName = uniqueGroupDisplayName
  if (entities !== undefined) opts.entities = entities
  return opts
}

/** Checks programmatic options (a TypeScript caller can still pass JSON from elsewhere). */
export function checkLokiOptions (opts: LokiOptions): void {
  const problems: string[] = []
  const p: unknown = opts.persistence
  if (p !== 'memory') {
    if (typeof p !== 'object' || p === null || typeof (p as { file?: unknown }).file !== 'string' || (p as { file: string }).file === '') {
      problems.push(`persistence: expected 'memory' or { file: string }, got ${JSON.stringify(p)}`)
    } else {
      const { fsync, compactThreshold } = p as { fsync?: unknown, compactThreshold?: unknown }
      if (fsync !== undefined && typeof fsync !== 'boolean') problems.push(`persistence.fsync: expected a boolean, got ${JSON.stringify(fsync)}`)
      if (compactThreshold !== undefined && (typeof compactThreshold !== 'number' || !Number.isInteger(compactThreshold) || compactThreshold < 1)) {
        problems.push(`persistence.compactThreshold: expected a positive integer, got ${JSON.stringify(compactThreshold)}`)
      }
    }
  }
  for (const k of ['demoData', 'uniqueGroupDisplayName'] as const) {
    const v: unknown = opts[k]
    if (v !== undefined && typeof v !== 'boolean') problems.push(`${k}: expected a boolean, got ${JSON.stringify(v)}`)
  }
  const ents: unknown = opts.entities
  if (ents !== undefined && (!Array.isArray(ents) || ents.some(e => typeof e !== 'string' || e === ''))) {
    problems.push(`entities: expected an array of non-empty strings, got ${JSON.stringify(ents)}`)
  }
  if (problems.length > 0) throw new LokiOptionsError(problems)
}
