// HTTP Basic authentication (RFC 7617) against `scimgateway.auth.basic[]` entries.
import type { AccessEntry, Authenticator, AuthResult } from './types.ts'
import { safeEqual } from './compare.ts'
import { redactIdentifier } from './redact.ts'

export interface BasicEntry extends AccessEntry {
  username: string
  password: string
}

/** Decodes `Basic <base64(user:pass)>`; undefined when malformed. */
export function parseBasic (header: string): { username: string, password: string } | undefined {
  const m = /^Basic[ ]+([A-Za-z0-9+/=._~-]+)\s*$/i.exec(header)
  if (m?.[1] === undefined) return undefined
  const decoded = Buffer.from(m[1], 'base64').toString('utf8')
  const i = decoded.indexOf(':')
  if (i < 0) return undefined
  return { username: decoded.slice(0, i), password: decoded.slice(i + 1) }
}

/**
 * Basic auth over a list of users. Every entry is compared (no early exit) so timing does not tell
 * which user names exist.
 */
export function basicAuthenticator (entries: readonly BasicEntry[]): Authenticator {
  const usable = entries.filter(e => e.username !== '' && e.password !== '')
  // Verified headers (exact string) → result, so a busy client does not pay two SHA-256 per request.
  // Only successes are cached, bounded; a lookup compares whole header strings, which reveals
  // nothing about a password that was not already presented correctly.
  const verified = new Map<string, AuthResult>()
  return {
    scheme: 'Basic',
    authenticate (req): AuthResult {
      const h = req.authorization
      if (h === undefined || !/^basic\b/i.test(h)) return { kind: 'skip' }
      const hit = verified.get(h)
      if (hit !== undefined) return hit
      const cred = parseBasic(h)
      if (cred === undefined) return { kind: 'fail', reason: 'malformed Basic credentials' }
      let found: BasicEntry | undefined
      for (const e of usable) {
        const ok = safeEqual(cred.username, e.username) && safeEqual(cred.password, e.password)
        if (ok && found === undefined) found = e
      }
      if (found === undefined) return { kind: 'fail', reason: `Basic credentials rejected for user ${redactIdentifier(cred.username)}` }
      const ok: AuthResult = {
        kind: 'ok',
        principal: { name: found.username, method: 'basic', readOnly: found.readOnly === true, baseEntities: found.baseEntities ?? [] }
      }
      if (verified.size >= 256) verified.clear()
      verified.set(h, ok)
      return ok
    }
  }
}
