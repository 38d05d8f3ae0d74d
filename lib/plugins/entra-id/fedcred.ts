// Publishing the key of Entra federated credentials (auth.type oauthJwtBearer with options.fedCred):
// Entra validates the gateway's client assertion by reading `{issuer}/.well-known/openid-configuration`
// and its `jwks_uri`. With an issuer under the gateway's unauthenticated `/pub/api/` route (e.g.
// `https://scimgateway.example.com/pub/api/entra-id`), plugin-entra-id answers both documents itself
// through publicApi, so no separate web server is needed.
import { NotFoundError } from '../../scim/errors.ts'
import type { JsonValue } from '../types.ts'

/** One baseEntity's fedCred issuer and the JWKS of its REST client. */
export interface FedCredIssuer { issuer: string, jwks: () => Promise<{ keys: JsonValue[] } | undefined> }

/**
 * The discovery document or JWKS for a `/pub/api/<path>` request, when `path` is below the path of a
 * configured issuer; otherwise 404.
 */
export async function fedCredDocument (issuers: FedCredIssuer[], path: string): Promise<JsonValue> {
  const full = `/pub/api/${path}`.replace(/\/+$/, '')
  for (const i of issuers) {
    const base = new URL(i.issuer).pathname.replace(/\/+$/, '')
    if (full === `${base}/.well-known/openid-configuration`) {
      return { issuer: i.issuer, jwks_uri: `${i.issuer.replace(/\/+$/, '')}/.well-known/jwks.json`, id_token_signing_alg_values_supported: ['RS256'], response_types_supported: ['id_token'], subject_types_supported: ['public'] }
    }
    if (full === `${base}/.well-known/jwks.json`) return (await i.jwks()) ?? { keys: [] }
  }
  throw new NotFoundError(`/pub/api/${path}: not a federated-credential issuer document of this gateway`)
}
