// Public API of lib/logging: the Logger interface, the winston-backed logger, masking, the push
// channel and the capturing test logger. Everything else in this folder is internal.

export type { LogLevel, LogMeta, Logger } from './types.ts'
export { silentLogger } from './types.ts'
export { createLogger, type CreateLoggerOptions, type ClosableLogger, type LevelSetting } from './logger.ts'
export { maskSecrets, maskText, createMasker, MASK, type Masker } from './mask.ts'
export { createLogPush, type LogPush, type LogPushOptions, type LogEntry, type LogListener, type DeliveryInfo } from './push.ts'
export { createMemoryLogger, type MemoryLogger, type MemoryLoggerOptions, type CapturedLine } from './memory.ts'
