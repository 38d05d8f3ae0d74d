// The part every Logger implementation shares: level gate first, then masking, then the sink.
// A sink says which levels it wants right now and receives masked lines; child loggers are a
// closure over the parent's sink plus their (masked once, at creation) meta.

import type { LogLevel, LogMeta, Logger } from './types.ts'
import type { Masker } from './mask.ts'

/** Numeric severity: lower is more severe. 'off' is -1, so nothing passes. */
export const SEVERITY: Readonly<Record<LogLevel | 'off', number>> = { off: -1, error: 0, warn: 1, info: 2, debug: 3 }

/** Where a logger's lines go. */
export interface LogSink {
  /** Most verbose severity any destination wants now (checked before any formatting). */
  threshold (): number
  /** Receives a line whose message and meta are already masked; must not mutate `meta`. */
  write (level: LogLevel, message: string, meta: LogMeta): void
}

/** Builds a Logger over `sink` with `meta` bound to every line. `meta` must already be masked. */
export function loggerOver (sink: LogSink, masker: Masker, meta: LogMeta): Logger {
  const log = (level: LogLevel, message: string, callMeta: LogMeta | undefined): void => {
    if (SEVERITY[level] > sink.threshold()) return
    let merged = meta
    if (callMeta !== undefined) {
      const masked = masker.maskSecrets(callMeta)
      if (masked !== null && typeof masked === 'object' && !Array.isArray(masked)) merged = { ...meta, ...(masked as LogMeta) }
    }
    sink.write(level, masker.maskText(typeof message === 'string' ? message : String(message)), merged)
  }
  return {
    error: (message, m) => { log('error', message, m) },
    warn: (message, m) => { log('warn', message, m) },
    info: (message, m) => { log('info', message, m) },
    debug: (message, m) => { log('debug', message, m) },
    child: (childMeta) => {
      const masked = masker.maskSecrets(childMeta)
      const extra = masked !== null && typeof masked === 'object' && !Array.isArray(masked) ? (masked as LogMeta) : {}
      return loggerOver(sink, masker, { ...meta, ...extra })
    }
  }
}
