// Public API of lib/helpers/rest: the outbound REST client for plugins and collectors.
export { createRestClient, RestClient } from './client.ts'
export type { RestClientOptions, RestRequest, RestResponse, RestStats } from './client.ts'
export { connectionSchema, parseConnection, AUTH_TYPES, GRAPH_URL } from './config.ts'
export type { ConnectionConfig, AuthConfig, AuthType, TlsConfig, RetryConfig } from './config.ts'
export { RestError, isRestError } from './errors.ts'
export type { RestErrorKind } from './errors.ts'
export type { SamlAssertionProvider, SamlAssertionRequest } from './auth/index.ts'
export { odataPages, scimPages } from './paging.ts'
