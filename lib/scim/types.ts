// Core value types of the SCIM library: JSON values, resources, schema definitions.
// Types for SCIM resources live here, in one place (CONVENTIONS.md §11).

export type ScimVersion = '1.1' | '2.0'

export type JsonPrimitive = string | number | boolean | null
export type JsonValue = JsonPrimitive | JsonValue[] | JsonObject
export interface JsonObject { [key: string]: JsonValue | undefined }

/** A SCIM resource as JSON (User, Group, …). `id`, `schemas` and `meta` are typed where known. */
export interface ScimResource extends JsonObject {
  id?: string
  externalId?: string
  schemas?: string[]
  meta?: ScimMeta
}

export interface ScimMeta extends JsonObject {
  resourceType?: string
  created?: string
  lastModified?: string
  location?: string
  version?: string
}

export interface ScimListResponse<T extends JsonObject = ScimResource> {
  schemas: string[]
  totalResults: number
  startIndex: number
  itemsPerPage: number
  Resources: T[]
}

export type AttributeType = 'string' | 'boolean' | 'decimal' | 'integer' | 'dateTime' | 'reference' | 'complex' | 'binary'
export type Mutability = 'readOnly' | 'readWrite' | 'immutable' | 'writeOnly'
export type Returned = 'always' | 'never' | 'default' | 'request'
export type Uniqueness = 'none' | 'server' | 'global'

/** RFC 7643 §7 attribute definition. */
export interface AttributeDef {
  name: string
  type: AttributeType
  multiValued: boolean
  description: string
  required: boolean
  caseExact: boolean
  mutability: Mutability
  returned: Returned
  uniqueness: Uniqueness
  subAttributes?: AttributeDef[]
  canonicalValues?: string[]
  referenceTypes?: string[]
}

/** RFC 7643 §7 schema definition. */
export interface SchemaDef {
  id: string
  name: string
  description: string
  attributes: AttributeDef[]
}

export interface SchemaExtensionRef { schema: string, required: boolean }

/** RFC 7643 §6 resource type. */
export interface ResourceTypeDef {
  id: string
  name: string
  endpoint: string
  description: string
  schema: string
  schemaExtensions: SchemaExtensionRef[]
}

/** A normalised SCIM PATCH operation (RFC 7644 §3.5.2): op lower-case, path a string (absent = whole resource). */
export interface PatchOperation {
  op: 'add' | 'remove' | 'replace'
  path?: string
  value?: JsonValue
}

export function isJsonObject (v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}
