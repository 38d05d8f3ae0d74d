// Public API of the Entra ID collector (entra.<tenant>): the collector, its config reader, the
// error types and its source definition (sources/registry.ts). Everything else in this folder is internal.
export { createEntraCollector, type EntraCollector, type EntraCollectorDeps, type EntraRunInfo, type EntraStream } from './collector.ts'
export { parseEntraConfig, EntraConfigError, DEFAULT_SELECT, DEFAULT_GRAPH_URL, DEFAULT_LOGIN_URL, ENTRA_AUTH_KEYS, ENTRA_GENERAL_KEYS, ENTRA_OPTION_KEYS, type EntraClient, type EntraCollectorConfig, type EntraAuthConfig, type EntraGeneralConfig, type EntraConfigProblem, type GroupMembership } from './config.ts'
// Graph failures are RestErrors of the shared client (kind, status, Graph's error in `body`)
export { needsResync, graphCode } from './graph.ts'
export { RestError, isRestError } from '../../../helpers/rest/index.ts'
export type { EntraGroupRef, EntraRoleRef } from './memberships.ts'
export { fileMirrorStore, memoryMirrorStore, type Mirror, type MirrorStore } from './mirror.ts'
export { entraSource, entraConfigProblems } from './definition.ts'
