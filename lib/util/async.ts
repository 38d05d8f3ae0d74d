// Shared async building blocks, so timing logic is written (and tested) once: an abortable sleep,
// a deadline around an abortable task, exponential backoff with jitter, a concurrency limiter and a
// yield to the event loop (long loops let other requests run between iterations).
import { setImmediate as immediate } from 'node:timers/promises'

/** What a sleep or deadline rejects with when its signal aborts without a reason of its own. */
export class AbortedError extends Error {
  constructor (message = 'aborted', options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'AbortError'
  }
}

/** What {@link withDeadline} rejects with when the time is up. */
export class DeadlineError extends Error {
  constructor (readonly ms: number, what = 'operation', options?: { cause?: unknown }) {
    super(`${what} did not finish within ${ms} ms`, options)
    this.name = 'DeadlineError'
  }
}

function abortReason (signal: AbortSignal): unknown {
  return signal.reason ?? new AbortedError()
}

/**
 * Resolves after `ms`; rejects with the signal's reason as soon as `signal` aborts (the timer is
 * cleared, so an aborted sleep keeps nothing alive).
 * @example await sleep(250, req.signal)
 */
export async function sleep (ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted === true) throw abortReason(signal)
  await new Promise<void>((resolve, reject) => {
    const onAbort = (): void => {
      clearTimeout(timer)
      reject(abortReason(signal as AbortSignal))
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort)
      resolve()
    }, Math.max(0, ms))
    signal?.addEventListener('abort', onAbort, { once: true })
  })
}

/**
 * Runs `task` with a signal that aborts after `ms` (or when `signal` aborts); rejects with a
 * DeadlineError when the time is up, even if the task ignores its signal.
 * @example const res = await withDeadline(5000, s => fetch(url, { signal: s }), { what: 'JWKS fetch' })
 */
export async function withDeadline<T> (ms: number, task: (signal: AbortSignal) => Promise<T>, opts: { signal?: AbortSignal | undefined, what?: string } = {}): Promise<T> {
  const ctl = new AbortController()
  const expired = new DeadlineError(ms, opts.what)
  const onOuter = (): void => { ctl.abort(abortReason(opts.signal as AbortSignal)) }
  if (opts.signal?.aborted === true) throw abortReason(opts.signal)
  opts.signal?.addEventListener('abort', onOuter, { once: true })
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => { ctl.abort(expired); reject(expired) }, Math.max(0, ms))
  })
  const outer = new Promise<never>((_resolve, reject) => {
    ctl.signal.addEventListener('abort', () => { reject(ctl.signal.reason) }, { once: true })
  })
  try {
    return await Promise.race([task(ctl.signal), timeout, outer])
  } finally {
    clearTimeout(timer)
    opts.signal?.removeEventListener('abort', onOuter)
  }
}

export interface BackoffOptions {
  /** Delay before the first retry, ms. */
  baseMs: number
  /** Longest delay, ms. */
  maxMs: number
  /** Growth per attempt (default 2). */
  factor?: number
  /**
   * `'full'`: uniform in [0, d] (spreads a herd of clients best); `'equal'`: uniform in [d/2, d];
   * `'none'`: exactly d (deterministic, e.g. a slow-down a client must be able to predict). Default 'full'.
   */
  jitter?: 'full' | 'equal' | 'none'
  /** Source of randomness in [0, 1) (tests). */
  random?: () => number
}

/**
 * The delay before retry number `attempt` (0 = first retry): min(maxMs, baseMs × factor^attempt),
 * jittered.
 * @example backoffDelay(3, { baseMs: 100, maxMs: 5000, jitter: 'none' }) // 800
 */
export function backoffDelay (attempt: number, opts: BackoffOptions): number {
  const factor = opts.factor ?? 2
  // the exponent is bounded so a huge attempt count cannot overflow to Infinity/NaN
  const d = Math.min(opts.maxMs, opts.baseMs * factor ** Math.min(Math.max(0, attempt), 64))
  const random = opts.random ?? Math.random
  switch (opts.jitter ?? 'full') {
    case 'none': return d
    case 'equal': return d / 2 + random() * (d / 2)
    default: return random() * d
  }
}

/** Runs at most `max` tasks at once; the others wait in arrival order. */
export interface ConcurrencyLimiter {
  run: <T>(task: () => Promise<T>) => Promise<T>
  /** Tasks running now. */
  readonly active: number
  /** Tasks waiting for a slot. */
  readonly pending: number
}

/**
 * @example
 * const limit = createLimiter(4)
 * await Promise.all(urls.map(u => limit.run(() => fetch(u))))
 */
export function createLimiter (max: number): ConcurrencyLimiter {
  if (!Number.isInteger(max) || max < 1) throw new RangeError(`concurrency limit must be an integer >= 1, got ${max}`)
  let active = 0
  const queue: Array<() => void> = []
  const release = (): void => {
    active--
    const next = queue.shift()
    if (next !== undefined) { active++; next() }
  }
  return {
    get active () { return active },
    get pending () { return queue.length },
    async run<T> (task: () => Promise<T>): Promise<T> {
      if (active < max) active++
      else await new Promise<void>(resolve => { queue.push(resolve) })
      try {
        return await task()
      } finally {
        release()
      }
    }
  }
}

/**
 * Lets the event loop run pending I/O and timers before continuing: a long synchronous-ish loop
 * (a Bulk of 1,000 operations) calls it between steps so other clients' requests are not starved.
 */
export async function yieldToEventLoop (): Promise<void> {
  await immediate()
}
