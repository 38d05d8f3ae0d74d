// Public API of the gateway core: the ScimGateway class, its options and the service (for the stream
// module and embedders). The config-driven launcher (runGateway) sits above core and stream in
// lib/launcher.
export { ScimGateway, type ScimGatewayInit } from './gateway.ts'
export {
  gatewayOptions, DEFAULT_GATEWAY_OPTIONS, type GatewayOptions, type RequestGate, type PrincipalGate,
  type AuthObserver, type RequestForwarder, type TlsOptions
} from './options.ts'
export { ScimService, schemaOf, parseOptionalFilter, type ServiceOptions, type ListQuery, type ListResult, type Preconditions } from './service.ts'
export type { RequestContext, ResourceKind } from './context.ts'
export { parseRoutePath, type RoutePath, type RouteResource } from './route-path.ts'
export { gatewayOptionsFromConfig, authenticatorsFromConfig, type AuthenticatorFactory } from './from-config.ts'
export { gatewayHealth, type GatewayHealth } from './health.ts'
export { guardPlugin, type GuardOptions } from './plugin-guard.ts'
