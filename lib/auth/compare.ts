// Constant-time comparison of secrets: compares SHA-256 digests so length differences leak nothing.
import { createHash, timingSafeEqual } from 'node:crypto'

function digest (s: string): Buffer {
  return createHash('sha256').update(s, 'utf8').digest()
}

/** True when `a` equals `b`, in time independent of where they differ (and of their lengths). */
export function safeEqual (a: string, b: string): boolean {
  return timingSafeEqual(digest(a), digest(b))
}
