// Request authentication of the HR collector: basic, bearer token, extra headers and OAuth client
// credentials. OAuth tokens are cached until shortly before `expires_in` runs out and refreshed on
// demand (also after a 401). Several OAuth clients are used as failover, not round-robin: the first
// client that gets a token is kept (and its token cached) until its token endpoint fails; then the
// next one is tried, in order, wrapping around. One cached token means one token request per expiry
// instead of one per client, and a broken client does not slow down every other request.
import type { Logger } from '../../../logging/types.ts'
import type { HrAuthConfig, HrOAuthClient } from './config.ts'

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
  const clients = auth.oauth ?? []
  if (clients.length === 0) {
    return { headers: async () => fixed, invalidate () {}, refreshable: false }
  }

  let current = 0
  let cached: { token: string, expiresAt: number } | undefined
  let inflight: Promise<string> | undefined

  const fetchToken = async (baseUrl: string, signal: AbortSignal): Promise<string> => {
    const errors: string[] = []
    for (let n = 0; n < clients.length; n++) {
      const i = (current + n) % clients.length
      const client = clients[i]
      if (client === undefined) continue
      try {
        const { token, expiresIn } = await requestToken(client, baseUrl, deps, signal)
        if (i !== current) deps.log.warn(`OAuth client ${client.client_id} now in use (previous client failed)`)
        current = i
        const lifetime = Math.max(0, expiresIn - EARLY_RENEWAL_S, Math.min(expiresIn, EARLY_RENEWAL_S) / 2)
        cached = { token, expiresAt: deps.now().getTime() + lifetime * 1000 }
        return token
      } catch (err) {
        if (signal.aborted) throw err
        const msg = (err as Error).message
        errors.push(`${client.client_id}: ${msg}`)
        deps.log.warn(`OAuth token request failed for client ${client.client_id}: ${msg}`)
      }
    }
    throw new HrAuthError(`no OAuth client got a token (${errors.join('; ')})`)
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

// Client credentials go in the form body (client_secret_post): sending them twice (form and Basic)
// is forbidden by RFC 6749 §2.3 and some servers reject it.
async function requestToken (client: HrOAuthClient, baseUrl: string, deps: HrAuthDeps, signal: AbortSignal): Promise<{ token: string, expiresIn: number }> {
  const url = new URL(client.token_url, `${baseUrl}/`).toString()
  const form = new URLSearchParams({ grant_type: 'client_credentials', client_id: client.client_id, client_secret: client.client_secret })
  if (client.scope !== undefined && client.scope !== '') form.set('scope', client.scope)
  const res = await deps.fetch(url, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/x-www-form-urlencoded',
      Accept: 'application/json'
    },
    body: form.toString(),
    signal: AbortSignal.any([signal, AbortSignal.timeout(deps.timeoutMs)])
  })
  const text = await res.text()
  if (!res.ok) throw new Error(`HTTP ${res.status} from ${url}: ${text.slice(0, 200)}`)
  let body: unknown
  try {
    body = JSON.parse(text)
  } catch {
    throw new Error(`token endpoint ${url} did not answer JSON`)
  }
  const b = body as { access_token?: unknown, expires_in?: unknown }
  if (typeof b.access_token !== 'string' || b.access_token === '') throw new Error(`token endpoint ${url} answered without access_token`)
  const expiresIn = typeof b.expires_in === 'number' ? b.expires_in : typeof b.expires_in === 'string' ? Number(b.expires_in) : 3600
  return { token: b.access_token, expiresIn: Number.isFinite(expiresIn) && expiresIn > 0 ? expiresIn : 3600 }
}
