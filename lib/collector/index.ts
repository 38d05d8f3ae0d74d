// Public API of the SCIM Stream service (the `scim-stream` program): start the service, run the CLI,
// load its config, and the pieces a host program may want to reuse (pipeline run, publisher, state).
// Sub-modules have their own public index: nats/, mapper/, rules/, dynamics/, sources/hr/.
// Nothing starts on import.
export { startService, type ServiceOptions, type StreamService } from './service.ts'
export { runCli, parseArgs, USAGE, UsageError, type CliIo } from './cli/index.ts'
export {
  loadStreamConfig, checkSemantics, tenantsOf, streamConfigSchema,
  type StreamConfig, type TenantConfig, type CollectorType, type LoadedStreamConfig, type LoadStreamConfigOptions
} from './config.ts'
export { runTenant, keyOf, type TenantProgram, type RunDeps, type RunStats, type RunSource, type LifecycleDecision } from './pipeline.ts'
export { createTenantRuntime, type TenantRuntime, type CollectorHandle, type SourceFactory } from './tenant-runtime.ts'
export { defaultSources, SOURCES, COLLECTOR_TYPES, sourceDefinition } from './sources/registry.ts'
export type { SourceDefinition, SourceSection } from './sources/types.ts'
export { createPublisher, type Publisher, type PublisherOptions, type PubAck } from './publisher.ts'
export { openTenantState, type TenantState } from './state.ts'
export { diffView, prepareUser, membershipOf, composeView, leaveChannel, deleteUser, type UserChange, type ViewParts } from './diff.ts'
export { buildMessage, messageJson, subjectOf, newMessageId, type PublishedUserMessage } from './message.ts'
export type { StreamMessageBody, UserActivityOperation } from '../stream/contract/index.ts'
export { openNatsLink, type NatsLink } from './nats-link.ts'
