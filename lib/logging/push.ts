// The push channel: every (already masked) log line is published to live subscribers, e.g. the
// `/logger` streaming route. Each subscriber has its own bounded queue drained asynchronously, so
// publishing never waits for a subscriber; when a queue is full the new line is dropped and counted.

import type { LogLevel, LogMeta } from './types.ts'

/** One published log line (message and meta are masked before they get here). */
export interface LogEntry {
  /** ISO 8601 timestamp. */
  time: string
  level: LogLevel
  /** Logger name (the plugin name). */
  name: string
  message: string
  meta: LogMeta
  /** The line as written to the transports (text or JSON, without newline). */
  line: string
}

/** Per-subscription delivery info passed along with each entry. */
export interface DeliveryInfo {
  /** Lines dropped for this subscriber so far because its queue was full. */
  dropped: number
}

/**
 * Receives entries one at a time; a returned promise is awaited before the next entry is delivered
 * (that is how a slow consumer, e.g. an HTTP response with backpressure, makes its queue grow).
 */
export type LogListener = (entry: LogEntry, info: DeliveryInfo) => void | Promise<void>

/** Publish/subscribe channel for log lines. */
export interface LogPush {
  /** Queues `entry` for every subscriber; never blocks, never throws. */
  publish (entry: LogEntry): void
  /** Adds a subscriber; returns the function that removes it. */
  subscribe (listener: LogListener, opts?: { bufferSize?: number }): () => void
  /** Number of current subscribers (the logger skips building entries when there are none). */
  readonly subscriberCount: number
  /** Lines dropped across all subscribers since creation. */
  readonly dropped: number
}

/** Options for {@link createLogPush}. */
export interface LogPushOptions {
  /** Default queue length per subscriber (default 1000). */
  bufferSize?: number
}

/**
 * Creates a push channel. Pass it to `createLogger({ push })`; a streaming route subscribes.
 *
 * @example
 * const push = createLogPush()
 * const log = createLogger({ name: 'plugin-loki', push })
 * const unsubscribe = push.subscribe(e => { res.write(e.line + '\n') })
 */
export function createLogPush (opts: LogPushOptions = {}): LogPush {
  const defaultSize = Math.max(1, opts.bufferSize ?? 1000)
  const subscribers = new Set<Subscriber>()
  let dropped = 0

  return {
    publish (entry) {
      for (const s of subscribers) {
        if (s.queue.length >= s.size) {
          s.dropped++
          dropped++
          continue
        }
        s.queue.push(entry)
        if (!s.draining) {
          s.draining = true
          queueMicrotask(() => { void drain(s) })
        }
      }
    },
    subscribe (listener, subOpts) {
      const s: Subscriber = { listener, queue: [], size: Math.max(1, subOpts?.bufferSize ?? defaultSize), dropped: 0, draining: false, active: true }
      subscribers.add(s)
      return () => {
        s.active = false
        s.queue.length = 0
        subscribers.delete(s)
      }
    },
    get subscriberCount () { return subscribers.size },
    get dropped () { return dropped }
  }
}

interface Subscriber {
  listener: LogListener
  queue: LogEntry[]
  size: number
  dropped: number
  draining: boolean
  active: boolean
}

/** Delivers queued entries in order; a listener's failure is swallowed (logging must not fail). */
async function drain (s: Subscriber): Promise<void> {
  try {
    while (s.active && s.queue.length > 0) {
      const entry = s.queue.shift()
      if (entry === undefined) break
      try {
        const r = s.listener(entry, { dropped: s.dropped })
        if (r !== undefined) await r
      } catch {
        // A subscriber that throws only hurts itself.
      }
    }
  } finally {
    s.draining = false
  }
}
