// Collection schedules (`general.collect_interval`): a number of seconds (number or numeric string)
// or a crontab expression (croner; 5 fields, or 6 with seconds first). Runs never overlap: a tick
// that comes while the previous run is still busy is skipped and logged. A run's error is logged and
// never thrown out of the schedule. Nothing starts before schedule() is called.
import { Cron } from 'croner'
import type { Logger } from '../logging/types.ts'

/** A parsed `collect_interval`. */
export type ScheduleSpec = { kind: 'interval', seconds: number } | { kind: 'cron', pattern: string }

/** Timer functions (injectable for tests; default the global ones). */
export interface ScheduleTimers {
  setTimeout: (fn: () => void, ms: number) => unknown
  clearTimeout: (handle: unknown) => void
}

/** Options of {@link schedule}. */
export interface ScheduleOptions {
  log: Logger
  /** Name in log lines (e.g. `hr.mycompany`). */
  name?: string
  /** Crontab time zone (IANA name); default the process's. */
  timezone?: string
  /** Clock and timers for interval schedules (tests). */
  now?: () => Date
  timers?: ScheduleTimers
  /** Do not keep the process alive for the schedule alone. */
  unref?: boolean
}

/** A running schedule. */
export interface Scheduled {
  /** Stops further ticks (a run in progress finishes; see idle()). */
  stop (): void
  /** The next tick, or undefined once stopped. */
  next (): Date | undefined
  /** True while a run is in progress. */
  readonly running: boolean
  /** Resolves when no run is in progress. */
  idle (): Promise<void>
}

/** An unusable `collect_interval`. */
export class ScheduleSpecError extends Error {
  constructor (message: string) {
    super(message)
    this.name = 'ScheduleSpecError'
  }
}

const NUMERIC = /^\d+(\.\d+)?$/

/**
 * Reads `collect_interval`: seconds (> 0) or a crontab expression.
 * @throws ScheduleSpecError
 * @example parseScheduleSpec(300) // { kind: 'interval', seconds: 300 }
 * @example parseScheduleSpec('0 *\/15 * * * *') // every 15 minutes, at second 0
 */
export function parseScheduleSpec (spec: number | string): ScheduleSpec {
  if (typeof spec === 'number' || NUMERIC.test(spec.trim())) {
    const seconds = Number(spec)
    if (!Number.isFinite(seconds) || seconds <= 0) throw new ScheduleSpecError(`collect_interval must be more than 0 seconds, got ${String(spec)}`)
    return { kind: 'interval', seconds }
  }
  const pattern = spec.trim()
  try {
    new Cron(pattern, { paused: true }).stop()
  } catch (err) {
    throw new ScheduleSpecError(`collect_interval "${pattern}" is neither seconds nor a valid crontab expression: ${(err as Error).message}`)
  }
  return { kind: 'cron', pattern }
}

/** The problem with a `collect_interval`, or undefined when it is usable (for config validation). */
export function checkScheduleSpec (spec: number | string): string | undefined {
  try {
    parseScheduleSpec(spec)
    return undefined
  } catch (err) {
    return (err as Error).message
  }
}

/**
 * Runs `run` on the schedule `spec` until stop(). The first run is at the first tick (one interval
 * from now, or the next crontab match).
 * @throws ScheduleSpecError for an unusable spec
 * @example const s = schedule(cfg.general.collect_interval, async () => { await runOnce() }, { log })
 */
export function schedule (spec: number | string, run: () => Promise<void>, opts: ScheduleOptions): Scheduled {
  const parsed = parseScheduleSpec(spec)
  const log = opts.log
  const label = opts.name !== undefined ? `${opts.name}: ` : ''
  let current: Promise<void> | undefined
  let stopped = false
  let skipped = 0

  const tick = (): void => {
    if (stopped) return
    if (current !== undefined) {
      // one warning per overlong run; further skipped ticks of the same run only at debug level
      if (skipped++ === 0) log.warn(`${label}previous collection still running: this tick is skipped (further skips of this run are logged at debug level)`)
      else log.debug(`${label}previous collection still running: tick skipped (${skipped} so far)`)
      return
    }
    current = Promise.resolve()
      .then(run)
      .catch((err: unknown) => { log.error(`${label}collection failed: ${err instanceof Error ? err.message : String(err)}`) })
      .finally(() => {
        current = undefined
        if (skipped > 1) log.info(`${label}collection finished; ${skipped} ticks were skipped while it ran`)
        skipped = 0
      })
  }

  const base = {
    get running () { return current !== undefined },
    idle: async () => { while (current !== undefined) await current }
  }

  if (parsed.kind === 'cron') {
    const job = new Cron(parsed.pattern, { ...(opts.timezone !== undefined ? { timezone: opts.timezone } : {}), ...(opts.unref === true ? { unref: true } : {}) }, tick)
    return Object.assign(base, {
      stop () { stopped = true; job.stop() },
      next: () => stopped ? undefined : job.nextRun() ?? undefined
    })
  }

  const timers: ScheduleTimers = opts.timers ?? { setTimeout: (fn, ms) => setTimeout(fn, ms), clearTimeout: (h) => { clearTimeout(h as NodeJS.Timeout) } }
  const now = opts.now ?? (() => new Date())
  const ms = parsed.seconds * 1000
  let nextAt = now().getTime() + ms
  let handle: unknown
  const arm = (): void => {
    handle = timers.setTimeout(() => {
      if (stopped) return
      // Fixed cadence; ticks missed while the process slept are not made up for.
      const t = now().getTime()
      nextAt += ms
      if (nextAt <= t) nextAt = t + ms
      arm()
      tick()
    }, Math.max(0, nextAt - now().getTime()))
    if (opts.unref === true) (handle as { unref?: () => void }).unref?.()
  }
  arm()
  return Object.assign(base, {
    stop () { stopped = true; timers.clearTimeout(handle) },
    next: () => stopped ? undefined : new Date(nextAt)
  })
}
