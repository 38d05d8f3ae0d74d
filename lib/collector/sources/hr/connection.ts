// The HR collector's REST connection: translates the documented `hr.<tenant>.auth` and
// `general.request_timeout` / `max_retries` keys into a lib/helpers/rest connection, so every HR
// request goes through the one outbound client (auth, token cache, retries, failover).
//
//   auth.base_urls            → baseUrls, per-URL mode (each tried once per request, from the last good one)
//   auth.basic / bearer_token → auth.type basic / bearer
//   auth.header               → options.headers (with any auth)
//   auth.oauth (one or more)  → auth.type oauth, options.clients in failover order
//   auth.oauth_saml_assertion → auth.type oauthSamlBearer (SuccessFactors), assertion made here
//   general.request_timeout   → options.attemptTimeout (per attempt; a timeout moves to the next base URL)
//   general.max_retries       → retry.retriesPerUrl (429/503 on the same base URL, Retry-After capped at 120 s)
// A token_url given as a path (`/oauth/token`) is on the origin of the base URL in use.
import { join } from 'node:path'
import type { Logger } from '../../../logging/types.ts'
import { createRestClient, type RestClient, type SamlAssertionProvider } from '../../../helpers/rest/index.ts'
import type { HrCollectorConfig } from './config.ts'
import { hrSamlAssertion, loadSamlKeys } from './saml-token.ts'

/** What {@link hrRestClient} needs besides the config. */
export interface HrConnectionDeps {
  log: Logger
  /** Directory of relative oauth_saml_assertion key_file / cert_file (default ./config/certs). */
  certDir?: string
  now?: () => Date
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>
  /** Replaces the SAML assertion maker (tests). */
  samlAssertion?: SamlAssertionProvider
}

/** Longest Retry-After honoured (longer ones are waited this long). */
const MAX_RETRY_AFTER_MS = 120_000

/**
 * The REST client of an HR tenant.
 * @throws Error when oauth_saml_assertion's key files are missing or unusable
 * @example const client = hrRestClient(parseHrConfig(section), { log })
 */
export function hrRestClient (config: HrCollectorConfig, deps: HrConnectionDeps): RestClient {
  const { auth: a, general: g } = config
  const certDir = deps.certDir ?? join(process.cwd(), 'config', 'certs')
  const first = a.base_urls[0] ?? ''
  const tokenUrl = (u: string): string => /^https?:\/\//i.test(u) || u.startsWith('/') ? u : new URL(u, `${first}/`).toString()
  let auth: Record<string, unknown> | undefined
  let hint: string | undefined
  let samlAssertion = deps.samlAssertion
  if (a.basic !== undefined) auth = { type: 'basic', options: { username: a.basic.username, password: a.basic.password } }
  else if (a.bearer_token !== undefined) auth = { type: 'bearer', options: { token: a.bearer_token } }
  else if (a.oauth !== undefined) {
    auth = { type: 'oauth', options: { clientRotation: 'failover', clients: a.oauth.map(c => ({ clientId: c.client_id, clientSecret: c.client_secret, tokenUrl: tokenUrl(c.token_url), ...(c.scope !== undefined && c.scope !== '' ? { scope: c.scope } : {}) })) } }
    hint = 'auth.oauth token_url, client_id and client_secret'
  } else if (a.oauth_saml_assertion !== undefined) {
    const s = a.oauth_saml_assertion
    // (an assertion is used once, right away: the REST client takes a life of a day at most)
    // read and checked once: a file problem surfaces when the collector is made, not at the first request
    const keys = loadSamlKeys(s, certDir)
    samlAssertion ??= hrSamlAssertion(s, deps.now)
    auth = {
      type: 'oauthSamlBearer',
      options: {
        tokenUrl: tokenUrl(s.token_url),
        tls: { key: keys.privateKeyPem, cert: keys.certificatePem },
        samlPayload: { clientId: s.client_id, companyId: s.company_id, nameId: s.name_id, userIdentifierFormat: s.user_identifier_format, lifetime: Math.min(s.life_time, 86_400), audience: s.audience, issuer: s.issuer }
      }
    }
    hint = `SAML bearer client ${s.client_id}: auth.oauth_saml_assertion`
  }
  const connection = {
    baseUrls: [...a.base_urls],
    ...(auth !== undefined ? { auth } : {}),
    options: { attemptTimeout: g.request_timeout, ...(a.header !== undefined ? { headers: { ...a.header } } : {}) },
    retry: { retriesPerUrl: g.max_retries, capRetryAfter: true, maxRetryAfterMs: MAX_RETRY_AFTER_MS, baseDelayMs: 500, maxDelayMs: 30_000 }
  }
  const now = deps.now
  return createRestClient(connection, {
    certsDir: certDir,
    log: deps.log,
    ...(hint !== undefined ? { authHint: hint } : {}),
    ...(samlAssertion !== undefined ? { samlAssertion } : {}),
    ...(now !== undefined ? { now: () => now().getTime() } : {}),
    ...(deps.sleep !== undefined ? { sleep: deps.sleep } : {})
  })
}
