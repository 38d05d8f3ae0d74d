// Signing keys fetched from an OpenID Connect discovery document (`jwks_uri`) or a JWKS URL, for
// bearerJwt's `wellKnownUri` and `azureTenantId`. Keys are cached; an unknown `kid` triggers one refetch
// at most every `minRefreshIntervalMs` (so forged kids cannot hammer the identity provider); a stale
// set is refreshed but kept when the endpoint is down. Documents are size-limited and keys bounded.
// Why not jose's createRemoteJWKSet (checked in jose 6.2.17; createLocalJWKSet does the key selection
// here): (1) its cooldown counts from the last successful fetch, so while the endpoint is down with no
// keys yet every token triggers a new fetch — ours refuses for `minRefreshIntervalMs` after a failed
// attempt, so forged tokens cannot hammer the identity provider; (2) once its cache is older than
// cacheMaxAge a failed reload rejects every token, while the documented rule (lib/auth/README.md,
// test/auth/jwt.test.ts "cached keys keep working") keeps the stale set while the endpoint is down;
// (3) it reads the whole response with `response.json()`: no bound on its size, nesting depth or the
// number of keys kept; (4) it knows nothing of the OpenID discovery document
// (`wellKnownUri`, `azureTenantId`) that names jwks_uri and the issuer.
import { withDeadline } from '../util/async.ts'
import { parseJsonLimited } from '../util/json.ts'
import { createLocalJWKSet, errors, type JSONWebKeySet, type JWK, type JWSHeaderParameters, type FlattenedJWSInput } from 'jose'

/** The fetch this module uses (injectable for tests). */
export type FetchFn = (url: string, init: { signal: AbortSignal, headers: Record<string, string> }) => Promise<Response>

export interface JwksSourceOptions {
  /** OpenID configuration document; its `jwks_uri` names the key set. */
  discoveryUrl?: string
  /** The key set itself (when there is no discovery document). */
  jwksUrl?: string
  fetch?: FetchFn
  /** Minimum time between two fetches, ms (default 30 s). */
  minRefreshIntervalMs?: number
  /** Keys older than this are refreshed on the next use, ms (default 1 h). */
  maxAgeMs?: number
  /** Per request, ms (default 5 s). */
  timeoutMs?: number
  /** Keys kept from one set (default 100). */
  maxKeys?: number
  now?: () => number
}

/** A key resolver for jose's jwtVerify, plus what the discovery document said. */
export interface JwksSource {
  getKey: (header: JWSHeaderParameters, token: FlattenedJWSInput) => Promise<CryptoKey | Uint8Array>
  /** `issuer` of the discovery document, once fetched. */
  discoveredIssuer: () => string | undefined
}

const MAX_DOCUMENT_BYTES = 512 * 1024

/**
 * Creates a cached key source.
 * @example
 * const jwks = createJwksSource({ discoveryUrl: 'https://idp.example/.well-known/openid-configuration' })
 * await jwtVerify(token, jwks.getKey, { issuer, audience })
 */
export function createJwksSource (opts: JwksSourceOptions): JwksSource {
  if (opts.discoveryUrl === undefined && opts.jwksUrl === undefined) throw new Error('createJwksSource: discoveryUrl or jwksUrl is required')
  const doFetch: FetchFn = opts.fetch ?? (async (url, init) => await fetch(url, init))
  const minInterval = opts.minRefreshIntervalMs ?? 30_000
  const maxAge = opts.maxAgeMs ?? 3_600_000
  const timeoutMs = opts.timeoutMs ?? 5_000
  const maxKeys = opts.maxKeys ?? 100
  const now = opts.now ?? Date.now

  let jwksUrl = opts.jwksUrl
  let issuer: string | undefined
  let keys: ReturnType<typeof createLocalJWKSet> | undefined
  let fetchedAt = 0
  let lastAttempt = Number.NEGATIVE_INFINITY
  let inflight: Promise<void> | undefined

  async function getJson (url: string): Promise<Record<string, unknown>> {
    // the deadline covers the body too: a server that sends headers and then trickles is cut off as well
    const text = await withDeadline(timeoutMs, async (signal) => {
      const res = await doFetch(url, { signal, headers: { accept: 'application/json' } })
      if (!res.ok) throw new Error(`GET ${url}: HTTP ${res.status}`)
      return await res.text()
    }, { what: `GET ${url}` })
    if (text.length > MAX_DOCUMENT_BYTES) throw new Error(`GET ${url}: document too large`)
    const body: unknown = parseJsonLimited(text)
    if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new Error(`GET ${url}: not a JSON object`)
    return body as Record<string, unknown>
  }

  async function load (): Promise<void> {
    lastAttempt = now()
    if (jwksUrl === undefined && opts.discoveryUrl !== undefined) {
      const doc = await getJson(opts.discoveryUrl)
      if (typeof doc.jwks_uri !== 'string' || !/^https?:\/\//i.test(doc.jwks_uri)) throw new Error(`${opts.discoveryUrl}: no jwks_uri`)
      jwksUrl = doc.jwks_uri
      if (typeof doc.issuer === 'string') issuer = doc.issuer
    }
    if (jwksUrl === undefined) throw new Error('no JWKS URL')
    const set = await getJson(jwksUrl)
    if (!Array.isArray(set.keys)) throw new Error(`${jwksUrl}: no keys array`)
    const usable = (set.keys as unknown[])
      .filter((k): k is JWK => typeof k === 'object' && k !== null && typeof (k as JWK).kty === 'string' && (k as JWK).use !== 'enc' && (k as JWK).kty !== 'oct')
      .slice(0, maxKeys)
    keys = createLocalJWKSet({ keys: usable } satisfies JSONWebKeySet)
    fetchedAt = now()
  }

  /** One fetch at a time; callers share it. */
  async function refresh (): Promise<void> {
    inflight ??= load().finally(() => { inflight = undefined })
    await inflight
  }

  return {
    discoveredIssuer: () => issuer,
    async getKey (header, token) {
      if (keys === undefined) {
        if (now() - lastAttempt < minInterval && inflight === undefined) throw new Error('signing keys unavailable (endpoint failed recently)')
        await refresh()
      } else if (now() - fetchedAt > maxAge && now() - lastAttempt >= minInterval) {
        await refresh().catch(() => { /* keep the stale keys while the endpoint is down */ })
      }
      const current = keys
      if (current === undefined) throw new Error('signing keys unavailable')
      try {
        return await current(header, token)
      } catch (err) {
        if (!(err instanceof errors.JWKSNoMatchingKey) || now() - lastAttempt < minInterval) throw err
        await refresh() // key rotation: the identity provider may have published a new key
        const again = keys
        if (again === undefined) throw err
        return await again(header, token)
      }
    }
  }
}
