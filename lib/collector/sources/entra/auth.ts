// OAuth 2.0 client credentials against the Microsoft identity platform, one or more clients
// (`<login_url>/<tenant_id>/oauth2/v2.0/token`, scope `<graph_url>/.default`). The token is cached
// until shortly before `expires_in` runs out, shared by concurrent callers (one token request at a
// time) and dropped after a 401 from Graph. Error messages carry the endpoint's `error` and
// `error_description` (AADSTS codes) but never the secret or a token.
import type { EntraAuthConfig, EntraClient } from './config.ts'
import { causeOf } from '../net.ts'

/** Produces the Authorization header of Graph requests. */
export interface EntraAuth {
  /** `Bearer <token>` of the next client (round-robin), fetching a token when none is cached or it is about to expire. */
  authorization (signal: AbortSignal): Promise<string>
  /** Drops a cached token (after a 401): `authorization` names the header that was refused; none = every token. */
  invalidate (authorization?: string): void
  /** Token requests made so far (tests, diagnostics). */
  readonly tokenRequests: number
}

/** Dependencies of {@link createEntraAuth}. */
export interface EntraAuthDeps {
  fetch: typeof fetch
  now: () => Date
  /** Timeout of a token request in ms. */
  timeoutMs: number
}

/** The token endpoint refused the client or answered something unusable. Never retried. */
export class EntraAuthError extends Error {
  readonly status: number | undefined
  constructor (message: string, status?: number) {
    super(message)
    this.name = 'EntraAuthError'
    this.status = status
  }
}

/** Seconds before expiry at which a cached token is renewed. */
const EARLY_RENEWAL_S = 300

interface ClientState {
  client: EntraClient
  cached?: { token: string, renewAt: number }
  inflight?: Promise<string>
}

/**
 * Creates the authenticator. Several clients (`auth.oauth.clients`) are used in turn, request by
 * request, each with its own token: Graph throttles per application, so N app registrations give
 * about N times the budget. A client whose token request fails is skipped for that request (the next
 * one is tried); the run fails only when every client is refused.
 * @example const auth = createEntraAuth(cfg.auth, { fetch, now: () => new Date(), timeoutMs: 60_000 })
 */
export function createEntraAuth (auth: EntraAuthConfig, deps: EntraAuthDeps): EntraAuth {
  const tokenUrl = `${auth.login_url}/${encodeURIComponent(auth.tenant_id)}/oauth2/v2.0/token`
  const scope = `${auth.graph_url}/.default`
  const states: ClientState[] = auth.clients.map(client => ({ client }))
  let next = 0
  let tokenRequests = 0

  const fetchToken = async (st: ClientState, signal: AbortSignal): Promise<string> => {
    tokenRequests++
    const { client_id: clientId, client_secret: clientSecret } = st.client
    const form = new URLSearchParams({ grant_type: 'client_credentials', client_id: clientId, client_secret: clientSecret, scope })
    let res: Response
    try {
      res = await deps.fetch(tokenUrl, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json' },
        body: form.toString(),
        signal: AbortSignal.any([signal, AbortSignal.timeout(deps.timeoutMs)])
      })
    } catch (err) {
      if (signal.aborted) throw signal.reason ?? err
      const e = err as Error
      throw new EntraAuthError(`token request to ${tokenUrl} failed: ${e.name === 'TimeoutError' ? `timed out after ${deps.timeoutMs} ms` : causeOf(e)}`)
    }
    const text = await res.text().catch(() => '')
    let body: { access_token?: unknown, expires_in?: unknown, error?: unknown, error_description?: unknown } = {}
    try { body = JSON.parse(text) as typeof body } catch {}
    if (!res.ok) {
      const code = typeof body.error === 'string' ? body.error : `HTTP ${res.status}`
      const desc = typeof body.error_description === 'string' ? `: ${firstLine(body.error_description)}` : ''
      throw new EntraAuthError(`token request for client ${clientId} refused by ${tokenUrl} (${code}${desc}); check the tenant id, client_id and client_secret`, res.status)
    }
    if (typeof body.access_token !== 'string' || body.access_token === '') throw new EntraAuthError(`token endpoint ${tokenUrl} answered without access_token`, res.status)
    const raw = typeof body.expires_in === 'number' ? body.expires_in : Number(body.expires_in ?? 3600)
    const expiresIn = Number.isFinite(raw) && raw > 0 ? raw : 3600
    const lifetime = expiresIn > EARLY_RENEWAL_S * 2 ? expiresIn - EARLY_RENEWAL_S : expiresIn / 2
    st.cached = { token: body.access_token, renewAt: deps.now().getTime() + lifetime * 1000 }
    return body.access_token
  }

  const tokenOf = async (st: ClientState, signal: AbortSignal): Promise<string> => {
    if (st.cached !== undefined && deps.now().getTime() < st.cached.renewAt) return st.cached.token
    // One token request per client at a time, shared by concurrent callers.
    st.inflight ??= fetchToken(st, signal).finally(() => { st.inflight = undefined })
    return await st.inflight
  }

  return {
    get tokenRequests () { return tokenRequests },
    invalidate (authorization) {
      for (const st of states) if (authorization === undefined || `Bearer ${st.cached?.token ?? ''}` === authorization) st.cached = undefined
    },
    async authorization (signal) {
      const first = next
      next = (next + 1) % states.length
      let lastErr: unknown
      for (let n = 0; n < states.length; n++) {
        const st = states[(first + n) % states.length] as ClientState
        try {
          return `Bearer ${await tokenOf(st, signal)}`
        } catch (err) {
          if (signal.aborted || !(err instanceof EntraAuthError)) throw err
          lastErr = err
        }
      }
      throw lastErr
    }
  }
}

function firstLine (s: string): string {
  const line = s.split(/\r?\n/)[0] ?? ''
  return line.length > 300 ? `${line.slice(0, 300)}…` : line
}
