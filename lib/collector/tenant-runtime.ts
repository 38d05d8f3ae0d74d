// One tenant inside the running service: its compiled program (mapper, dynamics, rules), its
// publisher connection and published state, its schedule, and runs that never overlap. Reconfigured
// in place on hot reload (program recompiled, schedule replaced) without dropping the connection.
import type { NatsConnection } from '@nats-io/transport-node'
import type { Logger } from '../logging/types.ts'
import { compileTenantMapper } from './tenant-mapper.ts'
import { compileDynamics, type DynamicDef } from './dynamics/index.ts'
import { compileStreamRules } from './rules/index.ts'
import { compileInitialLoadFilter } from './initial-load.ts'
import { createPublisher, type Publisher } from './publisher.ts'
import { runTenant, type RunStats, type TenantProgram } from './pipeline.ts'
import { parseScheduleSpec, schedule as startSchedule, type Scheduled } from './schedule.ts'
import type { TenantState } from './state.ts'
import type { CollectorMetrics } from './metrics.ts'
import type { TenantConfig } from './config.ts'
import type { CollectorHandle, CollectorType, SourceContext, SourceFactory } from './sources/types.ts'

export type { CollectorHandle, SourceContext, SourceFactory } from './sources/types.ts'

/** A running tenant. */
export interface TenantRuntime {
  readonly name: string
  readonly type: CollectorType
  /** Replaces config (recompiles; reschedules when collect_interval changed). Throws ConfigError when it does not compile, ScheduleSpecError for an unusable collect_interval. */
  reconfigure (cfg: TenantConfig): void
  /** Runs now (after a run in progress); `fullLoad` publishes every user regardless of the state, or with `fullLoadFilter` (a stream-rule filter) every user it holds for. */
  runNow (opts?: { fullLoad?: boolean, fullLoadFilter?: string }): Promise<RunStats>
  /** Starts the schedule. */
  start (): void
  /** Stops the schedule, waits for the run in progress and the publishes, closes the connection. */
  stop (): Promise<void>
  /** Stats of the last completed run. */
  readonly lastRun: RunStats | undefined
  /** False when the tenant's type has no collector (nothing is scheduled). */
  readonly collecting: boolean
  /** When the schedule runs next (undefined before start, after stop, or when not collecting). */
  readonly nextRun: Date | undefined
}

/** What a tenant runtime needs. */
export interface TenantRuntimeDeps {
  name: string
  type: CollectorType
  cfg: TenantConfig
  nc: NatsConnection
  state: TenantState
  log: Logger
  sources: SourceFactory
  /** Handed to the source factory (collectors that keep state of their own). */
  stateDir?: string
  configDir?: string
  onRun?: (tenant: string, stats: RunStats) => void
  /** Run counts, durations and errors for the operations port. */
  metrics?: CollectorMetrics
}

/**
 * Creates a tenant runtime (compiles; does not start the schedule).
 * @throws ConfigError when mapper/rules/dynamics do not compile
 */
export function createTenantRuntime (deps: TenantRuntimeDeps): TenantRuntime {
  const { name, type, nc, state, log } = deps
  let cfg = deps.cfg
  const ctx: SourceContext = { ...(deps.stateDir !== undefined ? { stateDir: deps.stateDir } : {}), ...(deps.configDir !== undefined ? { configDir: deps.configDir } : {}) }
  let collector = deps.sources(name, type, cfg, log, ctx)
  let program = compile(name, type, cfg, collector)
  const publisher: Publisher = createPublisher({ nc, log, maxInflight: cfg.general.max_inflight })
  let chain: Promise<unknown> = Promise.resolve()
  let scheduled: Scheduled | undefined
  let started = false
  let stopped = false
  let lastRun: RunStats | undefined
  const abort = new AbortController()

  const runOnce = async (fullLoad: boolean, filter?: string): Promise<RunStats> => {
    if (collector.unavailable !== undefined) throw new Error(collector.unavailable)
    const fullLoadFilter = filter === undefined ? undefined : compileInitialLoadFilter(filter, `${type}.${name}.general.do_initial_load_filter`)
    const t0 = Date.now()
    let stats: RunStats
    try {
      stats = await runTenant(program, collector.collect(abort.signal), {
        state, publisher, log, initiator: { id: 'scim-stream', upn: `scim-stream@${name}` }
      }, { fullLoad, signal: abort.signal, ...(fullLoadFilter !== undefined ? { fullLoadFilter } : {}) })
    } catch (err) {
      deps.metrics?.runFailed(name, (Date.now() - t0) / 1000)
      throw err
    }
    lastRun = stats
    deps.metrics?.runDone(name, stats, (Date.now() - t0) / 1000)
    log.info(`run finished in ${Date.now() - t0} ms`, { tenant: name, ...stats })
    deps.onRun?.(name, stats)
    return stats
  }

  const enqueue = async (fullLoad: boolean, filter?: string): Promise<RunStats> => {
    const p = chain.then(async () => await runOnce(fullLoad, filter))
    chain = p.catch(() => {})
    return await p
  }

  // schedule.ts owns the timing (seconds or crontab) and skips a tick while the previous scheduled run
  // is still waiting or running, so a slow source never builds up a backlog of runs. The run goes
  // through the same chain as runNow, so runs never overlap.
  const reschedule = (): void => {
    scheduled?.stop()
    scheduled = undefined
    if (stopped) return
    scheduled = startSchedule(cfg.general.collect_interval, async () => {
      try {
        await enqueue(false)
      } catch (err) {
        log.error(`collection run failed: ${(err as Error).message}`, { tenant: name })
      }
    }, { log, name: `${type}.${name}`, unref: true })
  }

  return {
    name,
    type,
    get lastRun () { return lastRun },
    get collecting () { return collector.unavailable === undefined },
    get nextRun () { return scheduled?.next() },
    reconfigure (next) {
      parseScheduleSpec(next.general.collect_interval) // throws before anything is replaced
      const nextCollector = deps.sources(name, type, next, log, ctx)
      program = compile(name, type, next, nextCollector)
      collector = nextCollector
      const rescheduled = String(next.general.collect_interval) !== String(cfg.general.collect_interval)
      cfg = next
      if (started && rescheduled && collector.unavailable === undefined) reschedule()
    },
    runNow: async (opts = {}) => await enqueue(opts.fullLoad === true, opts.fullLoadFilter),
    start () {
      started = true
      if (collector.unavailable !== undefined) {
        log.warn(`not collected: ${collector.unavailable}`, { tenant: name })
        return
      }
      reschedule()
    },
    async stop () {
      stopped = true
      scheduled?.stop()
      scheduled = undefined
      abort.abort()
      await chain
      await publisher.drain()
      publisher.close()
      await state.flush()
      await nc.close()
    }
  }
}

function compile (name: string, type: CollectorType, cfg: TenantConfig, collector: CollectorHandle): TenantProgram {
  const at = `${type}.${name}`
  return {
    tenant: name,
    type,
    mapper: compileTenantMapper(type, cfg.mapper, `${at}.mapper`),
    dynamics: compileDynamics(cfg.dynamics as unknown as DynamicDef[], { configPath: `${at}.dynamics` }),
    streams: compileStreamRules(cfg.streams, { configPath: `${at}.streams` }),
    ...(collector.lifecycle !== undefined ? { lifecycle: collector.lifecycle } : {}),
    deleteMissing: cfg.general.delete_missing
  }
}
