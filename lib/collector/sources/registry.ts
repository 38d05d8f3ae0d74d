// The sources the service knows, registered here and nowhere else: one definition per collector
// type (sources/<type>/definition.ts). The config checks, the list of tenant types and the default
// collector factory look a source up here by its type, so adding a source is a definition and a
// line in SOURCES (plus its `<type>:` section in the config schema).
import type { CollectorType, SourceDefinition, SourceFactory } from './types.ts'
import { entraSource } from './entra/index.ts'
import { hrSource } from './hr/index.ts'

/** Every source, in the order tenants are listed (entra, then hr). */
export const SOURCES: readonly SourceDefinition[] = [entraSource, hrSource]

/** The collector types, in {@link SOURCES} order. */
export const COLLECTOR_TYPES: readonly CollectorType[] = SOURCES.map(d => d.type)

/**
 * The definition of a collector type.
 * @throws Error for a type no source registered
 */
export function sourceDefinition (type: CollectorType): SourceDefinition {
  const d = SOURCES.find(x => x.type === type)
  if (d === undefined) throw new Error(`no source registered for collector type "${String(type)}"`)
  return d
}

/** The collectors the service uses unless told otherwise: each tenant's from its type's definition. */
export const defaultSources: SourceFactory = (tenant, type, cfg, log, ctx) => sourceDefinition(type).create(tenant, cfg, log, ctx)
