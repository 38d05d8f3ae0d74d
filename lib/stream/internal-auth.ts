// How a GW request executes "as the gateway itself": the responder calls the gateway's own HTTP app
// in-process with `Authorization: Bearer <secret>`, and this authenticator (added to the gateway's
// authenticators before construction) accepts exactly that secret. The secret is 32 random bytes
// made per process and per entity; it is never sent anywhere (the GW envelope carries no
// Authorization header, and the request never leaves the process), so it cannot be replayed.
// The principal is confined to the entity whose GW subject carried the request.
import { randomBytes, timingSafeEqual } from 'node:crypto'
import type { Authenticator, AuthResult, Principal } from '../auth/types.ts'

const PREFIX = 'Bearer scim-gw-internal.'

/** The internal principal's credentials. */
export interface InternalAuth {
  /** Goes into the gateway's `authenticators` (any position: it skips every other credential). */
  readonly authenticator: Authenticator
  /** The Authorization header value for requests executed on behalf of `baseEntity`. */
  authorizationFor (baseEntity: string): string
}

/**
 * Creates fresh per-process credentials.
 * @example const auth = createInternalAuth(); options.authenticators.push(auth.authenticator)
 */
export function createInternalAuth (): InternalAuth {
  const secrets = new Map<string, Buffer>()
  const secretOf = (entity: string): Buffer => {
    let s = secrets.get(entity)
    if (s === undefined) {
      s = randomBytes(32)
      secrets.set(entity, s)
    }
    return s
  }
  const authenticator: Authenticator = {
    scheme: 'Bearer',
    authenticate (req): AuthResult {
      const a = req.authorization
      if (a === undefined || !a.startsWith(PREFIX)) return { kind: 'skip' }
      const rest = a.slice(PREFIX.length)
      const dot = rest.lastIndexOf('.')
      if (dot <= 0) return { kind: 'fail', reason: 'malformed internal GW credential' }
      const entity = decodeURIComponent(rest.slice(0, dot))
      const given = Buffer.from(rest.slice(dot + 1), 'base64url')
      const expected = secrets.get(entity)
      if (expected === undefined || given.length !== expected.length || !timingSafeEqual(given, expected)) {
        return { kind: 'fail', reason: 'invalid internal GW credential' }
      }
      const principal: Principal = {
        name: `nats-gw:${entity}`,
        method: 'bearerToken',
        readOnly: false,
        baseEntities: entity === 'undefined' ? [] : [entity]
      }
      return { kind: 'ok', principal }
    }
  }
  return {
    authenticator,
    authorizationFor: (entity) => `${PREFIX}${encodeURIComponent(entity)}.${secretOf(entity).toString('base64url')}`
  }
}
