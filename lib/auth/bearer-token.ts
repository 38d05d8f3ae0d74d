// Static bearer tokens (shared secrets) from `scimgateway.auth.bearerToken[]`.
// Why not Hono's bearerAuth (hono/bearer-auth, checked in 4.13): it answers for itself, while a
// JWT-shaped token that is not a configured secret must go on to bearerJwt/bearerOAuth (chain.ts).
// It accepts only tokens matching `[A-Za-z0-9._~+/-]+=*` (a configured scimgateway token may hold
// any non-space character) and answers 400 for a malformed header, 401 otherwise, with plain-text
// bodies; ours is one SCIM 401 whatever was wrong (no hint which check failed), after the failed-auth
// slow-down. Each token entry gives its own principal (readOnly, baseEntities).
import type { AccessEntry, Authenticator, AuthResult } from './types.ts'
import { safeEqual } from './compare.ts'

export interface BearerTokenEntry extends AccessEntry {
  token: string
}

/** Extracts the token of `Bearer <token>`; undefined when the header is not a bearer header. */
export function parseBearer (header: string | undefined): string | undefined {
  if (header === undefined) return undefined
  const m = /^Bearer[ ]+(\S+)\s*$/i.exec(header)
  return m?.[1]
}

export function bearerTokenAuthenticator (entries: readonly BearerTokenEntry[]): Authenticator {
  const usable = entries.filter(e => e.token !== '')
  return {
    scheme: 'Bearer',
    authenticate (req): AuthResult {
      const token = parseBearer(req.authorization)
      if (token === undefined) return { kind: 'skip' }
      let found: { e: BearerTokenEntry, i: number } | undefined
      usable.forEach((e, i) => {
        if (safeEqual(token, e.token) && found === undefined) found = { e, i }
      })
      // a JWT may be meant for the bearerJwt/bearerOAuth methods that follow: let them try
      if (found === undefined) return token.split('.').length === 3 ? { kind: 'skip' } : { kind: 'fail', reason: 'bearer token rejected' }
      return {
        kind: 'ok',
        principal: { name: `bearerToken[${found.i}]`, method: 'bearerToken', readOnly: found.e.readOnly === true, baseEntities: found.e.baseEntities ?? [] }
      }
    }
  }
}
