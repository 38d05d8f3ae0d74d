// The package's public API — `import { … } from 'scimgateway-ts'`. Importing it starts nothing:
// index.ts at the repository root is the runnable example that calls runGateway().
// - the gateway: ScimGateway, runGateway, options, the service, monitoring
// - the plugin contract (types) and SDK (definePlugin, endpointSchema, EntityHandles, typed errors)
// - the embedded store plugin; other plugins come from 'scimgateway-ts/plugins/<name>'
// - namespaces for the rest: scim (protocol library), auth, config, logging, mail, stream
export {
  ScimGateway, gatewayOptions, gatewayOptionsFromConfig, authenticatorsFromConfig, DEFAULT_GATEWAY_OPTIONS,
  ScimService, parseRoutePath
} from './core/index.ts'
export type {
  ScimGatewayInit, GatewayOptions, RequestGate, PrincipalGate, AuthObserver, RequestForwarder, TlsOptions,
  ServiceOptions, ListQuery, ListResult, RequestContext, ResourceKind, RoutePath, AuthenticatorFactory
} from './core/index.ts'
export { runGateway, type PluginFactory, type RunOptions, type FactoryEnv } from './launcher/index.ts'
export { GatewayMonitor, type ReadinessCheck, type ReadinessResult } from './core/monitor.ts'
export type { GatewayHealth } from './core/health.ts'

export type * from './plugins/types.ts'
export {
  s, NO_BASE_ENTITY, entityKey, entityConfig, definePlugin, endpointSchema, EntityHandles,
  UpstreamError, ServiceUnavailableError, GatewayTimeoutError, toUpstreamError, isUpstreamStatus
} from './plugins/sdk/index.ts'
export type { PluginDefinition, PluginEnv, EndpointOf, EntityHandlesOptions, EntityUse } from './plugins/sdk/index.ts'
export { createLokiPlugin, lokiOptionsFromEndpoint, lokiPlugin, type LokiOptions } from './plugins/plugin-loki.ts'

export { ScimError, isScimError } from './scim/errors.ts'
export { ConfigError, isConfigError, type ConfigProblem } from './config/errors.ts'
export { createLogger, silentLogger, type Logger, type LogLevel, type LogMeta } from './logging/index.ts'

export * as scim from './scim/index.ts'
export * as auth from './auth/index.ts'
export * as config from './config/index.ts'
export * as logging from './logging/index.ts'
export * as mail from './mail/index.ts'
export * as stream from './stream/index.ts'
export * as rest from './helpers/rest/index.ts'
export * as endpointMapper from './helpers/endpoint-mapper/index.ts'
