// Federated identity credentials for the Graph emulator's token endpoint, as Entra checks them:
// the client_assertion is a JWT whose `iss`/`sub` match the app's federated credential, `aud` is
// api://AzureADTokenExchange, and whose signature verifies with the key published at
// `{iss}/.well-known/openid-configuration` → `jwks_uri` (fetched over HTTP, like Entra does).
import { createRemoteJWKSet, decodeJwt, jwtVerify } from 'jose'

export interface FederatedCredential { issuer: string, subject: string }

/** undefined when the assertion is accepted, else why not (Entra's AADSTS wording, shortened). */
export async function verifyFederatedAssertion (assertion: string, fed: FederatedCredential): Promise<string | undefined> {
  let claims: ReturnType<typeof decodeJwt>
  try { claims = decodeJwt(assertion) } catch { return 'AADSTS50027: JWT token is invalid or malformed.' }
  if (claims.iss !== fed.issuer || claims.sub !== fed.subject) return `AADSTS700213: No matching federated identity record found for presented assertion subject '${String(claims.sub)}' and issuer '${String(claims.iss)}'.`
  try {
    const disc = await (await fetch(`${fed.issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`)).json() as { jwks_uri?: unknown }
    if (typeof disc.jwks_uri !== 'string') return 'AADSTS700211: No matching federated identity record found for presented assertion issuer (no jwks_uri).'
    await jwtVerify(assertion, createRemoteJWKSet(new URL(disc.jwks_uri)), { issuer: fed.issuer, subject: fed.subject, audience: 'api://AzureADTokenExchange' })
    return undefined
  } catch (e) {
    return `AADSTS700024: Client assertion is not valid: ${e instanceof Error ? e.message : String(e)}`
  }
}
