// Rate limits and the brute-force slow-down. A token bucket per key (client address or principal)
// answers 429 with Retry-After when empty; repeated authentication failures from one address have
// their own 401 answers delayed (growing, bounded; valid logins are never delayed). All state is in
// bounded maps, dropping the least recently used key first, so a flood of addresses cannot grow memory.
import { scimErrorResponse, type AuthEventObserver, type Gate, type PrincipalGateFn } from './http.ts'
import { backoffDelay, sleep } from '../util/async.ts'

export interface TokenBucketOptions {
  /** Sustained requests per second per key. */
  ratePerSecond: number
  /** Requests allowed at once (bucket size, default = 2 × rate, at least 1). */
  burst?: number | undefined
  /** Keys tracked (default 10,000). */
  maxKeys?: number | undefined
  /** The client behind trusted proxies (see clientAddressResolver); default: the socket address. */
  clientAddress?: ((req: Request, socketAddress: string | undefined) => string | undefined) | undefined
  now?: () => number
}

/** Token buckets per key. */
export interface RateLimiter {
  /** Takes one token; when none is left, the seconds until one is. */
  take: (key: string) => { ok: true } | { ok: false, retryAfterSeconds: number }
  readonly size: number
}

/**
 * @example
 * const l = createRateLimiter({ ratePerSecond: 10, burst: 20 })
 * l.take('10.0.0.1') // { ok: true }
 */
export function createRateLimiter (opts: TokenBucketOptions): RateLimiter {
  if (!(opts.ratePerSecond > 0)) throw new Error('rate limit: ratePerSecond must be > 0')
  const rate = opts.ratePerSecond
  const burst = Math.max(1, opts.burst ?? rate * 2)
  const now = opts.now ?? Date.now
  const buckets = new LruMap<{ tokens: number, at: number }>(opts.maxKeys ?? 10_000)
  return {
    get size () { return buckets.size },
    take (key) {
      const t = now()
      const b = buckets.get(key) ?? { tokens: burst, at: t }
      b.tokens = Math.min(burst, b.tokens + ((t - b.at) / 1000) * rate)
      b.at = t
      buckets.set(key, b)
      if (b.tokens >= 1) {
        b.tokens -= 1
        return { ok: true }
      }
      return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil((1 - b.tokens) / rate)) }
    }
  }
}

/** A gate limiting requests per client address (429 + Retry-After). */
export function addressRateLimitGate (limiter: RateLimiter, resolve: (req: Request, socketAddress: string | undefined) => string | undefined = (_r, a) => a): Gate {
  return (req, info) => {
    const r = limiter.take(`ip:${resolve(req, info.remoteAddress) ?? 'unknown'}`)
    return r.ok ? undefined : tooMany(r.retryAfterSeconds, info.route?.version)
  }
}

/** A post-authentication gate limiting requests per principal (429 + Retry-After). */
export function principalRateLimitGate (limiter: RateLimiter): PrincipalGateFn {
  return (_req, info) => {
    const r = limiter.take(`${info.principal.method}:${info.principal.name}`)
    return r.ok ? undefined : tooMany(r.retryAfterSeconds, info.route?.version)
  }
}

export interface SlowDownOptions {
  /** Failures without delay (default 3). */
  freeAttempts?: number | undefined
  /** Delay after the first counted failure, doubled per further failure, ms (default 500). */
  delayMs?: number | undefined
  /** Longest delay, ms (default 10 s). */
  maxDelayMs?: number | undefined
  /** Failures older than this are forgotten, ms (default 15 min). */
  windowMs?: number | undefined
  maxKeys?: number | undefined
  /** The client behind trusted proxies (see clientAddressResolver); default: the socket address. */
  clientAddress?: ((req: Request, socketAddress: string | undefined) => string | undefined) | undefined
  now?: () => number
  sleep?: (ms: number) => Promise<void>
}

/** The brute-force slow-down: an observer that counts failures and delays the failed answers. */
export interface FailedAuthSlowDown {
  /**
   * Kept for callers that register it: it no longer delays anything. Delaying every request of an
   * address before authentication also held up the valid login that followed a failure (issue 12).
   */
  gate: Gate
  /** Counts a failure and resolves after the delay it earned; a success resolves at once. */
  observer: AuthEventObserver
  /** The delay the next failure from this address would get, ms. */
  delayFor: (address: string | undefined) => number
}

/**
 * Slows down addresses that keep failing authentication: each failure beyond `freeAttempts`
 * answers its 401 only after a growing, bounded delay. Successes are never delayed, so a client
 * sharing a NAT address with an attacker is not locked out; and successes do not reset the count,
 * so an attacker cannot refill its free attempts by interleaving with others' valid logins. Wrong
 * user and wrong password count and wait alike (no user enumeration through timing).
 * Register `observer` in GatewayOptions.authObservers.
 */
export function failedAuthSlowDown (opts: SlowDownOptions = {}): FailedAuthSlowDown {
  const free = opts.freeAttempts ?? 3
  const base = opts.delayMs ?? 500
  const max = opts.maxDelayMs ?? 10_000
  const windowMs = opts.windowMs ?? 15 * 60_000
  const now = opts.now ?? Date.now
  const pause = opts.sleep ?? (async (ms: number) => { await sleep(ms) })
  const failures = new LruMap<{ count: number, last: number }>(opts.maxKeys ?? 10_000)
  const keyOf = (a: string | undefined): string => a ?? 'unknown'
  const clientOf = opts.clientAddress ?? ((_req: Request, socket: string | undefined) => socket)

  function delayFor (address: string | undefined): number {
    const f = failures.get(keyOf(address))
    if (f === undefined) return 0
    if (now() - f.last > windowMs) {
      failures.delete(keyOf(address))
      return 0
    }
    if (f.count <= free) return 0
    // deterministic (no jitter): every failure of a kind must wait alike
    return backoffDelay(f.count - free - 1, { baseMs: base, maxMs: max, jitter: 'none' })
  }

  return {
    delayFor,
    gate: () => undefined,
    observer: async (info) => {
      if (info.ok) return
      const address = info.req !== undefined ? clientOf(info.req, info.remoteAddress) : info.remoteAddress
      const key = keyOf(address)
      const f = failures.get(key)
      failures.set(key, { count: (f === undefined || now() - f.last > windowMs ? 0 : f.count) + 1, last: now() })
      const ms = delayFor(address)
      if (ms > 0) await pause(ms)
    }
  }
}

function tooMany (retryAfterSeconds: number, version: '2.0' | '1.1' | undefined): Response {
  return scimErrorResponse(429, 'Too many requests', version, { 'retry-after': String(retryAfterSeconds) })
}

/** A Map that forgets the least recently used key beyond `max` entries. */
class LruMap<V> {
  private readonly map = new Map<string, V>()
  constructor (private readonly max: number) {}
  get size (): number { return this.map.size }
  get (k: string): V | undefined {
    const v = this.map.get(k)
    if (v !== undefined) {
      this.map.delete(k)
      this.map.set(k, v)
    }
    return v
  }

  set (k: string, v: V): void {
    this.map.delete(k)
    this.map.set(k, v)
    if (this.map.size > this.max) {
      const oldest = this.map.keys().next()
      if (oldest.done !== true) this.map.delete(oldest.value)
    }
  }

  delete (k: string): void { this.map.delete(k) }
}
