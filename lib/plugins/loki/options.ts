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
   * created at start; others answer 404. Default: every baseEntity, its store created on first use.
   */
  entities?: string[]
  /** Refuse a second group with the same displayName (case-insensitive) with 409. Default true. */
  uniqueGroupDisplayName?: boolean
}

/** A bad `endpoint` section; `problems` lists every problem with its path. */
export class LokiOptionsError extends Error {
  constructor (readonly problems: string[], options?: ErrorOptions) {
    super(`invalid plugin-loki configuration:\n  ${problems.join('\n  ')}`, options)
    this.name = 'LokiOptionsError'
  }
}

const DEFAULT_DBNAME = 'loki.db'

/**
 * Maps a config file's `endpoint` section onto {@link LokiOptions}, checking every value.
 *
 * Keys (all optional): `persistence` (boolean, default false), `dbname` (file name, relative to
 * `configDir`, default "loki.db"), `demoData` (boolean; default like scimgateway: true without
 * persistence, false with it), `fsync`, `uniqueGroupDisplayName` (booleans) and `entity`: an object
 * keyed by baseEntity (scimgateway's shape; the key "undefined" is the default store). An entity
 * may carry its own `persistence`/`dbname`/`demoData`; since all baseEntities share one journal,
 * they must agree with each other. When `entity` lists baseEntities, other ones answer 404.
 * Unknown keys are ignored (other settings may share the section).
 * @throws LokiOptionsError listing every bad value with its path (`endpoint.persistence: …`).
 * @example
 * lokiOptionsFromEndpoint({ persistence: true, dbname: 'loki.db', demoData: false }, '/etc/scim')
 * // → { persistence: { file: '/etc/scim/loki.db' }, demoData: false }
 * lokiOptionsFromEndpoint({ entity: { undefined: { dbname: 'loki.db', persistence: false } } }, '/etc/scim')
 * // → { persistence: 'memory', demoData: true, entities: [] }
 */
export function lokiOptionsFromEndpoint (endpoint: JsonObject, configDir: string): LokiOptions {
  const problems: string[] = []
  const bool = (obj: JsonObject, key: string, path: string): boolean | undefined => {
    const v = obj[key]
    if (v === undefined || v === null) return undefined
    if (typeof v === 'boolean') return v
    problems.push(`${path}.${key}: expected true or false, got ${JSON.stringify(v)}`)
    return undefined
  }
  const file = (obj: JsonObject, path: string): string | undefined => {
    const v = obj.dbname
    if (v === undefined || v === null) return undefined
    if (typeof v !== 'string' || v.trim() === '') problems.push(`${path}.dbname: expected a file name, got ${JSON.stringify(v)}`)
    else if (v.endsWith('/') || v.endsWith('\\')) problems.push(`${path}.dbname: expected a file name, got the directory ${JSON.stringify(v)}`)
    else return v
    return undefined
  }
  /** One value for a setting that the top level and every entity may give; differing values are a problem. */
  const agree = <T>(key: string, top: T | undefined, perEntity: Array<[string, T | undefined]>): T | undefined => {
    let value = top
    let from = 'endpoint'
    for (const [path, v] of perEntity) {
      if (v === undefined) continue
      if (value !== undefined && value !== v) {
        problems.push(`${path}.${key}: ${JSON.stringify(v)} differs from ${from}.${key} ${JSON.stringify(value)}; plugin-loki keeps all baseEntities in one store, so they must agree`)
        continue
      }
      value = v
      from = path
    }
    return value
  }

  let entities: string[] | undefined
  const perEntity: Array<{ path: string, persistence?: boolean, dbname?: string, demoData?: boolean }> = []
  const rawEntity = endpoint.entity
  if (rawEntity !== undefined && rawEntity !== null) {
    if (typeof rawEntity !== 'object' || Array.isArray(rawEntity)) problems.push(`endpoint.entity: expected an object keyed by baseEntity, got ${JSON.stringify(rawEntity)}`)
    else {
      entities = []
      for (const [name, cfg] of Object.entries(rawEntity)) {
        const path = `endpoint.entity.${name}`
        if (name.trim() === '' || name.includes('/')) { problems.push(`${path}: ${JSON.stringify(name)} is not a valid baseEntity`); continue }
        if (name !== 'undefined') entities.push(name)
        if (cfg === undefined || cfg === null) continue
        if (typeof cfg !== 'object' || Array.isArray(cfg)) { problems.push(`${path}: expected an object, got ${JSON.stringify(cfg)}`); continue }
        const e: { path: string, persistence?: boolean, dbname?: string, demoData?: boolean } = { path }
        const ep = bool(cfg, 'persistence', path); if (ep !== undefined) e.persistence = ep
        const ed = file(cfg, path); if (ed !== undefined) e.dbname = ed
        const edd = bool(cfg, 'demoData', path); if (edd !== undefined) e.demoData = edd
        perEntity.push(e)
      }
    }
  }
  const persist = agree('persistence', bool(endpoint, 'persistence', 'endpoint'), perEntity.map(e => [e.path, e.persistence])) ?? false
  const dbname = agree('dbname', file(endpoint, 'endpoint'), perEntity.map(e => [e.path, e.dbname])) ?? DEFAULT_DBNAME
  const demoData = agree('demoData', bool(endpoint, 'demoData', 'endpoint'), perEntity.map(e => [e.path, e.demoData])) ?? !persist
  const fsync = bool(endpoint, 'fsync', 'endpoint')
  const uniqueGroupDisplayName = bool(endpoint, 'uniqueGroupDisplayName', 'endpoint')
  if (problems.length > 0) throw new LokiOptionsError(problems)

  const opts: LokiOptions = {
    persistence: persist ? { file: isAbsolute(dbname) ? dbname : resolve(configDir, dbname) } : 'memory',
    demoData
  }
  if (persist && fsync !== undefined && typeof opts.persistence === 'object') opts.persistence.fsync = fsync
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
