// Runs the configured authenticators in order. The first 'ok' wins; a 'fail' is remembered while later
// methods still try (a token may be a JWT for bearerJwt); all failing = 401, same response whatever was wrong.
import type { Authenticator, AuthRequest, AuthResult } from './types.ts'

export async function authenticateChain (methods: readonly Authenticator[], req: AuthRequest): Promise<AuthResult> {
  let lastFail: AuthResult | undefined
  for (const m of methods) {
    let r: AuthResult
    try {
      r = await m.authenticate(req)
    } catch (e) {
      r = { kind: 'fail', reason: `authenticator error: ${e instanceof Error ? e.message : String(e)}` }
    }
    if (r.kind === 'ok') return r
    if (r.kind === 'fail') lastFail ??= r
  }
  return lastFail ?? { kind: 'fail', reason: req.authorization === undefined ? 'no credentials' : 'unsupported authorization scheme' }
}

/** The WWW-Authenticate header naming every accepted scheme. */
export function wwwAuthenticate (methods: readonly Authenticator[], realm = 'SCIM Gateway'): string {
  const schemes = [...new Set(methods.map(m => m.scheme))]
  if (schemes.length === 0) schemes.push('Basic')
  return schemes.map(s => `${s} realm="${realm}"`).join(', ')
}
