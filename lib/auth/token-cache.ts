// A bounded cache of verified bearer tokens: token string → principal, until the token's own expiry
// (capped). Verifying a signature costs more than serving a cached GET, so a busy client verifies its
// token once per cap interval. Only successes are stored; a lookup compares whole token strings.
import type { Principal } from './types.ts'

export interface TokenCacheOptions {
  /** Most entries kept; the oldest is dropped first (default 1000). */
  maxEntries?: number
  /** Longest time a verified token is trusted without verifying again, ms (default 60 s). */
  maxTtlMs?: number
  now?: () => number
}

/** Cache of verified tokens; one per authenticator, never shared between gateways. */
export class VerifiedTokenCache {
  private readonly entries = new Map<string, { principal: Principal, until: number }>()
  private readonly maxEntries: number
  private readonly maxTtlMs: number
  private readonly now: () => number

  constructor (opts: TokenCacheOptions = {}) {
    this.maxEntries = opts.maxEntries ?? 1000
    this.maxTtlMs = opts.maxTtlMs ?? 60_000
    this.now = opts.now ?? Date.now
  }

  /** The principal of a token verified before and not yet stale. */
  get (token: string): Principal | undefined {
    const e = this.entries.get(token)
    if (e === undefined) return undefined
    if (e.until <= this.now()) {
      this.entries.delete(token)
      return undefined
    }
    return e.principal
  }

  /** Remembers a verified token until `notAfterMs` (its `exp`), at most maxTtlMs from now. */
  set (token: string, principal: Principal, notAfterMs: number | undefined): void {
    const until = Math.min(this.now() + this.maxTtlMs, notAfterMs ?? Number.POSITIVE_INFINITY)
    if (until <= this.now()) return
    if (this.entries.size >= this.maxEntries) {
      const oldest = this.entries.keys().next()
      if (oldest.done !== true) this.entries.delete(oldest.value)
    }
    this.entries.set(token, { principal, until })
  }

  get size (): number { return this.entries.size }
}
