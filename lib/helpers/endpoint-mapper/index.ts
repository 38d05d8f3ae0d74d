// endpointMapper: SCIM ⇄ endpoint attribute mapping with valueMap (rename + allowlist) and the
// /Schemas it implies. Config shape: scimgateway's `endpoint.map.user|group` (see config.ts).
export { mapSchema, type MapConfig, type MapEntry, type MapType } from './config.ts'
export { EndpointMapper, type EndpointFilter, type Mapping } from './mapper.ts'
export { mapperSchemas } from './schemas.ts'
export { parseTarget, type Kind, type Target } from './paths.ts'
