// Static bearer tokens (shared secrets) from `scimgateway.auth.bearerToken[]`.
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
