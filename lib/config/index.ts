// Public API of lib/config: load and validate configuration, the schema toolkit, secrets at rest.
// Everything else in this directory is internal.
export { loadPluginConfig, loadYamlConfig, updateYamlValue } from './load.ts'
export type { LoadOptions, PluginLoadOptions, YamlLoadOptions, LoadedConfig } from './load.ts'
export { gatewayConfigSchema } from './gateway-schema.ts'
export type { GatewayConfig } from './gateway-schema.ts'
export { ConfigError, isConfigError } from './errors.ts'
export type { ConfigProblem } from './errors.ts'
export * as schema from './schema.ts'
export { validate, deepFreeze, Schema } from './schema.ts'
export type { Infer, ValidationIssue, ValidationResult, ValidateOptions } from './schema.ts'
export { formatPath } from './path.ts'
export type { PathSegment } from './path.ts'
export { isReference, parseReference, resolveReferences } from './references.ts'
export {
  ENCRYPTED_PREFIX, SECRET_KEY_NAMES, SecretDecryptError, decryptSecret, deriveSecretKey, encryptSecret,
  isEncrypted, isSecretPath, needsEncryption, readMachineIdentity
} from './secrets.ts'
export type { MachineIdentity, SecretKey } from './secrets.ts'
export { decryptSecretsInText, encryptSecretsInText, formatOf, rewriteFile, writeFileAtomic } from './file-secrets.ts'
