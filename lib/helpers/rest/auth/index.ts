// Builds the auth method of a connection from its validated `auth` section (scimgateway's types):
// basic, bearer, token (username/password posted to tokenUrl), oauth (client credentials; Entra ID
// by azureTenantId; several clients in failover or round-robin order), oauthJwtBearer (see
// jwt-bearer.ts), oauthSamlBearer. Token-based types share one TokenCache per connection (per client).
// A token endpoint given as a path is resolved, at each token request, on the base URL in use.
import type { AuthConfig } from '../config.ts'
import { isRestError, RestError } from '../errors.ts'
import { TokenCache, type Token } from '../token-cache.ts'
import { readPem } from '../tls.ts'
import { entraCertificateForm, entraFedCredForm, entraTokenFileForm, genericJwtBearerForm, googleServiceAccount, type FormMaker } from './jwt-bearer.ts'
import { requestToken } from './token-endpoint.ts'
import type { AuthDeps, AuthProvider, SamlAssertionProvider } from './types.ts'
import { createSamlAssertion, NAMEID_EMAIL, NAMEID_UNSPECIFIED } from '../../saml/assertion.ts'
import { createPrivateKey } from 'node:crypto'

export type { AuthProvider, AuthDeps, FormPost, SamlAssertionProvider, SamlAssertionRequest } from './types.ts'

const DEFAULT_LOGIN_URL = 'https://login.microsoftonline.com'
const SAML2_BEARER_GRANT = 'urn:ietf:params:oauth:grant-type:saml2-bearer'

const NO_AUTH: AuthProvider = { authorization: async () => undefined, invalidate: () => false, tokenRequests: 0 }

/** A fixed header (basic, bearer): nothing to renew. */
function fixed (header: string): AuthProvider {
  return { authorization: async () => header, invalidate: () => false, tokenRequests: 0 }
}

/**
 * @example
 * const auth = createAuth(conn.auth, { certsDir, post, baseUrl: conn.baseUrls[0], now: Date.now })
 * headers.authorization = await auth.authorization(signal)
 */
export function createAuth (auth: AuthConfig | undefined, deps: AuthDeps): AuthProvider {
  if (auth === undefined) return NO_AUTH
  const o = auth.options
  switch (auth.type) {
    case 'basic':
      return fixed(`Basic ${Buffer.from(`${o.username ?? ''}:${o.password ?? ''}`).toString('base64')}`)
    case 'bearer':
      return fixed(`Bearer ${o.token ?? ''}`)
    case 'token': {
      const form = { ...(o.username !== undefined ? { username: o.username } : {}), password: o.password ?? '' }
      return cached(deps, async signal => await requestToken(deps.post, tokenEndpoint(o.tokenUrl ?? '', deps), form, deps.hint ?? 'auth.options.tokenUrl/username/password', signal, ['access_token', 'token', 'accessToken']))
    }
    case 'oauth':
      if (o.clients !== undefined) return severalClients(auth, deps)
      return oauth(auth, deps)
    case 'oauthJwtBearer':
      return oauth(auth, deps)
    case 'oauthSamlBearer':
      return samlBearer(auth, deps)
  }
}

function cached (deps: AuthDeps, fetchToken: (signal: AbortSignal) => Promise<Token>, jwks?: AuthProvider['jwks']): AuthProvider {
  const cache = new TokenCache(fetchToken, deps.now)
  return {
    authorization: async signal => await cache.authorization(signal),
    invalidate: header => { cache.invalidate(header); return true },
    get tokenRequests () { return cache.requests },
    ...(jwks !== undefined ? { jwks } : {})
  }
}

function oauth (auth: AuthConfig, deps: AuthDeps): AuthProvider {
  const o = auth.options
  const entra = o.azureTenantId !== undefined
  const tokenUrl = entra ? `${(o.loginUrl ?? DEFAULT_LOGIN_URL).replace(/\/+$/, '')}/${encodeURIComponent(o.azureTenantId ?? '')}/oauth2/v2.0/token` : o.tokenUrl
  // Entra's v2 endpoint wants a scope; the resource of the first base URL, as scimgateway derives it
  const scope = o.scope ?? (entra ? `${new URL(deps.baseUrl).origin}/.default` : undefined)
  const what = `auth.type ${auth.type}${o.clientId !== undefined ? `, client ${o.clientId}` : ''}`
  let form: FormMaker
  let url = tokenUrl ?? ''
  let jwks: AuthProvider['jwks']
  if (auth.type === 'oauth' && o.clientSecret !== undefined) {
    const f: Record<string, string> = { grant_type: 'client_credentials', client_id: o.clientId ?? '', client_secret: o.clientSecret }
    if (scope !== undefined) f.scope = scope
    if (o.resource !== undefined) f.resource = o.resource
    form = async () => f
  } else if (entra && o.fedCred !== undefined) {
    const fc = entraFedCredForm({ clientId: o.clientId ?? o.fedCred.subject, scope: scope ?? '', issuer: o.fedCred.issuer, subject: o.fedCred.subject, ...(o.fedCred.name !== undefined ? { name: o.fedCred.name } : {}) }, deps.now)
    form = fc.form
    jwks = fc.jwks
  } else if (entra && o.federatedTokenFile !== undefined) {
    form = entraTokenFileForm({ clientId: o.clientId ?? '', scope: scope ?? '', file: o.federatedTokenFile, certsDir: deps.certsDir })
  } else if (entra) {
    // a certificate credential (scimgateway also accepts it under type "oauth")
    if (o.tls?.key === undefined || o.tls.cert === undefined) throw new RestError('auth.options.tls needs key and cert for an Entra ID certificate credential', { kind: 'config' })
    form = entraCertificateForm({
      tokenUrl: url, clientId: o.clientId ?? '', scope: scope ?? '',
      keyPem: readPem(o.tls.key, deps.certsDir, 'auth.options.tls.key'),
      certPem: readPem(o.tls.cert, deps.certsDir, 'auth.options.tls.cert'),
      ...(o.tls.passphrase !== undefined ? { passphrase: o.tls.passphrase } : {})
    }, deps.now)
  } else if (o.serviceAccountKeyFile !== undefined) {
    const g = googleServiceAccount({ file: o.serviceAccountKeyFile, certsDir: deps.certsDir, scope: String(o.jwtPayload?.scope ?? ''), subject: String(o.jwtPayload?.subject ?? '') }, deps.now)
    url = g.tokenUrl
    form = g.form
  } else {
    if (o.tls?.key === undefined || o.jwtPayload === undefined) throw new RestError('auth.options.jwtPayload and auth.options.tls.key are needed', { kind: 'config' })
    form = genericJwtBearerForm({ payload: o.jwtPayload, keyPem: readPem(o.tls.key, deps.certsDir, 'auth.options.tls.key'), ...(o.tls.passphrase !== undefined ? { passphrase: o.tls.passphrase } : {}) }, deps.now)
  }
  return cached(deps, async signal => await requestToken(deps.post, tokenEndpoint(url, deps), await form(), deps.hint ?? what, signal), jwks)
}

/**
 * `options.clients`: one token cache per client. `failover` (default) keeps the client that got a
 * token until its token request fails, then tries the next ones in order; `roundRobin` takes the next
 * client for every request (Graph throttles per application: N registrations, about N times the
 * budget). A client refused by its token endpoint is skipped for that request; the request fails only
 * when every client is refused.
 */
function severalClients (auth: AuthConfig, deps: AuthDeps): AuthProvider {
  const o = auth.options
  const roundRobin = o.clientRotation === 'roundRobin'
  const clients = (o.clients ?? []).map(c => ({
    id: c.clientId,
    auth: oauth({ type: 'oauth', options: { ...o, clients: undefined, clientRotation: undefined, clientId: c.clientId, clientSecret: c.clientSecret, tokenUrl: c.tokenUrl ?? o.tokenUrl, scope: c.scope ?? o.scope } }, deps)
  }))
  let current = 0
  return {
    get tokenRequests () { return clients.reduce((n, c) => n + c.auth.tokenRequests, 0) },
    invalidate: header => clients.map(c => c.auth.invalidate(header)).some(Boolean),
    async authorization (signal) {
      const first = current
      if (roundRobin) current = (current + 1) % clients.length
      const errors: string[] = []
      for (let n = 0; n < clients.length; n++) {
        const i = (first + n) % clients.length
        const c = clients[i]
        if (c === undefined) continue
        try {
          const header = await c.auth.authorization(signal)
          if (!roundRobin && i !== current) {
            deps.log?.warn(`OAuth client ${c.id} now in use (the previous one failed)`)
            current = i
          }
          return header
        } catch (e) {
          if (signal.aborted || !isRestError(e) || e.kind !== 'auth') throw e
          errors.push(e.message)
          deps.log?.warn(`OAuth token request failed for client ${c.id}: ${e.message}`)
        }
      }
      if (clients.length === 1) throw new RestError(errors[0] ?? 'no token', { kind: 'auth' })
      throw new RestError(`no OAuth client got a token (${errors.join('; ')})`, { kind: 'auth' })
    }
  }
}

/** The token endpoint: as configured, or a path on the origin of the base URL in use. */
function tokenEndpoint (url: string, deps: AuthDeps): string {
  if (!url.startsWith('/')) return url
  return new URL(url, deps.currentBaseUrl?.() ?? deps.baseUrl).toString()
}

function samlBearer (auth: AuthConfig, deps: AuthDeps): AuthProvider {
  const o = auth.options
  const make = deps.samlAssertion ?? defaultSamlAssertion
  const p = o.samlPayload
  if (p === undefined || o.tls?.key === undefined || o.tls.cert === undefined || o.tokenUrl === undefined) throw new RestError('auth.type oauthSamlBearer needs options.tokenUrl, options.tls.key/cert and options.samlPayload', { kind: 'config' })
  const configured = o.tokenUrl
  const cert = readPem(o.tls.cert, deps.certsDir, 'auth.options.tls.cert')
  const key = readPem(o.tls.key, deps.certsDir, 'auth.options.tls.key')
  const passphrase = o.tls.passphrase
  return cached(deps, async signal => {
    const tokenUrl = tokenEndpoint(configured, deps)
    const xml = await make({
      cert, key, ...(passphrase !== undefined ? { passphrase } : {}),
      issuer: p.issuer ?? p.clientId,
      audience: p.audience ?? tokenUrl,
      recipient: tokenUrl,
      nameId: p.nameId,
      userIdentifierFormat: p.userIdentifierFormat ?? 'userName',
      clientId: p.clientId,
      lifetimeS: p.lifetime ?? 3600
    })
    // SAP SuccessFactors (the documented user of samlPayload.companyId) wants base64 of the XML
    const assertion = xml.trimStart().startsWith('<') ? Buffer.from(xml, 'utf8').toString('base64') : xml
    const form = { grant_type: SAML2_BEARER_GRANT, client_id: p.clientId, company_id: p.companyId, new_token: 'true', assertion }
    return await requestToken(deps.post, tokenUrl, form, deps.hint ?? `auth.type oauthSamlBearer, client ${p.clientId}`, signal)
  })
}

/**
 * The SAML 2.0 assertion SAP SuccessFactors documents for its SAML bearer grant: signed with the
 * configured key, the API key (client id) as attribute `api_key`, the user as NameID.
 */
const defaultSamlAssertion: SamlAssertionProvider = (req) => {
  // lib/helpers/saml signs with an unencrypted PEM: decrypt a passphrase-protected key first
  const key = req.passphrase !== undefined
    ? createPrivateKey({ key: req.key, passphrase: req.passphrase }).export({ type: 'pkcs8', format: 'pem' }).toString()
    : req.key
  return createSamlAssertion({
    issuer: req.issuer,
    audience: req.audience,
    recipient: req.recipient,
    nameId: req.nameId,
    nameIdFormat: req.userIdentifierFormat.toLowerCase() === 'email' ? NAMEID_EMAIL : NAMEID_UNSPECIFIED,
    lifetimeSeconds: req.lifetimeS,
    privateKeyPem: key,
    certificatePem: req.cert,
    attributes: { api_key: req.clientId }
  })
}
