// plugin-loki's `endpoint` section, declared with the plugin SDK's schema toolkit: a bad value or an
// unknown key is reported with its path in the one config error report at start
// (`endpoint.persistence: expected boolean, got "yes"`, `endpoint.dbnme: unknown key (did you mean
// "dbname"?)`) instead of a LokiOptionsError stack trace, or nothing at all. lokiOptionsFromEndpoint
// (the programmatic form) checks with the same schema.
import { isAbsolute, resolve } from 'node:path'
import { entityMap, NO_BASE_ENTITY, s } from '../sdk/config.ts'
import type { JsonObject } from '../../scim/types.ts'
import { validate } from '../../config/schema.ts'
import { LokiOptionsError, type LokiOptions } from './options.ts'

const dbname = s.string({ pattern: /^(?!\s*$)[\s\S]*[^/\\]$/, patternName: 'a file name (not a directory)' })
  .describe('journal file name, relative to the config directory')

const entityEntry = s.object({
  persistence: s.boolean().optional(),
  dbname: dbname.optional(),
  demoData: s.boolean().optional()
})

type Entity = s.Infer<typeof entityEntry>

/** Settings the top level and each entity may give; all baseEntities share one journal, so they must agree. */
const SHARED = ['persistence', 'dbname', 'demoData'] as const

/**
 * `endpoint` of config/plugin-loki.json (scimgateway's shape, plus our fsync/uniqueGroupDisplayName):
 * `persistence` (default false), `dbname` (default "loki.db"), `demoData` (default: true without
 * persistence), `fsync`, `uniqueGroupDisplayName`, and `entity.<baseEntity>` with its own
 * persistence/dbname/demoData (which must agree). Listing entities makes other baseEntities 404.
 */
export const lokiEndpointSchema = s.object({
  persistence: s.boolean().optional().describe('keep data in an append-only journal file'),
  dbname: dbname.optional(),
  demoData: s.boolean().optional().describe('seed bjensen, jsmith, Admins, Employees (default: true without persistence)'),
  fsync: s.boolean().optional().describe('fdatasync each group of writes (default true)'),
  uniqueGroupDisplayName: s.boolean().optional().describe('refuse a second group with the same displayName (default true)'),
  entity: entityMap(entityEntry).optional().describe('baseEntities served ("undefined" = requests without one)')
}).refine((e, report) => {
  for (const key of SHARED) {
    let value: unknown = e[key]
    let from = 'endpoint'
    for (const [name, cfg] of Object.entries(e.entity ?? {})) {
      const v = cfg[key]
      if (v === undefined) continue
      if (value !== undefined && value !== v) {
        report(`${JSON.stringify(v)} differs from ${from}.${key} ${JSON.stringify(value)}; plugin-loki keeps all baseEntities in one store, so they must agree`, ['entity', name, key])
        continue
      }
      value = v
      from = `endpoint.entity.${name}`
    }
  }
})

export type LokiEndpoint = s.Infer<typeof lokiEndpointSchema>

/** The one value of a shared setting (the refine above has checked that they agree). */
function shared<K extends typeof SHARED[number]> (e: LokiEndpoint, key: K): Entity[K] {
  if (e[key] !== undefined) return e[key]
  for (const cfg of Object.values(e.entity ?? {})) if (cfg[key] !== undefined) return cfg[key]
  return undefined
}

/**
 * LokiOptions from a validated endpoint section; `dbname` resolves against `configDir`.
 * @example lokiOptionsFromConfig({ persistence: true, dbname: 'loki.db' }, '/etc/scim') // { persistence: { file: '/etc/scim/loki.db' }, demoData: false }
 */
export function lokiOptionsFromConfig (e: LokiEndpoint, configDir: string): LokiOptions {
  const persist = shared(e, 'persistence') ?? false
  const file = shared(e, 'dbname') ?? 'loki.db'
  const opts: LokiOptions = {
    persistence: persist ? { file: isAbsolute(file) ? file : resolve(configDir, file) } : 'memory',
    demoData: shared(e, 'demoData') ?? !persist
  }
  if (persist && e.fsync !== undefined && typeof opts.persistence === 'object') opts.persistence.fsync = e.fsync
  if (e.uniqueGroupDisplayName !== undefined) opts.uniqueGroupDisplayName = e.uniqueGroupDisplayName
  if (e.entity !== undefined) opts.entities = Object.keys(e.entity).filter(k => k !== NO_BASE_ENTITY)
  return opts
}

/**
 * Maps a config file's `endpoint` section onto {@link LokiOptions}, checking it with
 * `lokiEndpointSchema` (loki/endpoint.ts; `runGateway(lokiPlugin)` does the same at load time, in the
 * one config error report). Keys: `persistence`, `dbname` (relative to `configDir`), `demoData`,
 * `fsync`, `uniqueGroupDisplayName`, and `entity` keyed by baseEntity (the key "undefined" is the
 * default store; per-entity persistence/dbname/demoData must agree). Unknown keys are errors.
 * @throws LokiOptionsError listing every problem with its path (`endpoint.persistence: …`).
 * @example
 * lokiOptionsFromEndpoint({ persistence: true, dbname: 'loki.db', demoData: false }, '/etc/scim')
 * // → { persistence: { file: '/etc/scim/loki.db' }, demoData: false }
 */
export function lokiOptionsFromEndpoint (endpoint: JsonObject, configDir: string): LokiOptions {
  const r = validate(lokiEndpointSchema, endpoint, {}, ['endpoint'])
  if (!r.ok) throw new LokiOptionsError(r.errors.map(e => `${e.path}: ${e.message}`))
  return lokiOptionsFromConfig(r.value, configDir)
}
