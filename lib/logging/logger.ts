// The production Logger: winston with a console (stream) transport and a size-rotating file
// transport, each with its own level (scimgateway's log.loglevel.console / log.loglevel.file).
// The level gate runs before masking, formatting and winston, so a disabled level costs one
// comparison. Every line is masked before it reaches winston or the push channel.

import { withDeadline } from '../util/async.ts'
import { mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import winston from 'winston'
import type { LogLevel, LogMeta, Logger } from './types.ts'
import type { LogPush } from './push.ts'
import { createMasker } from './mask.ts'
import { SEVERITY, loggerOver, type LogSink } from './base.ts'
import { formatLine } from './format.ts'
import { RotatingFile } from './rotating-file.ts'

/** A level for one destination, or 'off'. */
export type LevelSetting = LogLevel | 'off'

/** Options for {@link createLogger}. */
export interface CreateLoggerOptions {
  /** Logger name written on every line (the plugin name, e.g. 'plugin-loki'). */
  name: string
  /** Console level (default 'info'). */
  console?: LevelSetting
  /** Size-rotating log file. */
  file?: {
    level: LevelSetting
    path: string
    /** Rotate when the file reaches this many bytes (default 20 MB). */
    maxSize?: number
    /** Files kept including the current one (default 5). */
    maxFiles?: number
  }
  /** Extra attribute names to mask (scimgateway's `log.customMasking`). */
  customMasking?: string[]
  /** Channel every written line is also published to (only while it has subscribers). */
  push?: LogPush
  /** Level for the push channel (default: the most verbose of console/file, or 'info' when both are off). */
  pushLevel?: LevelSetting
  /** Write JSON lines instead of text. */
  json?: boolean
  /** Where console lines go (default process.stdout); mainly for tests. */
  consoleStream?: NodeJS.WritableStream
}

/** A Logger that owns transports and must be closed to flush them. */
export interface ClosableLogger extends Logger {
  /** Flushes and closes the transports; lines logged afterwards are dropped. Idempotent. */
  close (): Promise<void>
}

const LEVELS: Record<LogLevel, number> = { error: 0, warn: 1, info: 2, debug: 3 }
const DEFAULT_MAX_SIZE = 20 * 1024 * 1024
const DEFAULT_MAX_FILES = 5

/**
 * Creates the winston-backed logger.
 *
 * @example
 * const log = createLogger({ name: 'plugin-loki', console: 'error',
 *   file: { level: 'debug', path: 'logs/plugin-loki.log' }, customMasking: ['ssn'] })
 * const reqLog = log.child({ requestId, baseEntity })
 * reqLog.info('GET /Users') // → 2026-…Z plugin-loki info: GET /Users {"requestId":"…","baseEntity":"…"}
 * await log.close()
 */
export function createLogger (opts: CreateLoggerOptions): ClosableLogger {
  const consoleLevel = opts.console ?? 'info'
  const fileLevel = opts.file?.level ?? 'off'
  const transports: winston.transport[] = []
  let file: RotatingFile | undefined
  if (consoleLevel !== 'off') {
    transports.push(new winston.transports.Stream({ stream: opts.consoleStream ?? process.stdout, level: consoleLevel }))
  }
  if (opts.file !== undefined && fileLevel !== 'off') {
    mkdirSync(dirname(opts.file.path), { recursive: true })
    file = new RotatingFile({
      path: opts.file.path,
      maxSize: opts.file.maxSize ?? DEFAULT_MAX_SIZE,
      maxFiles: opts.file.maxFiles ?? DEFAULT_MAX_FILES,
      onError: fileErrorReporter()
    })
    transports.push(new winston.transports.Stream({ stream: file.writable(), level: fileLevel }))
  }
  const transportThreshold = Math.max(SEVERITY[consoleLevel], SEVERITY[fileLevel])
  const pushThreshold = SEVERITY[opts.pushLevel ?? (transportThreshold >= 0 ? levelName(transportThreshold) : 'info')]
  const push = opts.push
  const json = opts.json === true
  const name = opts.name

  const w = transports.length === 0
    ? undefined
    : winston.createLogger({
      levels: LEVELS,
      level: levelName(transportThreshold),
      // The line is rendered (and masked) before winston sees it; winston only routes and writes.
      format: winston.format.printf(info => String(info.message)),
      transports,
      exitOnError: false
    })
  w?.on('error', () => { /* a failing transport must not crash the gateway */ })

  let closed = false
  const sink: LogSink = {
    threshold () {
      if (closed) return -1
      return push !== undefined && push.subscriberCount > 0 ? Math.max(transportThreshold, pushThreshold) : transportThreshold
    },
    write (level: LogLevel, message: string, meta: LogMeta) {
      const time = new Date().toISOString()
      const line = formatLine({ time, level, name, message, meta }, json)
      if (w !== undefined && SEVERITY[level] <= transportThreshold) w.log(level, line)
      if (push !== undefined && SEVERITY[level] <= pushThreshold && push.subscriberCount > 0) {
        push.publish({ time, level, name, message, meta, line })
      }
    }
  }
  const logger = loggerOver(sink, createMasker(opts.customMasking), {})

  let closing: Promise<void> | undefined
  const close = (): Promise<void> => {
    closed = true
    closing ??= (async () => {
      if (w !== undefined) await endWinston(w, transports)
      await file?.close()
    })()
    return closing
  }
  return Object.assign(logger, { close })
}

/** File errors (disk full, permissions) go to stderr once per distinct message; logging goes on. */
function fileErrorReporter (): (err: unknown) => void {
  const reported = new Set<string>()
  return (err) => {
    const text = err instanceof Error ? err.message : String(err)
    if (reported.has(text)) return
    reported.add(text)
    process.stderr.write(`logging: log file error: ${text}\n`)
  }
}

function levelName (severity: number): LogLevel {
  return severity >= 3 ? 'debug' : severity === 2 ? 'info' : severity === 1 ? 'warn' : 'error'
}

/** Ends the winston logger and waits until every transport has flushed (file written to disk). */
async function endWinston (w: winston.Logger, transports: winston.transport[]): Promise<void> {
  const finished = transports.map(t => new Promise<void>(resolve => {
    t.once('finish', () => { resolve() })
    t.once('error', () => { resolve() })
  }))
  w.end()
  // a transport that never finishes must not hang the process's shutdown
  await withDeadline(5000, async () => { await Promise.all(finished) }, { what: 'closing the log transports' }).catch(() => {})
}
