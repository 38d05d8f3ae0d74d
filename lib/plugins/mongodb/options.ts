// The `endpoint` section of config/plugin-mongodb.json: a connection URL and database per baseEntity
// (multi-tenant: each baseEntity its own database, or its own collection prefix in a shared one).
import { endpointSchema, s } from '../sdk/index.ts'

const settings = {
  url: s.string({ pattern: /^mongodb(\+srv)?:\/\/\S+$/, patternName: 'mongodb:// or mongodb+srv:// URL' }).optional(),
  database: s.string({ pattern: /^[^/\\. "$*<>:|?]{1,63}$/, patternName: 'MongoDB database name' }).optional(),
  collectionPrefix: s.string({ pattern: /^[A-Za-z0-9_]{0,40}$/, patternName: 'letters, digits and _' }).optional()
}

export const mongoEndpointSchema = endpointSchema({
  top: { ...settings, uniqueGroupDisplayName: s.boolean().default(true), connectTimeoutMs: s.integer({ min: 100 }).default(5000) },
  entity: settings
}).refine((v, report) => {
  const keys = Object.keys(v.entity)
  if (keys.length === 0 && v.url === undefined) report('required (or endpoint.entity.<baseEntity>.url)', ['url'])
  for (const k of keys) if (v.entity[k]?.url === undefined && v.url === undefined) report('required when endpoint.url is not given', ['entity', k, 'url'])
})

export type MongoEndpoint = s.Infer<typeof mongoEndpointSchema>

export interface MongoEntity { url: string, database: string, collectionPrefix: string }

/** Each baseEntity's settings: the top-level ones apply unless the entity overrides them; the default database is `scim`. */
export function mongoEntities (e: MongoEndpoint): Record<string, MongoEntity> {
  const entity = Object.keys(e.entity).length > 0 ? e.entity : { undefined: {} }
  const out: Record<string, MongoEntity> = {}
  for (const [k, v] of Object.entries(entity)) {
    out[k] = { url: v.url ?? e.url ?? '', database: v.database ?? e.database ?? 'scim', collectionPrefix: v.collectionPrefix ?? e.collectionPrefix ?? '' }
  }
  return out
}
