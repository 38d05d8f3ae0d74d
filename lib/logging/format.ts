// Renders one log line, as text for people or as JSON for log shippers. Input is already masked.

import type { LogLevel, LogMeta } from './types.ts'

/** Fields of a line before rendering. */
export interface LineFields {
  time: string
  level: LogLevel
  name: string
  message: string
  meta: LogMeta
}

const RESERVED = new Set(['time', 'level', 'name', 'message'])

/**
 * Text: `2026-01-01T00:00:00.000Z plugin-loki info: message {"requestId":"r1"}` (meta only when
 * present). JSON: one object with time, level, name, message and the meta keys flattened in (meta
 * keys that collide with those four are dropped rather than allowed to forge them).
 */
export function formatLine (f: LineFields, json: boolean): string {
  if (json) {
    const obj: Record<string, unknown> = { time: f.time, level: f.level, name: f.name, message: f.message }
    for (const k in f.meta) if (!RESERVED.has(k)) obj[k] = f.meta[k]
    return safeStringify(obj)
  }
  let metaText = ''
  for (const _ in f.meta) { metaText = ' ' + safeStringify(f.meta); break }
  return `${f.time} ${f.name} ${f.level}: ${f.message}${metaText}`
}

function safeStringify (value: unknown): string {
  try {
    return JSON.stringify(value)
  } catch (err) {
    return JSON.stringify({ unserializable: err instanceof Error ? err.message : String(err) })
  }
}
