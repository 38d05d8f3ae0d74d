// The plugin SDK: everything a plugin author imports besides the contract (../types.ts) and lib/scim.
// - config: declare the `endpoint` section with the config schema toolkit (`s`), `definePlugin`
// - entities: per-baseEntity connections/pools/clients with health
// - errors: typed upstream errors (502/503/504 with cause) and `toUpstreamError`
// The endpointMapper lives in lib/helpers/endpoint-mapper, the REST client in lib/helpers/rest.
export { s, NO_BASE_ENTITY, entityKey, entityConfig, definePlugin, endpointSchema } from './config.ts'
export type { PluginDefinition, PluginEnv, EndpointOf } from './config.ts'
export { EntityHandles } from './entities.ts'
export type { EntityHandlesOptions, EntityUse } from './entities.ts'
export { UpstreamError, ServiceUnavailableError, GatewayTimeoutError, toUpstreamError, isUpstreamStatus } from './errors.ts'
export { ConfigError } from '../../config/errors.ts'
export type { ConfigProblem } from '../../config/errors.ts'
