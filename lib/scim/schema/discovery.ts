// Discovery documents (RFC 7643 §5–§7, RFC 7644 §4) for SCIM 2.0 and the SCIM 1.1 equivalents:
// /Schemas, /ResourceTypes, /ServiceProviderConfig(s). Everything is generated from the one set of
// definitions in definitions.ts (or the caller's own schemas), so the documents cannot drift from
// what validation, projection and filtering actually use.
import type { AttributeDef, JsonObject, ResourceTypeDef, SchemaDef, ScimListResponse, ScimVersion } from '../types.ts'
import {
  COMMON_ATTRIBUTES, CORE_RESOURCE_TYPES, CORE_SCHEMAS, SCHEMA_CORE_V1, SCHEMA_ENTERPRISE_USER, SCHEMA_ENTERPRISE_V1,
  SCHEMA_RESOURCE_TYPE, SCHEMA_SCHEMA, SCHEMA_SERVICE_PROVIDER_CONFIG
} from './definitions.ts'
import { listResponse } from '../listing.ts'

/** Where discovery documents come from and where they are served. */
export interface DiscoveryOptions {
  /** Base URL of the SCIM endpoint (no trailing slash needed), used for `meta.location`. Omitted: no location. */
  baseUrl?: string
  /** Schema definitions to publish; default: the core User, EnterpriseUser and Group schemas. */
  schemas?: readonly SchemaDef[]
  /** Resource types to publish; default: User and Group. */
  resourceTypes?: readonly ResourceTypeDef[]
}

/** An authentication scheme as announced in the ServiceProviderConfig (RFC 7643 §5). */
export interface AuthenticationScheme {
  /** e.g. `oauthbearertoken`, `httpbasic`, `oauth2`. */
  type: string
  name: string
  description: string
  specUri?: string
  documentationUri?: string
  primary?: boolean
}

/** Capabilities announced by the ServiceProviderConfig. */
export interface ServiceProviderConfigOptions {
  version: ScimVersion
  baseUrl?: string
  patch: boolean
  bulk: { supported: boolean, maxOperations: number, maxPayloadSize: number }
  filter: { supported: boolean, maxResults: number }
  changePassword: boolean
  sort: boolean
  etag: boolean
  authenticationSchemes: AuthenticationScheme[]
  documentationUri?: string
}

/**
 * The schema documents of the `/Schemas` endpoint.
 * 2.0: RFC 7643 §7 (schemas `[...:core:2.0:Schema]`, `meta.resourceType: "Schema"`).
 * 1.1: the SCIM 1.1 shape (`schema`, `endpoint`, `readOnly`, 1.0 URNs; common attributes included).
 * @example
 * const docs = schemaDocuments('2.0', { baseUrl: 'https://gw.example.com/scim' })
 */
export function schemaDocuments (version: ScimVersion, opts: DiscoveryOptions = {}): JsonObject[] {
  const schemas = opts.schemas ?? CORE_SCHEMAS
  const types = opts.resourceTypes ?? CORE_RESOURCE_TYPES
  return schemas.map(s => version === '1.1' ? schemaDocV1(s, types) : schemaDocV2(s, opts.baseUrl))
}

/**
 * One schema document by id (case-insensitive). For 1.1 also accepts the 1.1 ids
 * (`urn:scim:schemas:core:1.0:User`) and the resource names used as 1.1 paths (`Users`, `User`).
 */
export function schemaDocument (version: ScimVersion, id: string, opts: DiscoveryOptions = {}): JsonObject | undefined {
  const wanted = id.toLowerCase()
  return schemaDocuments(version, opts).find(d => {
    const ids = [d.id, d.name, typeof d.endpoint === 'string' ? d.endpoint.replace(/^\//, '') : undefined]
    return ids.some(v => typeof v === 'string' && v.toLowerCase() === wanted) ||
      (version === '1.1' && typeof d.name === 'string' && `${d.name.toLowerCase()}s` === wanted)
  })
}

/** `/Schemas` as a list response of the given version. */
export function schemaListResponse (version: ScimVersion, opts: DiscoveryOptions = {}): ScimListResponse<JsonObject> {
  return listResponse(schemaDocuments(version, opts), { version })
}

/** The resource type documents of `/ResourceTypes` (RFC 7643 §6). SCIM 1.1 has no such endpoint; its form uses 1.0 URNs. */
export function resourceTypeDocuments (version: ScimVersion, opts: DiscoveryOptions = {}): JsonObject[] {
  const types = opts.resourceTypes ?? CORE_RESOURCE_TYPES
  return types.map(rt => {
    if (version === '1.1') {
      return {
        id: rt.id,
        name: rt.name,
        endpoint: rt.endpoint,
        description: rt.description,
        schema: SCHEMA_CORE_V1,
        schemaExtensions: rt.schemaExtensions.map(e => ({ schema: v1Urn(e.schema), required: e.required }))
      }
    }
    const doc: JsonObject = {
      schemas: [SCHEMA_RESOURCE_TYPE],
      id: rt.id,
      name: rt.name,
      endpoint: rt.endpoint,
      description: rt.description,
      schema: rt.schema,
      schemaExtensions: rt.schemaExtensions.map(e => ({ schema: e.schema, required: e.required })),
      meta: meta('ResourceType', opts.baseUrl, `ResourceTypes/${rt.id}`)
    }
    return doc
  })
}

/** One resource type document by id or name (case-insensitive). */
export function resourceTypeDocument (version: ScimVersion, id: string, opts: DiscoveryOptions = {}): JsonObject | undefined {
  const wanted = id.toLowerCase()
  return resourceTypeDocuments(version, opts).find(d => typeof d.id === 'string' && d.id.toLowerCase() === wanted)
}

/** `/ResourceTypes` as a list response of the given version. */
export function resourceTypeListResponse (version: ScimVersion, opts: DiscoveryOptions = {}): ScimListResponse<JsonObject> {
  return listResponse(resourceTypeDocuments(version, opts), { version })
}

/**
 * The ServiceProviderConfig document: RFC 7643 §5 for 2.0, the SCIM 1.1 form
 * (`/ServiceProviderConfigs`, schemas `urn:scim:schemas:core:1.0`, `id`, `specUrl`/`documentationUrl`) for 1.1.
 * @example
 * serviceProviderConfig({ version: '2.0', patch: true, bulk: { supported: true, maxOperations: 1000, maxPayloadSize: 1048576 },
 *   filter: { supported: true, maxResults: 200 }, changePassword: false, sort: true, etag: true,
 *   authenticationSchemes: [{ type: 'oauthbearertoken', name: 'OAuth Bearer Token', description: 'Bearer token' }] })
 */
export function serviceProviderConfig (opts: ServiceProviderConfigOptions): JsonObject {
  const common: JsonObject = {
    patch: { supported: opts.patch },
    bulk: { supported: opts.bulk.supported, maxOperations: opts.bulk.maxOperations, maxPayloadSize: opts.bulk.maxPayloadSize },
    filter: { supported: opts.filter.supported, maxResults: opts.filter.maxResults },
    changePassword: { supported: opts.changePassword },
    sort: { supported: opts.sort },
    etag: { supported: opts.etag }
  }
  if (opts.version === '1.1') {
    const doc: JsonObject = { schemas: [SCHEMA_CORE_V1], id: SCHEMA_CORE_V1 }
    if (opts.documentationUri !== undefined) doc.documentationUrl = opts.documentationUri
    Object.assign(doc, common, { xmlDataFormat: { supported: false } })
    doc.authenticationSchemes = opts.authenticationSchemes.map(a => {
      const s: JsonObject = { type: a.type, name: a.name, description: a.description }
      if (a.specUri !== undefined) s.specUrl = a.specUri
      if (a.documentationUri !== undefined) s.documentationUrl = a.documentationUri
      if (a.primary !== undefined) s.primary = a.primary
      return s
    })
    return doc
  }
  const doc: JsonObject = { schemas: [SCHEMA_SERVICE_PROVIDER_CONFIG] }
  if (opts.documentationUri !== undefined) doc.documentationUri = opts.documentationUri
  Object.assign(doc, common)
  doc.authenticationSchemes = opts.authenticationSchemes.map(a => {
    const s: JsonObject = { type: a.type, name: a.name, description: a.description }
    if (a.specUri !== undefined) s.specUri = a.specUri
    if (a.documentationUri !== undefined) s.documentationUri = a.documentationUri
    if (a.primary !== undefined) s.primary = a.primary
    return s
  })
  doc.meta = meta('ServiceProviderConfig', opts.baseUrl, 'ServiceProviderConfig')
  return doc
}

/** RFC 7643 §7 attribute definition as JSON: every characteristic present (canonicalValues and referenceTypes where defined). */
export function attributeDocument (def: AttributeDef): JsonObject {
  const doc: JsonObject = {
    name: def.name,
    type: def.type,
    multiValued: def.multiValued,
    description: def.description,
    required: def.required,
    caseExact: def.caseExact,
    mutability: def.mutability,
    returned: def.returned,
    uniqueness: def.uniqueness
  }
  if (def.canonicalValues !== undefined) doc.canonicalValues = [...def.canonicalValues]
  if (def.type === 'reference') doc.referenceTypes = [...(def.referenceTypes ?? ['external'])]
  if (def.type === 'complex') doc.subAttributes = (def.subAttributes ?? []).map(attributeDocument)
  return doc
}

// ---------------------------------------------------------------------------------------------

function schemaDocV2 (s: SchemaDef, baseUrl: string | undefined): JsonObject {
  return {
    schemas: [SCHEMA_SCHEMA],
    id: s.id,
    name: s.name,
    description: s.description,
    attributes: s.attributes.map(attributeDocument),
    meta: meta('Schema', baseUrl, `Schemas/${s.id}`)
  }
}

/** SCIM 1.1 (draft-scim-core-schema-01 §7) schema: one per resource, with `schema` and `endpoint`. */
function schemaDocV1 (s: SchemaDef, types: readonly ResourceTypeDef[]): JsonObject {
  const rt = types.find(t => t.schema === s.id)
  const urn = v1Urn(s.id)
  const attrs = rt !== undefined ? [...COMMON_ATTRIBUTES, ...s.attributes] : s.attributes
  const doc: JsonObject = {
    id: rt !== undefined ? `${urn}:${rt.name}` : urn,
    name: s.name,
    description: s.description,
    schema: urn
  }
  if (rt !== undefined) doc.endpoint = rt.endpoint
  doc.attributes = attrs.map(a => attributeDocumentV1(a, urn))
  return doc
}

function attributeDocumentV1 (def: AttributeDef, schema: string | undefined): JsonObject {
  const doc: JsonObject = {
    name: def.name,
    // 1.1 has no `reference` type; references are strings there.
    type: def.type === 'reference' ? 'string' : def.type,
    multiValued: def.multiValued
  }
  if (def.multiValued) doc.multiValuedAttributeChildName = singular(def.name)
  doc.description = def.description
  if (schema !== undefined) doc.schema = schema
  doc.readOnly = def.mutability === 'readOnly'
  doc.required = def.required
  doc.caseExact = def.caseExact
  if (def.canonicalValues !== undefined) doc.canonicalValues = def.canonicalValues.map(v => ({ value: v }))
  if (def.type === 'complex') doc.subAttributes = (def.subAttributes ?? []).map(a => attributeDocumentV1(a, undefined))
  return doc
}

function v1Urn (urn: string): string {
  if (urn === SCHEMA_ENTERPRISE_USER) return SCHEMA_ENTERPRISE_V1
  if (urn.startsWith('urn:ietf:params:scim:schemas:core:2.0:')) return SCHEMA_CORE_V1
  return urn
}

function singular (name: string): string {
  if (name.endsWith('sses')) return name.slice(0, -2)
  if (name.endsWith('s')) return name.slice(0, -1)
  return name
}

function meta (resourceType: string, baseUrl: string | undefined, rel: string): JsonObject {
  const m: JsonObject = { resourceType }
  if (baseUrl !== undefined) m.location = `${baseUrl.replace(/\/+$/, '')}/${rel}`
  return m
}
