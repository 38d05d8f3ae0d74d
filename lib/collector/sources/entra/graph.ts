// Microsoft Graph for the Entra collector, through lib/helpers/rest: this file only translates the
// `entra.<tenant>` keys into a REST connection and names the Graph answers the collector acts on.
//
//   auth.tenant_id / login_url / graph_url → auth.type oauth with azureTenantId, loginUrl, scope <graph_url>/.default
//   auth.oauth.clients                     → options.clients, round-robin (Graph throttles per application)
//   general.request_timeout                → options.attemptTimeout (per request)
//   general.max_retries                    → retry.retriesPerUrl (429/503/504, Retry-After honoured, 120 s at most)
//   general.max_concurrency                → maxConcurrent (requests in flight to Graph at once)
//   general.max_pages                      → the page bound of every @odata.nextLink chain
// Paging links are followed only on the Graph host (the token is never sent anywhere else).
import type { Logger } from '../../../logging/types.ts'
import { createRestClient, deltaPages, isRestError, RestError, type DeltaPage, type RestClient } from '../../../helpers/rest/index.ts'
import type { EntraCollectorConfig } from './config.ts'

/** A JSON GET client for Graph. */
export interface GraphClient {
  /** GETs a path (`/v1.0/users/delta?…`) or an absolute URL on the Graph host. */
  getJson (target: string, signal: AbortSignal): Promise<unknown>
  /** Follows `@odata.nextLink` from `target`; the last page carries `deltaLink` when Graph sent one. */
  pages (target: string, signal: AbortSignal): AsyncGenerator<DeltaPage>
  /** HTTP attempts made so far (retries and token requests included). */
  readonly requests: number
  /** The REST client underneath (token requests, stats, close). */
  readonly rest: RestClient
}

/** What {@link createGraphClient} needs besides the config. */
export interface GraphClientDeps {
  log: Logger
  now?: () => Date
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>
}

/** Longest Retry-After honoured (longer ones are waited this long). */
const MAX_RETRY_AFTER_MS = 120_000

/**
 * @example const graph = createGraphClient(parseEntraConfig(section), { log })
 */
export function createGraphClient (config: EntraCollectorConfig, deps: GraphClientDeps): GraphClient {
  const { auth: a, general: g } = config
  const rest = createRestClient({
    baseUrls: [a.graph_url],
    auth: {
      type: 'oauth',
      options: {
        azureTenantId: a.tenant_id,
        loginUrl: a.login_url,
        scope: `${a.graph_url}/.default`,
        clientRotation: 'roundRobin',
        clients: a.clients.map(c => ({ clientId: c.client_id, clientSecret: c.client_secret }))
      }
    },
    options: { attemptTimeout: g.request_timeout },
    retry: { retriesPerUrl: g.max_retries, capRetryAfter: true, maxRetryAfterMs: MAX_RETRY_AFTER_MS, baseDelayMs: 500, maxDelayMs: 30_000 },
    maxConcurrent: g.max_concurrency
  }, {
    log: deps.log,
    authHint: 'the tenant id, client_id and client_secret',
    ...(deps.now !== undefined ? { now: () => (deps.now as () => Date)().getTime() } : {}),
    ...(deps.sleep !== undefined ? { sleep: deps.sleep } : {})
  })
  return {
    rest,
    get requests () { return rest.stats.attempts },
    async getJson (target, signal) { return (await rest.request({ method: 'GET', path: target, signal })).body },
    pages: (target, signal) => deltaPages(rest, target, { signal, maxPages: g.max_pages })
  }
}

/** Graph's `error.code` of a failed request (`syncStateNotFound`, `Request_ResourceNotFound`, …). */
export function graphCode (err: unknown): string | undefined {
  if (!isRestError(err) || typeof err.body !== 'object' || err.body === null) return undefined
  const e = (err.body as { error?: { code?: unknown } }).error
  return typeof e?.code === 'string' ? e.code : undefined
}

/** For log lines: Graph's error code, else the HTTP status. */
export function graphReason (err: unknown): string {
  return graphCode(err) ?? (isRestError(err) && err.status !== undefined ? String(err.status) : '')
}

/** True when Graph answered `status` (e.g. 404: the object is gone). */
export function isGraphStatus (err: unknown, status: number): boolean {
  return isRestError(err) && err.kind === 'status' && err.status === status
}

/** A Graph answer the collector cannot use (a delta round without its delta link, …). */
export function graphAnswerError (message: string): RestError {
  return new RestError(message, { kind: 'status' })
}

/** Graph error codes that mean "this delta link is no longer usable: synchronize again". */
const RESYNC_CODES = new Set(['syncstatenotfound', 'resyncrequired', 'syncstateinvalid', 'resyncapplication', 'resyncchangesapplydifferences', 'resyncchangesuploaddifferences'])

/** True when Graph rejected a delta link (410 Gone, syncStateNotFound, resyncRequired, …): start a new round. */
export function needsResync (err: unknown): boolean {
  if (!isRestError(err) || err.kind !== 'status') return false
  if (err.status === 410) return true
  const code = graphCode(err)
  return code !== undefined && RESYNC_CODES.has(code.toLowerCase())
}
