// The SCIM Stream service: config → logging (+ error mail, rotated-log retention) → NATS (builtin
// or external) → operations port → one runtime per tenant (service-tenants.ts) → hot reload of the
// config file → clean stop. startService runs the start steps in order and undoes the finished ones
// when a later step fails; RunningService is the started service (reload, watch, stop).
import { watch, type FSWatcher } from 'node:fs'
import { basename, dirname } from 'node:path'
import { isConfigError } from '../config/index.ts'
import type { Logger } from '../logging/types.ts'
import { configPath, loadStreamConfig, tenantsOf, type LoadedStreamConfig, type StreamConfig } from './config.ts'
import { openNatsLink, type NatsLink } from './nats-link.ts'
import type { SourceFactory } from './tenant-runtime.ts'
import type { RunStats } from './pipeline.ts'
import { defaultSources } from './sources/registry.ts'
import { CollectorMetrics, startMetricsServer, type MetricsServer } from './metrics.ts'
import { startServiceLogging, type ServiceLogging } from './service-logging.ts'
import { TenantSet } from './service-tenants.ts'

/** Options of {@link startService}. */
export interface ServiceOptions {
  configFile: string
  env?: NodeJS.ProcessEnv
  /** Use this logger instead of the one configured by `log` (tests). */
  log?: Logger
  /** Collector factory (default: the sources registered in sources/registry.ts). */
  sources?: SourceFactory
  /** Called after every run. */
  onRun?: (tenant: string, stats: RunStats) => void
  /** Called after every reload attempt (ok or rejected). */
  onReload?: (ok: boolean, error?: Error) => void
  /** Watch the config file (default true). */
  watch?: boolean
  /** Debounce of file events in ms (default 300). */
  debounceMs?: number
  /** Run every tenant once at start (default true). */
  runAtStart?: boolean
}

/** The running service. */
export interface StreamService {
  readonly config: StreamConfig
  readonly nats: NatsLink
  readonly log: Logger
  /** `http://host:port` of the operations port (metrics.port), when enabled. */
  readonly metricsUrl: string | undefined
  tenants (): string[]
  /** When a tenant's next scheduled collection is (undefined when unknown, not collecting or stopped). */
  nextRun (tenant: string): Date | undefined
  /** Runs a tenant's collection now and returns its figures. */
  runNow (tenant: string, opts?: { fullLoad?: boolean }): Promise<RunStats>
  /** Re-reads the config file; false (logged) when it is invalid and the running config stays. */
  reload (): Promise<boolean>
  stop (): Promise<void>
}

/**
 * Starts the service.
 * @throws ConfigError when the config file is invalid (every problem listed)
 * @example const svc = await startService({ configFile: 'config/scim-stream.yaml' }); process.on('SIGTERM', () => void svc.stop())
 */
export async function startService (opts: ServiceOptions): Promise<StreamService> {
  const env = opts.env ?? process.env
  const loaded = await loadStreamConfig(opts.configFile, { env, ...(opts.log !== undefined ? { log: opts.log } : {}) })
  const logging = startServiceLogging(loaded.config, loaded.configDir, opts.log)
  // what a failed start undoes, latest first
  const undo: Array<() => Promise<void>> = [async () => { await logging.close() }]
  try {
    return await startParts(opts, env, loaded, logging, undo)
  } catch (err) {
    for (const step of undo.reverse()) await step()
    throw err
  }
}

/** The start steps after logging: NATS, the operations port, the tenants. */
async function startParts (opts: ServiceOptions, env: NodeJS.ProcessEnv, loaded: LoadedStreamConfig, logging: ServiceLogging, undo: Array<() => Promise<void>>): Promise<StreamService> {
  const { config, configDir, file } = loaded
  const log = logging.log
  const link = await openNatsLink({ config, configDir, log, tenants: tenantsOf(config).map(t => t.name) })
  undo.push(async () => { await link.stop() })
  const metrics = config.metrics.port !== undefined ? new CollectorMetrics() : undefined
  const tenants = new TenantSet({
    link, log, sources: opts.sources ?? defaultSources, stateDir: configPath(configDir, config.state.dir ?? 'state'), configDir, file,
    runAtStart: opts.runAtStart !== false,
    ...(opts.onRun !== undefined ? { onRun: opts.onRun } : {}),
    ...(metrics !== undefined ? { metrics } : {})
  })
  const metricsServer = metrics === undefined ? undefined : await startOperationsPort(config, metrics, link, tenants, log)
  if (metricsServer !== undefined) undo.push(async () => { await metricsServer.stop() })
  undo.push(async () => { await tenants.stopAll() })
  await tenants.startAll(config)
  const first = tenantsOf(config)[0]
  log.info('SCIM Stream started', { tenants: tenants.names(), nats: first !== undefined ? link.urls(first.name) : [] })
  return new RunningService({ opts, env, file, config, link, logging, tenants, metricsServer })
}

/** The operations port (metrics.port): run figures and NATS state. */
async function startOperationsPort (config: StreamConfig, metrics: CollectorMetrics, link: NatsLink, tenants: TenantSet, log: Logger): Promise<MetricsServer> {
  metrics.natsState(() => ({ builtin: link.builtin === undefined ? undefined : link.builtin.server.pid !== undefined, tenants: tenants.connectionStates() }))
  try {
    return await startMetricsServer(metrics, { host: config.metrics.host, port: config.metrics.port ?? 0, log })
  } catch (err) {
    throw new Error(`metrics.port ${config.metrics.port ?? 0} on ${config.metrics.host}: ${(err as Error).message}`, { cause: err })
  }
}

/** What the started service holds. */
interface RunningParts {
  opts: ServiceOptions
  env: NodeJS.ProcessEnv
  file: string
  config: StreamConfig
  link: NatsLink
  logging: ServiceLogging
  tenants: TenantSet
  metricsServer: MetricsServer | undefined
}

/** The started service: reloads (serialised, from the file watcher or a call) and stops once. */
class RunningService implements StreamService {
  readonly nats: NatsLink
  readonly log: Logger
  readonly metricsUrl: string | undefined
  readonly #parts: RunningParts
  #config: StreamConfig
  #reloading: Promise<boolean> = Promise.resolve(true)
  #watcher: FSWatcher | undefined
  #debounce: NodeJS.Timeout | undefined
  #stopping: Promise<void> | undefined

  constructor (parts: RunningParts) {
    this.#parts = parts
    this.#config = parts.config
    this.nats = parts.link
    this.log = parts.logging.log
    const { host } = parts.config.metrics
    this.metricsUrl = parts.metricsServer !== undefined ? `http://${host.includes(':') ? `[${host}]` : host}:${parts.metricsServer.port}` : undefined
    if (parts.opts.watch !== false) this.#watch()
  }

  get config (): StreamConfig { return this.#config }

  tenants (): string[] { return this.#parts.tenants.names() }

  nextRun (tenant: string): Date | undefined { return this.#parts.tenants.get(tenant)?.nextRun }

  async runNow (tenant: string, o?: { fullLoad?: boolean }): Promise<RunStats> {
    const rt = this.#parts.tenants.get(tenant)
    if (rt === undefined) throw new Error(`unknown tenant "${tenant}"`)
    return await rt.runNow(o)
  }

  // arrow properties: callers may hand these on as callbacks (signal handlers)
  readonly reload = async (): Promise<boolean> => {
    const once = async (): Promise<boolean> => await this.#reloadOnce()
    const p = this.#reloading.then(once, once)
    this.#reloading = p
    return await p
  }

  readonly stop = async (): Promise<void> => {
    this.#stopping ??= this.#stopOnce()
    await this.#stopping
  }

  /** Watches the directory: editors and our own atomic writes replace the file (new inode). */
  #watch (): void {
    const { file, opts } = this.#parts
    this.#watcher = watch(dirname(file), (_event, name) => {
      if (name !== basename(file)) return
      if (this.#debounce !== undefined) clearTimeout(this.#debounce)
      this.#debounce = setTimeout(() => { void this.reload() }, opts.debounceMs ?? 300)
    })
  }

  async #reloadOnce (): Promise<boolean> {
    const { file, env, opts, tenants } = this.#parts
    let next: StreamConfig
    try {
      next = (await loadStreamConfig(file, { env, log: this.log })).config
    } catch (err) {
      const msg = isConfigError(err) ? err.message : (err as Error).message
      this.log.error(`configuration change rejected, the running configuration stays:\n${msg}`)
      opts.onReload?.(false, err as Error)
      return false
    }
    try {
      await tenants.apply(next, this.#config)
      if (JSON.stringify(next.nats.server) !== JSON.stringify(this.#config.nats.server) || JSON.stringify(next.log) !== JSON.stringify(this.#config.log)) {
        this.log.warn('nats.server and log changes take effect at the next restart')
      }
      this.#config = next
      this.log.info('configuration reloaded')
      opts.onReload?.(true)
      return true
    } catch (err) {
      this.log.error(`applying the configuration change failed: ${(err as Error).message}`)
      opts.onReload?.(false, err as Error)
      return false
    }
  }

  async #stopOnce (): Promise<void> {
    this.#watcher?.close()
    if (this.#debounce !== undefined) clearTimeout(this.#debounce)
    await this.#reloading.catch(() => {})
    await this.#parts.tenants.stopAll()
    await this.#parts.link.stop()
    await this.#parts.metricsServer?.stop()
    this.log.info('SCIM Stream stopped')
    await this.#parts.logging.close()
  }
}
