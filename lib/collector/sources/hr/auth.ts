// Request authentication of the HR collector: basic, bearer token, extra headers, OAuth client
// credentials and the SAML2 bearer grant (saml-token.ts, SAP SuccessFactors). OAuth tokens are cached until shortly before `expires_in` runs out and refreshed on
// demand (also after a 401). Several OAuth clients are used as failover, not round-robin: the first
// client that gets a token is kept (and its token cached) until its token endpoint fails; then the
// next one is tried, in order, wrapping around. One cached token means one token request per expiry
// instead of one per client, and a broken client does not slow down every other request.
import type { Logger } from '../../../logging/types.ts'
import { join } from 'node:path'
import type { HrAuthConfig, HrOAuthClient } from './config.ts'
import { loadSamlKeys, requestSamlToken } from './saml-token.ts'
import { postTokenForm, type TokenAnswer } from './token.ts'

/** Produces the headers of each request. */
export interface HrAuth {
  /** Headers for a request to `baseUrl` (a relative token_url is resolved against it). */
  headers (baseUrl: string, signal: AbortSignal): Promise<Record<string, string>>
  /** Drops the cached token (after a 401): the next request fetches a new one. */
  invalidate (): void
  /** True when invalidate() can help (OAuth). */
  readonly refreshable: boolean
}

/** Dependencies of {@link createHrAuth}. */
export interface HrAuthDeps {
  fetch: typeof fetch
  now: () => Date
  log: Logger
  /** Timeout of a token request in ms. */
  timeoutMs: number
  /** Directory of relative oauth_saml_assertion key_file / cert_file (default ./config/certs). */
  certDir?: string
}

/** An authentication failure that no other base URL can fix (bad credentials, every client failed). */
export class HrAuthError extends Error {
  constructor (message: string) {
    super(message)
    this.name = 'HrAuthError'
  }
}

/** Seconds before expiry at which a cached token is renewed. */
const EARLY_RENEWAL_S = 60

/**
 * Creates the authenticator for `auth`.
 * @example const auth = createHrAuth(cfg.auth, { fetch, now: () => new Date(), log, timeoutMs: 30_000 })
 */
export function createHrAuth (auth: HrAuthConfig, deps: HrAuthDeps): HrAuth {
  const fixed: Record<string, string> = { ...(auth.header ?? {}) }
  if (auth.basic !== undefined) {
    fixed.Authorization = `Basic ${Buffer.from(`${auth.basic.username}:${auth.basic.password}`, 'utf8').toString('base64')}`
  } else if (auth.bearer_token !== undefined) {
    fixed.Authorization = `Bearer ${auth.bearer_token}`
  }
  const sources = tokenSources(auth, deps)
  if (sources.length === 0) {
    return { headers: async () => fixed, invalidate () {}, refreshable: false }
  }

  let current = 0
  let cached: { token: string, expiresAt: number } | undefined
  let inflight: Promise<string> | undefined

  const fetchToken = async (baseUrl: string, signal: AbortSignal): Promise<string> => {
    const errors: string[] = []
    for (let n = 0; n < sources.length; n++) {
      const i = (current + n) % sources.length
      const source = sources[i]
      if (source === undefined) continue
      try {
        const { token, expiresIn } = await source.request(baseUrl, signal)
        if (i !== current) deps.log.warn(`${source.name} now in use (previous client failed)`)
        current = i
        const lifetime = Math.max(0, expiresIn - EARLY_RENEWAL_S, Math.min(expiresIn, EARLY_RENEWAL_S) / 2)
        cached = { token, expiresAt: deps.now().getTime() + lifetime * 1000 }
        return token
      } catch (err) {
        if (signal.aborted) throw err
        const msg = (err as Error).message
        errors.push(`${source.name}: ${msg}`)
        deps.log.warn(`${source.name.startsWith('OAuth client ') ? `OAuth token request failed for client ${source.name.slice(13)}` : `token request failed for ${source.name}`}: ${msg}`)
      }
    }
    throw new HrAuthError(sources.length === 1 && auth.oauth_saml_assertion !== undefined
      ? `SAML bearer token request failed (${errors.join('; ')})`
      : `no OAuth client got a token (${errors.join('; ')})`)
  }

  return {
    refreshable: true,
    invalidate () { cached = undefined },
    async headers (baseUrl, signal) {
      if (cached === undefined || deps.now().getTime() >= cached.expiresAt) {
        // One token request at a time, shared by concurrent callers.
        inflight ??= fetchToken(baseUrl, signal).finally(() => { inflight = undefined })
        await inflight
      }
      return { ...fixed, Authorization: `Bearer ${cached?.token ?? ''}` }
    }
  }
}

interface TokenSource {
  name: string
  request: (baseUrl: string, signal: AbortSignal) => Promise<TokenAnswer>
}

/** The SAML bearer exchange, or one client-credentials source per OAuth client (in failover order). */
function tokenSources (auth: HrAuthConfig, deps: HrAuthDeps): TokenSource[] {
  const saml = auth.oauth_saml_assertion
  if (saml !== undefined) {
    // Read once: a file problem surfaces when the collector is created, not at the first request.
    const keys = loadSamlKeys(saml, deps.certDir ?? join(process.cwd(), 'config', 'certs'))
    return [{ name: `SAML bearer client ${saml.client_id}`, request: async (b, s) => await requestSamlToken(saml, keys, b, deps.fetch, deps.timeoutMs, s, deps.now()) }]
  }
  return (auth.oauth ?? []).map(c => ({ name: `OAuth client ${c.client_id}`, request: async (b, s) => await requestToken(c, b, deps, s) }))
}

// Client credentials go in the form body (client_secret_post): sending them twice (form and Basic)
// is forbidden by RFC 6749 §2.3 and some servers reject it.
async function requestToken (client: HrOAuthClient, baseUrl: string, deps: HrAuthDeps, signal: AbortSignal): Promise<TokenAnswer> {
  const url = new URL(client.token_url, `${baseUrl}/`).toString()
  const form = new URLSearchParams({ grant_type: 'client_credentials', client_id: client.client_id, client_secret: client.client_secret })
  if (client.scope !== undefined && client.scope !== '') form.set('scope', client.scope)
  return await postTokenForm(url, form, deps.fetch, deps.timeoutMs, signal)
}
