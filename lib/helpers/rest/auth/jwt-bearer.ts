// The JWT forms of OAuth (auth.type "oauthJwtBearer", and "oauth" with a certificate):
// - Entra ID certificate credential: client_credentials with a client_assertion signed by the
//   application's certificate key (header x5t#S256 = SHA-256 thumbprint of the certificate, as
//   Microsoft documents for certificate credentials).
// - Entra ID federated credentials (fedCred): client_assertion signed by a key pair the gateway makes
//   itself and publishes as JWKS at its issuer URL (aud api://AzureADTokenExchange).
// - Entra ID workload identity federation (federatedTokenFile): an external OIDC token read from a
//   file (e.g. AZURE_FEDERATED_TOKEN_FILE, rotated by Kubernetes) is the client_assertion.
// - Google service account key file and the generic RFC 7523 grant (tokenUrl + jwtPayload + key):
//   grant_type jwt-bearer with the signed JWT as `assertion`.
import { createHash, createPrivateKey, generateKeyPair, randomUUID, X509Certificate, type KeyObject } from 'node:crypto'
import { promisify } from 'node:util'
import { exportJWK, SignJWT, type JWTPayload } from 'jose'
import type { JsonObject } from '../../../scim/types.ts'
import { RestError } from '../errors.ts'
import { readFile } from '../tls.ts'

const generateRsa = async (): Promise<{ privateKey: KeyObject, publicKey: KeyObject }> => await promisify(generateKeyPair)('rsa', { modulusLength: 2048 })

const CLIENT_ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer'
const JWT_BEARER_GRANT = 'urn:ietf:params:oauth:grant-type:jwt-bearer'
const ASSERTION_LIFETIME_S = 600

/** Makes the token request form; called for every token request (assertions are short-lived). */
export type FormMaker = () => Promise<Record<string, string>>

function privateKey (pem: string, passphrase: string | undefined, what: string): KeyObject {
  try {
    return createPrivateKey(passphrase !== undefined ? { key: pem, passphrase } : pem)
  } catch (e) {
    throw new RestError(`${what}: not a usable private key (${e instanceof Error ? e.message : String(e)})`, { kind: 'config', cause: e })
  }
}

function claims (now: number, extra: JWTPayload): JWTPayload {
  const t = Math.floor(now / 1000)
  return { iat: t - 60, nbf: t - 60, exp: t + ASSERTION_LIFETIME_S, jti: randomUUID(), ...extra }
}

/** Entra ID certificate credential (client_credentials + client_assertion). */
export function entraCertificateForm (o: { tokenUrl: string, clientId: string, scope: string, keyPem: string, certPem: string, passphrase?: string }, now: () => number): FormMaker {
  const key = privateKey(o.keyPem, o.passphrase, 'auth.options.tls.key')
  let thumbprint: string
  try {
    thumbprint = createHash('sha256').update(new X509Certificate(o.certPem).raw).digest('base64url')
  } catch (e) {
    throw new RestError(`auth.options.tls.cert: not a usable certificate (${e instanceof Error ? e.message : String(e)})`, { kind: 'config', cause: e })
  }
  return async () => ({
    grant_type: 'client_credentials',
    client_id: o.clientId,
    scope: o.scope,
    client_assertion_type: CLIENT_ASSERTION_TYPE,
    client_assertion: await new SignJWT(claims(now(), { iss: o.clientId, sub: o.clientId, aud: o.tokenUrl }))
      .setProtectedHeader({ alg: 'RS256', typ: 'JWT', 'x5t#S256': thumbprint })
      .sign(key)
  })
}

/** Entra ID federated credential with a gateway-made key pair; `jwks` is what the issuer must publish. */
export function entraFedCredForm (o: { clientId: string, scope: string, issuer: string, subject: string, name?: string }, now: () => number): { form: FormMaker, jwks: () => Promise<{ keys: JsonObject[] }> } {
  // made on first use, off the event loop (an RSA key takes a while), then kept for the client's life
  let pair: Promise<{ key: KeyObject, jwk: JsonObject & { kid: string } }> | undefined
  const keys = async (): Promise<{ key: KeyObject, jwk: JsonObject & { kid: string } }> => await (pair ??= (async () => {
    const { privateKey: key, publicKey } = await generateRsa()
    const jwk = await exportJWK(publicKey)
    const kid = createHash('sha256').update(JSON.stringify({ e: jwk.e, kty: jwk.kty, n: jwk.n })).digest('base64url')
    return { key, jwk: { ...(jwk as JsonObject), kid, use: 'sig', alg: 'RS256' } }
  })())
  return {
    jwks: async () => ({ keys: [(await keys()).jwk] }),
    form: async () => {
      const { key, jwk } = await keys()
      return {
        grant_type: 'client_credentials',
        client_id: o.clientId,
        scope: o.scope,
        client_assertion_type: CLIENT_ASSERTION_TYPE,
        client_assertion: await new SignJWT(claims(now(), { iss: o.issuer, sub: o.subject, aud: 'api://AzureADTokenExchange', ...(o.name !== undefined ? { name: o.name } : {}) }))
          .setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid: jwk.kid })
          .sign(key)
      }
    }
  }
}

/** Entra ID workload identity federation: the external token in `file` is the client assertion. */
export function entraTokenFileForm (o: { clientId: string, scope: string, file: string, certsDir: string }): FormMaker {
  return async () => {
    const assertion = readFile(o.file, o.certsDir, 'auth.options.federatedTokenFile').toString('utf8').trim()
    if (assertion === '') throw new RestError(`auth.options.federatedTokenFile ${o.file} is empty`, { kind: 'config' })
    return { grant_type: 'client_credentials', client_id: o.clientId, scope: o.scope, client_assertion_type: CLIENT_ASSERTION_TYPE, client_assertion: assertion }
  }
}

/** Google service account (key file JSON: client_email, private_key, private_key_id, token_uri). */
export function googleServiceAccount (o: { file: string, certsDir: string, scope: string, subject: string }, now: () => number): { tokenUrl: string, form: FormMaker } {
  let key: Record<string, unknown>
  try {
    key = JSON.parse(readFile(o.file, o.certsDir, 'auth.options.serviceAccountKeyFile').toString('utf8')) as Record<string, unknown>
  } catch (e) {
    if (e instanceof RestError) throw e
    throw new RestError(`auth.options.serviceAccountKeyFile ${o.file} is not JSON`, { kind: 'config', cause: e })
  }
  const { client_email: email, private_key: pem, private_key_id: kid, token_uri: tokenUri } = key
  if (typeof email !== 'string' || typeof pem !== 'string') throw new RestError(`auth.options.serviceAccountKeyFile ${o.file} lacks client_email/private_key`, { kind: 'config' })
  const tokenUrl = typeof tokenUri === 'string' ? tokenUri : 'https://oauth2.googleapis.com/token'
  const k = privateKey(pem, undefined, 'auth.options.serviceAccountKeyFile private_key')
  return {
    tokenUrl,
    form: async () => ({
      grant_type: JWT_BEARER_GRANT,
      assertion: await new SignJWT(claims(now(), { iss: email, sub: o.subject, aud: tokenUrl, scope: o.scope }))
        .setProtectedHeader({ alg: 'RS256', typ: 'JWT', ...(typeof kid === 'string' ? { kid } : {}) })
        .sign(k)
    })
  }
}

/** Generic RFC 7523 JWT bearer grant: `jwtPayload` (iat/exp filled in when absent) signed with `keyPem`. */
export function genericJwtBearerForm (o: { payload: JsonObject, keyPem: string, passphrase?: string }, now: () => number): FormMaker {
  const key = privateKey(o.keyPem, o.passphrase, 'auth.options.tls.key')
  return async () => {
    const t = Math.floor(now() / 1000)
    const payload: JWTPayload = { iat: t - 60, exp: t + ASSERTION_LIFETIME_S, ...(o.payload as JWTPayload) }
    return { grant_type: JWT_BEARER_GRANT, assertion: await new SignJWT(payload).setProtectedHeader({ alg: 'RS256', typ: 'JWT' }).sign(key) }
  }
}

