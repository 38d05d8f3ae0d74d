// HTTP Basic authentication (RFC 7617) against `scimgateway.auth.basic[]` entries.
// Why not Hono's basicAuth (hono/basic-auth, checked in 4.13): it is a middleware that answers for
// itself, while here Basic is one method of a chain over one Authorization header (chain.ts: a
// bearer or JWT header must go on to the next method, not get a Basic 401). Our 401 is a SCIM error
// body whose WWW-Authenticate names every configured scheme, sent after the failed-auth slow-down
// (rate-limit.ts) and logged with a redacted user name; Hono's is a plain-text "Unauthorized". A
// principal carries readOnly and baseEntities per entry, which its `onAuthSuccess(c, username)` does
// not. Its loop stops at the first matching user (timing tells the position of a valid user) and
// hashes both strings with WebCrypto per user per request; ours compares every entry and caches
// verified headers (bench/auth.bench.ts). Its header parser (hono/utils/basic-auth) takes a Request;
// an authenticator gets the header string (AuthRequest).
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
