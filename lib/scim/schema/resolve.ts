// Attribute resolution against a resource type's schemas: case-insensitive names, schema-qualified
// paths (`urn:...:User:manager.value`), sub-attributes. Used by filter evaluation (caseExact, dateTime),
// PATCH (mutability, multiValued), projection (returned) and validation.
import type { AttributeDef, ResourceTypeDef, SchemaDef } from '../types.ts'
import type { AttrPath } from '../filter/ast.ts'
import { COMMON_ATTRIBUTES, CORE_RESOURCE_TYPES, CORE_SCHEMAS, SCHEMA_CORE_V1 } from './definitions.ts'

/** A resource type together with its schema definitions, indexed for fast, case-insensitive lookup. */
export interface ResourceSchema {
  readonly resourceType: ResourceTypeDef
  /** Core schema first, then extensions. */
  readonly schemas: readonly SchemaDef[]
  /** Resolve `attr[.sub]` (optionally schema-qualified). Undefined when unknown. */
  attribute (path: AttrPath): AttributeDef | undefined
  /** Which schema URN an attribute name (no uri) belongs to: the core schema or an extension. */
  schemaOf (path: AttrPath): string | undefined
  /** Extension URNs of this resource type (lower-cased lookup). */
  isExtension (uri: string): boolean
}

export function findSub (def: AttributeDef, name: string): AttributeDef | undefined {
  const lname = name.toLowerCase()
  return def.subAttributes?.find(s => s.name.toLowerCase() === lname)
}

/** Builds a ResourceSchema. `schemas` must contain the resource type's core schema and extensions. */
export function createResourceSchema (resourceType: ResourceTypeDef, schemas: readonly SchemaDef[] = CORE_SCHEMAS): ResourceSchema {
  const byId = new Map(schemas.map(s => [s.id.toLowerCase(), s]))
  const core = byId.get(resourceType.schema.toLowerCase())
  if (core === undefined) throw new Error(`schema ${resourceType.schema} of resource type ${resourceType.id} is not defined`)
  const ext = resourceType.schemaExtensions
    .map(e => byId.get(e.schema.toLowerCase()))
    .filter((s): s is SchemaDef => s !== undefined)
  const ordered = [core, ...ext]
  // name (lower) -> [def, schema urn]; core + common attrs; extension attrs only reachable via their uri
  const coreIndex = new Map<string, AttributeDef>()
  for (const a of [...COMMON_ATTRIBUTES, ...core.attributes]) coreIndex.set(a.name.toLowerCase(), a)
  const extIndex = new Map<string, Map<string, AttributeDef>>()
  for (const s of ext) extIndex.set(s.id.toLowerCase(), new Map(s.attributes.map(a => [a.name.toLowerCase(), a])))
  const coreUri = core.id.toLowerCase()

  function top (path: AttrPath): AttributeDef | undefined {
    const name = path.attr.toLowerCase()
    if (path.uri === undefined) return coreIndex.get(name)
    const uri = path.uri.toLowerCase()
    if (uri === coreUri || uri === SCHEMA_CORE_V1) return coreIndex.get(name)
    return extIndex.get(uri)?.get(name)
  }

  return {
    resourceType,
    schemas: ordered,
    attribute (path) {
      const t = top(path)
      if (t === undefined || path.sub === undefined) return t
      return findSub(t, path.sub)
    },
    schemaOf (path) {
      if (path.uri !== undefined) return ordered.find(s => s.id.toLowerCase() === path.uri?.toLowerCase())?.id
      return coreIndex.has(path.attr.toLowerCase()) ? core.id : undefined
    },
    isExtension (uri) { return extIndex.has(uri.toLowerCase()) }
  }
}

const defaults = new Map<string, ResourceSchema>()
/** The ResourceSchema of the built-in `User` or `Group` resource type. */
export function coreResourceSchema (id: 'User' | 'Group'): ResourceSchema {
  let rs = defaults.get(id)
  if (rs === undefined) {
    const rt = CORE_RESOURCE_TYPES.find(r => r.id === id)
    if (rt === undefined) throw new Error(`unknown resource type ${id}`)
    rs = createResourceSchema(rt)
    defaults.set(id, rs)
  }
  return rs
}
