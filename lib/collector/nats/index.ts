// Public API of the builtin NATS infrastructure of the SCIM Stream service (operator-mode
// credentials, TLS material, generated config, supervised nats-server, tenant streams).
// Everything else in this directory is internal.
export { startBuiltinNats } from './builtin.ts'
export type { BuiltinNats, BuiltinNatsOptions } from './builtin.ts'
export {
  createOperator, createTenant, signTenantJwt, issueUser, issueSystemUser, formatCredsFile,
  assertTenantName, DEFAULT_TENANT_LIMITS
} from './credentials.ts'
export type { OperatorCreds, TenantCreds, TenantLimits, TenantOptions, UserCreds } from './credentials.ts'
export {
  USER_TYPES, SIGNING_KEY_ROLE, permissionTemplate, inboxPrefixFor, deadLetterSubject, deadLetterStreamName
} from './permissions.ts'
export type { UserType, InboxMode } from './permissions.ts'
export { serializeCredentials, parseCredentials, loadCredentials, saveCredentials } from './store.ts'
export type { CredentialStore } from './store.ts'
export { ensureTlsFiles } from './tls.ts'
export { loadConfiguredTls, CertificateFileError } from './tls-configured.ts'
export type { CertificateNames, ServerTlsFiles } from './tls-configured.ts'
export type { TlsFiles, TlsOptions } from './tls.ts'
export { renderServerConfig, writeServerConfig, SERVER_NAME } from './server-config.ts'
export type { ServerConfigOptions } from './server-config.ts'
export { startNatsServer, findNatsServerBinary } from './server-process.ts'
export type { NatsServerHandle, NatsServerOptions } from './server-process.ts'
export { connectAs, pushAccountJwt } from './connect.ts'
export type { ClientCreds, ConnectAsOptions } from './connect.ts'
export { ensureTenantStream, TENANT_STREAM_SUBJECTS, DLQ_STREAM_SUBJECTS } from './streams.ts'
export type { TenantStreamOptions } from './streams.ts'
export { DLQ_HEADERS, deadLetterHeaders, listDeadLetters, replayDeadLetter } from './dlq.ts'
export type { DeadLetter, DeadLetterInfo } from './dlq.ts'
