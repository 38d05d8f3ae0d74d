// A capturing Logger for tests: keeps every line (masked exactly like the real logger) in memory,
// so a test can assert what was logged and that no secret was.

import type { LogLevel, LogMeta, Logger } from './types.ts'
import { createMasker } from './mask.ts'
import { SEVERITY, loggerOver } from './base.ts'

/** One captured line. */
export interface CapturedLine {
  level: LogLevel
  message: string
  meta: LogMeta
}

/** A Logger that records its lines; children append to the same `lines`. */
export interface MemoryLogger extends Logger {
  readonly lines: CapturedLine[]
  /** Drops everything captured so far. */
  clear (): void
}

/** Options for {@link createMemoryLogger}. */
export interface MemoryLoggerOptions {
  /** Most verbose level kept (default 'debug'). */
  level?: LogLevel
  /** Extra keys to mask (as `log.customMasking`). */
  customMasking?: string[]
}

/**
 * Creates a capturing logger for tests.
 *
 * @example
 * const log = createMemoryLogger()
 * await doSomething({ log })
 * assert.ok(!JSON.stringify(log.lines).includes('Secret123'))
 */
export function createMemoryLogger (opts: MemoryLoggerOptions = {}): MemoryLogger {
  const lines: CapturedLine[] = []
  const threshold = SEVERITY[opts.level ?? 'debug']
  const sink = {
    threshold: () => threshold,
    write: (level: LogLevel, message: string, meta: LogMeta) => { lines.push({ level, message, meta: { ...meta } }) }
  }
  const logger = loggerOver(sink, createMasker(opts.customMasking), {})
  return Object.assign(logger, { lines, clear: () => { lines.length = 0 } })
}
