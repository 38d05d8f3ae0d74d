// Public API of the SCIM library (pure protocol, no I/O): what plugins, the core, the stream module
// and the collector may import. Everything else under lib/scim is internal.
export type {
  ScimVersion, JsonPrimitive, JsonValue, JsonObject, ScimResource, ScimMeta, ScimListResponse,
  AttributeType, Mutability, Returned, Uniqueness, AttributeDef, SchemaDef, SchemaExtensionRef, ResourceTypeDef
} from './types.ts'
export { isJsonObject } from './types.ts'
export * from './errors.ts'
export * from './filter/index.ts'
export { parsePatchRequest, applyPatch, diffResources, type ApplyPatchOptions } from './patch/index.ts'
export { compileProjection, projectResource, parseAttributeList, stripNeverReturned, type Projector, type ProjectionOptions } from './projection.ts'
export { parseListParams, searchRequestToParams, sortResources, paginate, listResponse, type ListParams, type SortOrder } from './listing.ts'
export { validateResource } from './schema/validate.ts'
export * from './schema/definitions.ts'
export { createResourceSchema, coreResourceSchema, type ResourceSchema } from './schema/resolve.ts'
export {
  schemaDocuments, schemaDocument, schemaListResponse, resourceTypeDocuments, resourceTypeDocument,
  resourceTypeListResponse, serviceProviderConfig, type AuthenticationScheme, type ServiceProviderConfigOptions
} from './schema/discovery.ts'
export { resourceToV1, resourceFromV1, listResponseToV1, listResponseFromV1, patchV1ToOperations } from './convert/v1.ts'
export { toTypeConverted, fromTypeConverted, operationsToTypeConverted, TYPE_CONVERTED_ATTRIBUTES } from './convert/typeconvert.ts'
export * from './bulk/index.ts'
export { computeEtag, parseEtagList, ifMatchPasses, ifNoneMatchPasses, evaluatePreconditions, type PreconditionOutcome } from './etag.ts'
