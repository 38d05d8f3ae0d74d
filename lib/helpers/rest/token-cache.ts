// A cached access token shared by every request of a connection: fetched once for concurrent
// callers (single flight), renewed before it expires (so no request goes out with a token about to
// lapse), and dropped when the API answers 401 (revoked or rotated keys).

/** What a token endpoint gave. `expiresInS` undefined = unknown lifetime (assume one hour). */
export interface Token { value: string, type: string, expiresInS?: number }

/** Seconds before expiry at which a token is renewed (at most half its lifetime). */
const EARLY_RENEWAL_S = 300
const DEFAULT_LIFETIME_S = 3600

/**
 * @example
 * const cache = new TokenCache(async signal => await requestToken(signal))
 * const header = await cache.authorization(signal) // "Bearer eyJ…"
 */
export class TokenCache {
  #cached: { header: string, renewAt: number } | undefined
  #inflight: Promise<string> | undefined
  #requests = 0

  constructor (private readonly fetchToken: (signal: AbortSignal) => Promise<Token>, private readonly now: () => number = Date.now) {}

  /** Token requests made so far (tests, diagnostics). */
  get requests (): number { return this.#requests }

  /** The Authorization header value, fetching a token when none is cached or it is due for renewal. */
  async authorization (signal: AbortSignal): Promise<string> {
    const c = this.#cached
    if (c !== undefined && this.now() < c.renewAt) return c.header
    // the in-flight request is shared; it must not die with the first caller's signal, so it gets
    // its own and each caller only stops waiting when its signal aborts
    this.#inflight ??= this.#fetch().finally(() => { this.#inflight = undefined })
    return await raceAbort(this.#inflight, signal)
  }

  /** Forgets the token (after a 401): the next request fetches a new one. */
  invalidate (header?: string): void {
    if (header === undefined || this.#cached?.header === header) this.#cached = undefined
  }

  async #fetch (): Promise<string> {
    this.#requests++
    const t = await this.fetchToken(AbortSignal.timeout(60_000))
    const life = t.expiresInS !== undefined && Number.isFinite(t.expiresInS) && t.expiresInS > 0 ? t.expiresInS : DEFAULT_LIFETIME_S
    const early = Math.min(EARLY_RENEWAL_S, life / 2)
    const header = `${t.type} ${t.value}`
    this.#cached = { header, renewAt: this.now() + (life - early) * 1000 }
    return header
  }
}

async function raceAbort<T> (p: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) throw signal.reason
  return await new Promise<T>((resolve, reject) => {
    const onAbort = (): void => { reject(signal.reason) }
    signal.addEventListener('abort', onAbort, { once: true })
    p.then(v => { signal.removeEventListener('abort', onAbort); resolve(v) }, (e: unknown) => { signal.removeEventListener('abort', onAbort); reject(e) })
  })
}
