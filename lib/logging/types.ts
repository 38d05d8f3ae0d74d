// The logger interface every part of the project receives (injected, never global).
// lib/logging provides the winston-backed implementation; tests may pass a silent or capturing one.

export type LogLevel = 'error' | 'warn' | 'info' | 'debug'
export type LogMeta = Record<string, unknown>

export interface Logger {
  error (message: string, meta?: LogMeta): void
  warn (message: string, meta?: LogMeta): void
  info (message: string, meta?: LogMeta): void
  debug (message: string, meta?: LogMeta): void
  /** A logger that adds `meta` (e.g. {plugin, baseEntity, requestId}) to every line. */
  child (meta: LogMeta): Logger
}

/** A logger that drops everything (tests, benchmarks). */
export const silentLogger: Logger = {
  error () {}, warn () {}, info () {}, debug () {},
  child () { return silentLogger }
}
