// `scimgateway.auth.bearerOAuth[]`: the gateway as an OAuth 2.0 client-credentials authorization
// server (RFC 6749 §4.4). `POST /oauth/token` (also under a baseEntity) takes the client id/secret in
// the form body or as HTTP Basic and returns a short-lived JWT signed with the gateway's own key
// (signing-key.ts); `/.well-known/openid-configuration` and `/.well-known/jwks.json` publish it; the
// authenticator accepts those tokens with the client's readOnly/baseEntities.
import { redactIdentifier } from './redact.ts'
import { parseJsonLimited } from '../util/json.ts'
import type { Hono, Context } from 'hono'
import { randomUUID } from 'node:crypto'
import { SignJWT, decodeProtectedHeader, jwtVerify } from 'jose'
import type { AccessEntry, Authenticator, AuthResult } from './types.ts'
import { safeEqual } from './compare.ts'
import { parseBearer } from './bearer-token.ts'
import { socketAddressOf, type AuthEventObserver, type Gate } from './http.ts'
import type { SigningKey } from './signing-key.ts'
import { VerifiedTokenCache } from './token-cache.ts'

export interface OAuthClient extends AccessEntry {
  clientId: string
  clientSecret: string
  /** Token lifetime, seconds (default: the server's). */
  expiresIn?: number | undefined
}

export interface OAuthServerOptions {
  clients: readonly OAuthClient[]
  signingKey: SigningKey
  /** `iss` of issued tokens and of the discovery document (default: the origin of the request). */
  issuer?: string
  /** Default token lifetime, seconds (default 3600). */
  expiresIn?: number
  /** Run before the token endpoint answers (the same IP allow list and rate limits as SCIM routes). */
  gates?: readonly Gate[]
  /** Told of every client authentication at the token endpoint (brute-force slow-down). */
  observers?: readonly AuthEventObserver[]
  /** Refused token requests are logged here with their reason (never the secret). */
  log?: { warn: (message: string, meta?: Record<string, unknown>) => void }
  now?: () => number
}

export interface OAuthServer {
  /** Mounts the token endpoint and the well-known documents (a GatewayOptions.extraRoutes entry). */
  mount: (app: Hono) => void
  /** Accepts the tokens this server issued. */
  authenticator: Authenticator
}

/** Audience of the tokens: this gateway's SCIM API. */
export const OAUTH_AUDIENCE = 'scimgateway'
const MAX_BODY = 16 * 1024

/**
 * Creates the token endpoint and its authenticator.
 * @example
 * const oauth = createOAuthServer({ clients: [{ clientId: 'idp', clientSecret: 's3cret' }], signingKey: createSigningKey() })
 * new ScimGateway({ plugin, log, options: { authenticators: [oauth.authenticator], extraRoutes: [oauth.mount] } })
 */
export function createOAuthServer (opts: OAuthServerOptions): OAuthServer {
  const clients = opts.clients.filter(c => c.clientId !== '' && c.clientSecret !== '')
  const byId = new Map(clients.map(c => [c.clientId, c]))
  const now = opts.now ?? Date.now
  const key = opts.signingKey
  const cache = new VerifiedTokenCache({ now })

  const issuerOf = (c: Context): string => opts.issuer ?? new URL(c.req.url).origin

  async function token (c: Context): Promise<Response> {
    const remoteAddress = socketAddressOf(c.env)
    for (const gate of opts.gates ?? []) {
      const stop = await gate(c.req.raw, { remoteAddress })
      if (stop !== undefined) return stop
    }
    const params = await readParams(c.req.raw)
    if (params === undefined) return oauthError(400, 'invalid_request', 'the body must be application/x-www-form-urlencoded (or JSON), at most 16 KiB')
    const basic = c.req.header('authorization')
    let id = params.get('client_id') ?? undefined
    let secret = params.get('client_secret') ?? undefined
    if (basic !== undefined) {
      if (id !== undefined && secret !== undefined) return oauthError(400, 'invalid_request', 'use one client authentication method, not two')
      const cred = parseClientBasic(basic)
      if (cred === undefined) return oauthError(401, 'invalid_client', 'client authentication failed')
      id = cred.id
      secret = cred.secret
    }
    const grant = params.get('grant_type')
    if (grant === null || grant === '') return oauthError(400, 'invalid_request', 'grant_type is required')
    if (grant !== 'client_credentials') return oauthError(400, 'unsupported_grant_type', 'only client_credentials is supported')
    if (id === undefined || secret === undefined) return oauthError(401, 'invalid_client', 'client authentication failed')
    let found: OAuthClient | undefined
    for (const cl of clients) {
      const ok = safeEqual(id, cl.clientId) && safeEqual(secret, cl.clientSecret)
      if (ok && found === undefined) found = cl
    }
    if (found === undefined) {
      const reason = `OAuth client ${redactIdentifier(id)} rejected`
      // awaited: the failed-auth slow-down delays this (failed) answer, never a later valid one
      await Promise.all((opts.observers ?? []).map(async o => { await o({ remoteAddress, ok: false, reason, req: c.req.raw }) }))
      opts.log?.warn(`token request refused: ${reason}`, { remoteAddress })
      return oauthError(401, 'invalid_client', 'client authentication failed')
    }
    for (const o of opts.observers ?? []) o({ remoteAddress, ok: true, req: c.req.raw })
    const expiresIn = found.expiresIn ?? opts.expiresIn ?? 3600
    const iat = Math.floor(now() / 1000)
    const accessToken = await new SignJWT({ client_id: found.clientId })
      .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'at+jwt' })
      .setIssuer(issuerOf(c))
      .setSubject(found.clientId)
      .setAudience(OAUTH_AUDIENCE)
      .setIssuedAt(iat)
      .setExpirationTime(iat + expiresIn)
      .setJti(randomUUID())
      .sign(key.privateKey)
    return Response.json({ access_token: accessToken, token_type: 'Bearer', expires_in: expiresIn }, { headers: NO_STORE })
  }

  const authenticator: Authenticator = {
    scheme: 'Bearer',
    async authenticate (req): Promise<AuthResult> {
      const t = parseBearer(req.authorization)
      if (t === undefined || t.split('.').length !== 3) return { kind: 'skip' }
      const cached = cache.get(t)
      if (cached !== undefined) return { kind: 'ok', principal: cached }
      let kid: string | undefined
      try { kid = decodeProtectedHeader(t).kid } catch { return { kind: 'skip' } }
      if (kid !== key.kid) return { kind: 'skip' } // another issuer's token: bearerJwt may know it
      try {
        const { payload } = await jwtVerify(t, key.publicKey, {
          algorithms: [key.alg], audience: OAUTH_AUDIENCE, typ: 'at+jwt', clockTolerance: 5, currentDate: new Date(now()),
          ...(opts.issuer !== undefined ? { issuer: opts.issuer } : {})
        })
        const client = typeof payload.sub === 'string' ? byId.get(payload.sub) : undefined
        if (client === undefined) return { kind: 'fail', reason: 'OAuth token of a client that is no longer configured' }
        const principal = { name: client.clientId, method: 'bearerOAuth' as const, readOnly: client.readOnly === true, baseEntities: client.baseEntities ?? [] }
        cache.set(t, principal, typeof payload.exp === 'number' ? payload.exp * 1000 : undefined)
        return { kind: 'ok', principal }
      } catch (err) {
        return { kind: 'fail', reason: `OAuth token rejected: ${err instanceof Error ? err.message : String(err)}` }
      }
    }
  }

  function mount (app: Hono): void {
    app.post('/oauth/token', token)
    app.post('/:baseEntity/oauth/token', token)
    app.get('/.well-known/jwks.json', () => Response.json({ keys: [key.publicJwk] }, { headers: { 'cache-control': 'public, max-age=300' } }))
    app.get('/.well-known/openid-configuration', (c) => {
      const issuer = issuerOf(c)
      const origin = new URL(c.req.url).origin
      return Response.json({
        issuer,
        token_endpoint: `${origin}/oauth/token`,
        jwks_uri: `${origin}/.well-known/jwks.json`,
        grant_types_supported: ['client_credentials'],
        token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
        response_types_supported: ['token'],
        id_token_signing_alg_values_supported: [key.alg],
        subject_types_supported: ['public']
      })
    })
  }

  return { mount, authenticator }
}

const NO_STORE = { 'cache-control': 'no-store', pragma: 'no-cache' }

/** An RFC 6749 §5.2 error; invalid_client carries a Basic challenge. */
function oauthError (status: 400 | 401, error: string, description: string): Response {
  const headers: Record<string, string> = { ...NO_STORE }
  if (status === 401) headers['www-authenticate'] = 'Basic realm="SCIM Gateway OAuth"'
  return Response.json({ error, error_description: description }, { status, headers })
}

/** Form (or JSON) parameters; undefined when the body is unreadable or too large. */
async function readParams (req: Request): Promise<URLSearchParams | undefined> {
  const declared = Number(req.headers.get('content-length') ?? '0')
  if (declared > MAX_BODY) return undefined
  let text: string
  try {
    text = await req.text()
  } catch {
    return undefined
  }
  if (text.length > MAX_BODY) return undefined
  const type = req.headers.get('content-type') ?? ''
  if (/json/i.test(type)) {
    try {
      const obj: unknown = parseJsonLimited(text)
      if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) return undefined
      const p = new URLSearchParams()
      for (const [k, v] of Object.entries(obj)) if (typeof v === 'string') p.set(k, v)
      return p
    } catch {
      return undefined
    }
  }
  return new URLSearchParams(text)
}

/** RFC 6749 §2.3.1: Basic with form-urlencoded id and secret. */
function parseClientBasic (header: string): { id: string, secret: string } | undefined {
  const m = /^Basic[ ]+([A-Za-z0-9+/=]+)\s*$/i.exec(header)
  if (m?.[1] === undefined) return undefined
  const decoded = Buffer.from(m[1], 'base64').toString('utf8')
  const i = decoded.indexOf(':')
  if (i < 0) return undefined
  try {
    const dec = (s: string): string => decodeURIComponent(s.replace(/\+/g, ' '))
    return { id: dec(decoded.slice(0, i)), secret: dec(decoded.slice(i + 1)) }
  } catch {
    return undefined
  }
}
