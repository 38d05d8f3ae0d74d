// `/Schemas` generated from an endpointMapper: the core schemas cut down to what the map carries, with
// custom attributes added and a valueMap's SCIM values published as canonicalValues — so a client
// (Entra ID's attribute picker, an agent) sees what this endpoint really stores.
import type { AttributeDef, AttributeType, SchemaDef } from '../../scim/types.ts'
import { ENTERPRISE_USER_SCHEMA, GROUP_SCHEMA, USER_SCHEMA } from '../../scim/schema/definitions.ts'
import type { MapType } from './config.ts'
import type { EndpointMapper, Mapping } from './mapper.ts'
import type { Kind, Target } from './paths.ts'

const CORE: Record<Kind, SchemaDef[]> = { user: [USER_SCHEMA, ENTERPRISE_USER_SCHEMA], group: [GROUP_SCHEMA] }
const COMMON = new Set(['id', 'externalid', 'meta'])

/**
 * The schema definitions a mapper publishes: per kind with a map, its core schema (and extensions)
 * limited to the mapped attributes; a kind without a map keeps the full core schemas.
 * @example new ScimGateway({ plugin: { …plugin, schemas: () => mapperSchemas(mapper) }, … })
 */
export function mapperSchemas (mapper: EndpointMapper): SchemaDef[] {
  const out: SchemaDef[] = []
  for (const kind of ['user', 'group'] as const) {
    if (!mapper.has(kind)) { out.push(...CORE[kind]); continue }
    const bySchema = new Map<string, Array<{ t: Target, m: Mapping }>>()
    for (const m of mapper.mappings[kind]) {
      for (const t of m.targets) {
        if (t.urn === undefined && COMMON.has(t.attr.toLowerCase())) continue
        const id = t.urn ?? CORE[kind][0]?.id ?? ''
        bySchema.set(id, [...(bySchema.get(id) ?? []), { t, m }])
      }
    }
    const core = CORE[kind][0]
    if (core !== undefined) out.push(cut(core, bySchema.get(core.id) ?? []))
    for (const [id, uses] of bySchema) {
      if (id === core?.id) continue
      const known = CORE[kind].find(sd => sd.id === id)
      out.push(cut(known ?? { id, name: id.slice(id.lastIndexOf(':') + 1), description: 'Custom extension (from the endpoint map)', attributes: [] }, uses))
    }
  }
  return out
}

function cut (schema: SchemaDef, uses: Array<{ t: Target, m: Mapping }>): SchemaDef {
  const attrs: AttributeDef[] = []
  const byAttr = new Map<string, Array<{ t: Target, m: Mapping }>>()
  for (const u of uses) {
    const k = u.t.attr.toLowerCase()
    byAttr.set(k, [...(byAttr.get(k) ?? []), u])
  }
  for (const def of schema.attributes) {
    const here = byAttr.get(def.name.toLowerCase())
    if (here === undefined) continue
    byAttr.delete(def.name.toLowerCase())
    attrs.push(shaped(def, here))
  }
  for (const here of byAttr.values()) {
    const first = here[0]
    if (first !== undefined) attrs.push(custom(first.t, here))
  }
  return { ...schema, attributes: attrs }
}

/** A core attribute limited to the mapped sub-attributes, with canonicalValues from valueMaps. */
function shaped (def: AttributeDef, uses: Array<{ t: Target, m: Mapping }>): AttributeDef {
  const out: AttributeDef = { ...def }
  const values = (m: Mapping): string[] | undefined => m.inbound !== undefined ? [...new Set(m.inbound.values())] : undefined
  if (def.subAttributes === undefined) {
    const cv = uses.map(u => values(u.m)).find(v => v !== undefined)
    if (cv !== undefined) out.canonicalValues = cv
    return out
  }
  if (uses.some(u => u.t.form === 'elements' || u.t.form === 'plain')) return out
  const subs = new Set(uses.map(u => (u.t.sub ?? 'value').toLowerCase()))
  const types = uses.flatMap(u => u.t.form === 'typed' && u.t.typeValue !== undefined ? [u.t.typeValue] : [])
  if (types.length > 0) subs.add('type')
  out.subAttributes = def.subAttributes.filter(sd => subs.has(sd.name.toLowerCase())).map(sd => {
    const s2: AttributeDef = { ...sd }
    if (sd.name === 'type' && types.length > 0) s2.canonicalValues = [...new Set(types)]
    const cv = uses.filter(u => (u.t.sub ?? 'value').toLowerCase() === sd.name.toLowerCase()).map(u => values(u.m)).find(v => v !== undefined)
    if (cv !== undefined) s2.canonicalValues = cv
    return s2
  })
  return out
}

const TYPES: Record<MapType, AttributeType> = { string: 'string', boolean: 'boolean', integer: 'integer', number: 'decimal', array: 'string' }

function base (name: string, type: AttributeType, multiValued: boolean, description: string): AttributeDef {
  return { name, type, multiValued, description, required: false, caseExact: false, mutability: 'readWrite', returned: 'default', uniqueness: 'none' }
}

/** An attribute the core schemas do not have (scimgateway plugins often map custom ones). */
function custom (t: Target, uses: Array<{ t: Target, m: Mapping }>): AttributeDef {
  const first = uses[0]?.m
  const description = `Mapped from the endpoint attribute ${uses.map(u => u.m.endpointAttr).join(', ')}`
  if (t.form === 'sub') {
    const subs = uses.map(u => base(u.t.sub ?? 'value', TYPES[u.m.type], u.m.type === 'array', `Mapped from ${u.m.endpointAttr}`))
    return { ...base(t.attr, 'complex', false, description), subAttributes: subs }
  }
  const def = base(t.attr, TYPES[first?.type ?? 'string'], first?.type === 'array', description)
  if (first?.inbound !== undefined) def.canonicalValues = [...new Set(first.inbound.values())]
  return def
}
