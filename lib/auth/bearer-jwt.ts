// Bearer JWTs from `scimgateway.auth.bearerJwt[]` (and the older `bearerJwtAzure[]`): verified with an
// HMAC `secret`, a PEM `publicKey`, the keys of an OpenID discovery document (`wellKnownUri`) or those
// of a Microsoft Entra ID tenant (`azureTenantId`). Each key source accepts only its own algorithm
// family, so an HMAC token signed with a public key (algorithm confusion) and `alg: none` fail.
// `exp` is required unless `requireExp: false`; `iat` and `nbf` in the future beyond the clock
// tolerance are refused (jose checks nbf, but iat only together with maxTokenAge).
// Verification is jose's jwtVerify. Why not Hono's jwt/jwk middlewares (hono/jwt, hono/jwk, checked in
// 4.13): they answer 401 for themselves (this method is one of a chain, see chain.ts), take one key
// source per middleware (here several entries, each with its own issuer/audience and principal) and
// have no verified-token cache (token-cache.ts); JWKS fetching is jwks.ts (reasons there).
import { createPublicKey, type KeyObject } from 'node:crypto'
import { decodeProtectedHeader, jwtVerify, type JWTPayload, type JWTVerifyOptions, type JWSHeaderParameters, type FlattenedJWSInput } from 'jose'
import type { AccessEntry, Authenticator, AuthResult, Principal } from './types.ts'
import { parseBearer } from './bearer-token.ts'
import { createJwksSource, type FetchFn, type JwksSource, type JwksSourceOptions } from './jwks.ts'
import { VerifiedTokenCache } from './token-cache.ts'

export interface BearerJwtOptions {
  /** Required `iss` (with `azureTenantId`: replaces the two tenant issuers). */
  issuer?: string | undefined
  /** Required `aud` (one of). */
  audience?: string | readonly string[] | undefined
  /** Seconds of clock skew accepted on exp/nbf/iat (default 30). */
  clockTolerance?: number | undefined
  /** Restricts the algorithms further (within the key's family). */
  algorithms?: readonly string[] | undefined
  subject?: string | undefined
  /** Oldest accepted `iat`, e.g. "1h" or seconds. */
  maxTokenAge?: string | number | undefined
  /**
   * Refuse tokens without `exp` (default true): a token that never expires stays a valid credential
   * forever once leaked. Set false only for issuers that cannot set it.
   */
  requireExp?: boolean | undefined
}

export interface BearerJwtEntry extends AccessEntry {
  secret?: string | undefined
  /** PEM text of an RSA, EC or Ed25519 public key (from-config reads the file). */
  publicKey?: string | undefined
  wellKnownUri?: string | undefined
  azureTenantId?: string | undefined
  options?: BearerJwtOptions | undefined
}

export interface BearerJwtDeps {
  fetch?: FetchFn
  /** Base of Entra ID's discovery documents (default https://login.microsoftonline.com); tests use an emulator. */
  azureAuthority?: string
  /** Passed to every JWKS source (refresh interval, timeouts). */
  jwks?: Omit<JwksSourceOptions, 'discoveryUrl' | 'jwksUrl' | 'fetch'>
  now?: () => number
}

const HMAC = ['HS256', 'HS384', 'HS512']
const RSA = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512']
const ASYMMETRIC = [...RSA, 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519']

/** One way to verify a token, with the access of the entry it came from. */
interface Verifier {
  label: string
  algorithms: string[]
  key: (h: JWSHeaderParameters, t: FlattenedJWSInput) => Promise<CryptoKey | Uint8Array>
  options: JWTVerifyOptions
  access: AccessEntry
  jwks?: JwksSource
  defaultIssuerFromDiscovery: boolean
}

/**
 * Authenticator for bearer JWTs.
 * @example
 * bearerJwtAuthenticator([{ azureTenantId: '<tenant guid>', options: { audience: '8adf8e6e-67b2-4cf2-a259-e3dc5476c621' } }])
 */
export function bearerJwtAuthenticator (entries: readonly BearerJwtEntry[], deps: BearerJwtDeps = {}): Authenticator {
  const verifiers = entries.flatMap((e, i) => verifiersOf(e, i, deps))
  const cache = new VerifiedTokenCache(deps.now !== undefined ? { now: deps.now } : {})
  return {
    scheme: 'Bearer',
    async authenticate (req): Promise<AuthResult> {
      const token = parseBearer(req.authorization)
      if (token === undefined || token.split('.').length !== 3) return { kind: 'skip' }
      const cached = cache.get(token)
      if (cached !== undefined) return { kind: 'ok', principal: cached }
      let alg: string | undefined
      try {
        alg = decodeProtectedHeader(token).alg
      } catch {
        return { kind: 'fail', reason: 'malformed JWT header' }
      }
      if (alg === undefined || alg.toLowerCase() === 'none') return { kind: 'fail', reason: `JWT algorithm "${String(alg)}" refused` }
      const candidates = verifiers.filter(v => v.algorithms.includes(alg))
      if (candidates.length === 0) return { kind: 'fail', reason: `no bearerJwt key accepts algorithm ${alg.slice(0, 16)}` }
      const reasons: string[] = []
      for (const v of candidates) {
        try {
          const options = { ...v.options }
          if (deps.now !== undefined) options.currentDate = new Date(deps.now())
          if (v.defaultIssuerFromDiscovery) {
            const iss = v.jwks?.discoveredIssuer()
            if (iss !== undefined) options.issuer = iss
          }
          const { payload } = await jwtVerify(token, v.key, options)
          checkNotFromTheFuture(payload, deps.now?.() ?? Date.now(), v.options.clockTolerance)
          if (v.defaultIssuerFromDiscovery && options.issuer === undefined) {
            // the discovery document is fetched by the first verification: check its issuer now
            const iss = v.jwks?.discoveredIssuer()
            if (iss !== undefined && payload.iss !== iss) throw new Error(`unexpected "iss" claim value`)
          }
          const principal = principalOf(payload, v)
          cache.set(token, principal, expiryOf(payload, v.options))
          return { kind: 'ok', principal }
        } catch (err) {
          reasons.push(`${v.label}: ${err instanceof Error ? err.message : String(err)}`)
        }
      }
      return { kind: 'fail', reason: `JWT rejected (${reasons.join('; ').slice(0, 500)})` }
    }
  }
}

/** The Entra ID issuers of one tenant (v1 and v2 tokens). */
export function azureIssuers (tenantId: string): string[] {
  return [`https://sts.windows.net/${tenantId}/`, `https://login.microsoftonline.com/${tenantId}/v2.0`]
}

function verifiersOf (e: BearerJwtEntry, i: number, deps: BearerJwtDeps): Verifier[] {
  const o = e.options ?? {}
  const base: JWTVerifyOptions = { clockTolerance: o.clockTolerance ?? 30 }
  if (o.requireExp !== false) base.requiredClaims = ['exp']
  if (o.issuer !== undefined) base.issuer = o.issuer
  if (o.audience !== undefined) base.audience = typeof o.audience === 'string' ? o.audience : [...o.audience]
  if (o.subject !== undefined) base.subject = o.subject
  if (o.maxTokenAge !== undefined) base.maxTokenAge = o.maxTokenAge
  const access: AccessEntry = { readOnly: e.readOnly === true, baseEntities: e.baseEntities ?? [] }
  const restrict = (family: string[]): string[] => o.algorithms === undefined ? family : family.filter(a => o.algorithms?.includes(a))
  const jwksOpts = (u: { discoveryUrl: string }): JwksSourceOptions => ({ ...deps.jwks, ...u, ...(deps.fetch !== undefined ? { fetch: deps.fetch } : {}) })
  const out: Verifier[] = []
  const label = `bearerJwt[${i}]`
  if (e.secret !== undefined && e.secret !== '') {
    const algorithms = restrict(HMAC)
    out.push({ label: `${label} (HMAC)`, algorithms, key: perAlgorithm(algorithms, alg => hmacKey(e.secret ?? '', alg)), options: { ...base, algorithms }, access, defaultIssuerFromDiscovery: false })
  }
  if (e.publicKey !== undefined && e.publicKey !== '') {
    const key = createPublicKey(e.publicKey)
    const algorithms = restrict(algorithmsOfKey(key))
    out.push({ label: `${label} (public key)`, algorithms, key: perAlgorithm(algorithms, alg => publicCryptoKey(key, alg)), options: { ...base, algorithms }, access, defaultIssuerFromDiscovery: false })
  }
  if (e.wellKnownUri !== undefined && e.wellKnownUri !== '') {
    const jwks = createJwksSource(jwksOpts({ discoveryUrl: e.wellKnownUri }))
    const algorithms = restrict(ASYMMETRIC)
    out.push({ label: `${label} (wellKnownUri)`, algorithms, key: jwks.getKey, jwks, options: { ...base, algorithms }, access, defaultIssuerFromDiscovery: o.issuer === undefined })
  }
  if (e.azureTenantId !== undefined && e.azureTenantId !== '') {
    const authority = (deps.azureAuthority ?? 'https://login.microsoftonline.com').replace(/\/+$/, '')
    const tenant = encodeURIComponent(e.azureTenantId)
    const jwks = createJwksSource(jwksOpts({ discoveryUrl: `${authority}/${tenant}/v2.0/.well-known/openid-configuration` }))
    const algorithms = restrict(RSA)
    const options: JWTVerifyOptions = { ...base, algorithms, issuer: o.issuer ?? azureIssuers(e.azureTenantId) }
    out.push({ label: `${label} (azureTenantId)`, algorithms, key: jwks.getKey, jwks, options, access, defaultIssuerFromDiscovery: false })
  }
  return out
}

/**
 * A key resolver that imports the key once per algorithm: jose would otherwise import a raw secret or
 * a KeyObject into WebCrypto on every verification (the larger part of its cost).
 */
function perAlgorithm (algorithms: readonly string[], make: (alg: string) => Promise<CryptoKey>): (h: JWSHeaderParameters) => Promise<CryptoKey> {
  const keys = new Map<string, Promise<CryptoKey>>()
  return async (h) => {
    const alg = h.alg ?? ''
    if (!algorithms.includes(alg)) throw new Error(`algorithm ${alg.slice(0, 16)} not allowed`)
    let k = keys.get(alg)
    if (k === undefined) {
      k = make(alg)
      keys.set(alg, k)
    }
    return await k
  }
}

async function hmacKey (secret: string, alg: string): Promise<CryptoKey> {
  return await crypto.subtle.importKey('raw', new TextEncoder().encode(secret), { name: 'HMAC', hash: `SHA-${alg.slice(2)}` }, false, ['verify'])
}

async function publicCryptoKey (key: KeyObject, alg: string): Promise<CryptoKey> {
  const spki = key.export({ type: 'spki', format: 'der' })
  const hash = `SHA-${alg.slice(-3)}`
  const algorithm = alg.startsWith('RS')
    ? { name: 'RSASSA-PKCS1-v1_5', hash }
    : alg.startsWith('PS')
      ? { name: 'RSA-PSS', hash }
      : alg.startsWith('ES')
        ? { name: 'ECDSA', namedCurve: ({ ES256: 'P-256', ES384: 'P-384', ES512: 'P-521' } as Record<string, string>)[alg] ?? '' }
        : { name: 'Ed25519' }
  return await crypto.subtle.importKey('spki', spki, algorithm, false, ['verify'])
}

/** The algorithms a public key can verify: RSA → RS/PS, EC → ES by curve, Ed25519 → EdDSA. */
function algorithmsOfKey (key: KeyObject): string[] {
  switch (key.asymmetricKeyType) {
    case 'rsa': return [...RSA]
    case 'rsa-pss': return ['PS256', 'PS384', 'PS512']
    case 'ec': {
      const curve = key.asymmetricKeyDetails?.namedCurve
      return curve === 'prime256v1' ? ['ES256'] : curve === 'secp384r1' ? ['ES384'] : curve === 'secp521r1' ? ['ES512'] : []
    }
    case 'ed25519': return ['EdDSA', 'Ed25519']
    default: throw new Error(`bearerJwt publicKey: unsupported key type ${String(key.asymmetricKeyType)}`)
  }
}

function principalOf (payload: JWTPayload, v: Verifier): Principal {
  const claim = (k: string): string | undefined => typeof payload[k] === 'string' && payload[k] !== '' ? payload[k] : undefined
  return {
    name: (claim('sub') ?? claim('appid') ?? claim('azp') ?? claim('client_id') ?? v.label).slice(0, 200),
    method: 'bearerJwt',
    readOnly: v.access.readOnly === true,
    baseEntities: v.access.baseEntities ?? []
  }
}

/**
 * Refuses `iat` or `nbf` later than now + tolerance: a token "issued tomorrow" was minted with a
 * wrong clock or on purpose to outlive a rotation; jose alone accepts such an `iat`.
 */
function checkNotFromTheFuture (payload: JWTPayload, nowMs: number, tolerance: JWTVerifyOptions['clockTolerance']): void {
  const skew = typeof tolerance === 'number' ? tolerance : 30
  const limit = Math.floor(nowMs / 1000) + skew
  for (const claim of ['iat', 'nbf'] as const) {
    const v = payload[claim]
    if (v === undefined) continue
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new Error(`"${claim}" claim must be a number`)
    if (v > limit) throw new Error(`"${claim}" claim is in the future beyond the clock tolerance of ${skew}s`)
  }
}

/** When a verified token stops being valid (exp, or iat + maxTokenAge), ms. */
function expiryOf (payload: JWTPayload, options: JWTVerifyOptions): number | undefined {
  let until = typeof payload.exp === 'number' ? payload.exp * 1000 : undefined
  if (options.maxTokenAge !== undefined && typeof payload.iat === 'number') {
    // a string age ("1h") is not parsed here: such tokens are simply not cached beyond their iat
    const age = typeof options.maxTokenAge === 'number' ? options.maxTokenAge * 1000 : 0
    until = Math.min(until ?? Number.POSITIVE_INFINITY, payload.iat * 1000 + age)
  }
  return until
}
