// Turns a validated plugin config (lib/config GatewayConfig) into ScimGateway options: auth methods,
// baseEntities, SCIM switches, limits.
import type { GatewayConfig } from '../config/gateway-schema.ts'
import type { Authenticator } from '../auth/types.ts'
import { basicAuthenticator } from '../auth/basic.ts'
import { bearerTokenAuthenticator } from '../auth/bearer-token.ts'
import type { GatewayOptions } from './options.ts'

/** Extra authenticators (bearerJwt, bearerOAuth, …) built by other modules from the same config. */
export type AuthenticatorFactory = (config: GatewayConfig) => Authenticator[]

export function authenticatorsFromConfig (config: GatewayConfig, extra: readonly AuthenticatorFactory[] = []): Authenticator[] {
  const a = config.scimgateway.auth
  const out: Authenticator[] = []
  if (a.basic.length > 0) out.push(basicAuthenticator(a.basic))
  if (a.bearerToken.length > 0) out.push(bearerTokenAuthenticator(a.bearerToken))
  for (const f of extra) out.push(...f(config))
  return out
}

export function gatewayOptionsFromConfig (config: GatewayConfig, extraAuth: readonly AuthenticatorFactory[] = []): Partial<GatewayOptions> {
  const g = config.scimgateway
  const opts: Partial<GatewayOptions> = {
    port: g.port,
    localhostOnly: g.localhostonly,
    scimVersion: g.scim.version,
    skipMetaLocation: g.scim.skipMetaLocation,
    usePutSoftSync: g.scim.usePutSoftSync,
    groupMemberOfUser: g.scim.groupMemberOfUser,
    skipTypeConvert: g.scim.skipTypeConvert,
    entities: Object.keys(config.endpoint.entity ?? {}),
    maxPayloadBytes: g.payloadSize,
    bulk: { maxOperations: 1000, maxPayloadSize: g.payloadSize },
    authenticators: authenticatorsFromConfig(config, extraAuth),
    passThrough: g.auth.passThrough.enabled
  }
  if (g.scim.maxResults !== undefined) opts.maxResults = g.scim.maxResults
  if (g.idleTimeout !== undefined) opts.idleTimeoutMs = g.idleTimeout * 1000
  return opts
}
