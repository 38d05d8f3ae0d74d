// The SCIM Stream service: config → logging (+ error mail, rotated-log retention) → NATS (builtin
// or external) → one runtime per tenant (stream ensured, publisher connected, state opened,
// collector scheduled) → hot reload of the config file → clean stop.
import { watch, type FSWatcher } from 'node:fs'
import { basename, dirname } from 'node:path'
import { updateYamlValue, isConfigError } from '../config/index.ts'
import { createLogger, type ClosableLogger } from '../logging/index.ts'
import type { Logger } from '../logging/types.ts'
import { createMailer, createErrorNotifier, withErrorNotifier, type ErrorNotifier, type Mailer } from '../mail/index.ts'
import { configPath, loadStreamConfig, tenantsOf, type StreamConfig, type TenantConfig, type CollectorType } from './config.ts'
import { openNatsLink, type NatsLink } from './nats-link.ts'
import { openTenantState } from './state.ts'
import { createTenantRuntime, type SourceFactory, type TenantRuntime } from './tenant-runtime.ts'
import type { RunStats } from './pipeline.ts'
import { defaultSources } from './sources/registry.ts'
import { CollectorMetrics, startMetricsServer, type MetricsServer } from './metrics.ts'
import type { NatsConnection } from '@nats-io/transport-node'
import { startLogRetention, type LogRetention } from './log-retention.ts'
import { mailerSettings, recipientsOf } from './email-settings.ts'

/** Options of {@link startService}. */
export interface ServiceOptions {
  configFile: string
  env?: NodeJS.ProcessEnv
  /** Use this logger instead of the one configured by `log` (tests). */
  log?: Logger
  /** Collector factory (default: the HR/Entra collectors of this package). */
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
  const bootLog = opts.log
  const loaded = await loadStreamConfig(opts.configFile, { env, ...(bootLog !== undefined ? { log: bootLog } : {}) })
  const file = loaded.file
  let config = loaded.config
  const { log, closeLog, notifier, mailer, retention } = makeLogging(config, loaded.configDir, opts.log)
  const sources = opts.sources ?? defaultSources
  const stateDir = configPath(loaded.configDir, config.state.dir ?? 'state')
  const runtimes = new Map<string, TenantRuntime>()
  let link: NatsLink
  try {
    link = await openNatsLink({ config, configDir: loaded.configDir, log, tenants: tenantsOf(config).map(t => t.name) })
  } catch (err) {
    await closeAll()
    throw err
  }
  // the operations port (metrics.port): run figures and NATS state
  const metrics = config.metrics.port !== undefined ? new CollectorMetrics() : undefined
  const natsUp = new Map<string, boolean>()
  metrics?.natsState(() => ({ builtin: link.builtin === undefined ? undefined : link.builtin.server.pid !== undefined, tenants: Object.fromEntries(natsUp) }))
  let metricsServer: MetricsServer | undefined
  if (metrics !== undefined) {
    try {
      metricsServer = await startMetricsServer(metrics, { host: config.metrics.host, port: config.metrics.port ?? 0, log })
    } catch (err) {
      await link.stop()
      await closeAll()
      throw new Error(`metrics.port ${config.metrics.port ?? 0} on ${config.metrics.host}: ${(err as Error).message}`, { cause: err })
    }
  }

  const maxAge = (c: StreamConfig, tenant: string): number => c.nats.publisher[tenant]?.max_age ?? 14

  const addTenant = async (name: string, type: CollectorType, cfg: TenantConfig, c: StreamConfig): Promise<TenantRuntime> => {
    await link.ensureTenant(name, maxAge(c, name))
    const nc = await link.connectPublisher(name)
    if (metrics !== undefined) watchConnection(name, nc)
    const state = await openTenantState(stateDir, name)
    const rt = createTenantRuntime({
      name, type, cfg, nc, state, log: log.child({ tenant: name }), sources, stateDir, configDir: loaded.configDir,
      ...(opts.onRun !== undefined ? { onRun: opts.onRun } : {}),
      ...(metrics !== undefined ? { metrics } : {})
    })
    runtimes.set(name, rt)
    rt.start()
    if (!rt.collecting) return rt
    if (cfg.general.do_initial_load) initialLoad(rt, type)
    else if (initialFilter(cfg) !== undefined) initialLoad(rt, type, initialFilter(cfg))
    else if (opts.runAtStart !== false) {
      void rt.runNow().catch((err: Error) => { log.error(`collection run failed: ${err.message}`, { tenant: name }) })
    }
    return rt
  }

  /**
   * One full load, then `do_initial_load: false` written back into the file (comments kept). With
   * `filter` (do_initial_load_filter): only the users it holds for are republished, then the filter
   * is written back as null, as the product documents.
   */
  function initialLoad (rt: TenantRuntime, type: CollectorType, filter?: string): void {
    const key = filter === undefined ? 'do_initial_load' : 'do_initial_load_filter'
    void rt.runNow({ fullLoad: true, ...(filter !== undefined ? { fullLoadFilter: filter } : {}) }).then(async () => {
      await updateYamlValue(file, [type, rt.name, 'general', key], filter === undefined ? false : null)
      log.info(`initial load done; ${key} set to ${filter === undefined ? 'false' : 'null'} in the config file`, { tenant: rt.name })
    }).catch((err: Error) => { log.error(`initial load failed: ${err.message}`, { tenant: rt.name }) })
  }

  try {
    for (const t of tenantsOf(config)) await addTenant(t.name, t.type, t.tenant, config)
  } catch (err) {
    await Promise.allSettled([...runtimes.values()].map(async rt => { await rt.stop() }))
    await link.stop()
    await closeAll()
    throw err
  }
  log.info('SCIM Stream started', { tenants: [...runtimes.keys()], nats: tenantsOf(config)[0] !== undefined ? link.urls(tenantsOf(config)[0]?.name ?? '') : [] })

  let reloading: Promise<boolean> = Promise.resolve(true)
  const reloadOnce = async (): Promise<boolean> => {
    let next: StreamConfig
    try {
      next = (await loadStreamConfig(file, { env, log })).config
    } catch (err) {
      const msg = isConfigError(err) ? err.message : (err as Error).message
      log.error(`configuration change rejected, the running configuration stays:\n${msg}`)
      opts.onReload?.(false, err as Error)
      return false
    }
    try {
      const wanted = tenantsOf(next)
      for (const t of wanted) {
        const rt = runtimes.get(t.name)
        if (rt === undefined) {
          log.info('new tenant in the configuration', { tenant: t.name })
          await addTenant(t.name, t.type, t.tenant, next)
        } else {
          rt.reconfigure(t.tenant)
          if (t.tenant.general.do_initial_load && rt.collecting) initialLoad(rt, t.type) // set to true again while running
          else if (initialFilter(t.tenant) !== undefined && rt.collecting) initialLoad(rt, t.type, initialFilter(t.tenant))
          if (maxAge(next, t.name) !== maxAge(config, t.name)) await link.ensureTenant(t.name, maxAge(next, t.name))
        }
      }
      for (const [name, rt] of runtimes) {
        if (wanted.some(t => t.name === name)) continue
        log.info('tenant removed from the configuration: collection stopped', { tenant: name })
        runtimes.delete(name)
        await rt.stop()
      }
      if (JSON.stringify(next.nats.server) !== JSON.stringify(config.nats.server) || JSON.stringify(next.log) !== JSON.stringify(config.log)) {
        log.warn('nats.server and log changes take effect at the next restart')
      }
      config = next
      log.info('configuration reloaded')
      opts.onReload?.(true)
      return true
    } catch (err) {
      log.error(`applying the configuration change failed: ${(err as Error).message}`)
      opts.onReload?.(false, err as Error)
      return false
    }
  }
  const reload = async (): Promise<boolean> => {
    const p = reloading.then(reloadOnce, reloadOnce)
    reloading = p
    return await p
  }

  let watcher: FSWatcher | undefined
  let debounce: NodeJS.Timeout | undefined
  if (opts.watch !== false) {
    // Watch the directory: editors and our own atomic writes replace the file (new inode).
    watcher = watch(dirname(file), (_event, name) => {
      if (name !== basename(file)) return
      if (debounce !== undefined) clearTimeout(debounce)
      debounce = setTimeout(() => { void reload() }, opts.debounceMs ?? 300)
    })
  }

  let stopping: Promise<void> | undefined
  return {
    get config () { return config },
    nats: link,
    log,
    metricsUrl: metricsServer !== undefined ? `http://${config.metrics.host.includes(':') ? `[${config.metrics.host}]` : config.metrics.host}:${metricsServer.port}` : undefined,
    tenants: () => [...runtimes.keys()],
    nextRun: (tenant) => runtimes.get(tenant)?.nextRun,
    async runNow (tenant, o) {
      const rt = runtimes.get(tenant)
      if (rt === undefined) throw new Error(`unknown tenant "${tenant}"`)
      return await rt.runNow(o)
    },
    reload,
    async stop () {
      stopping ??= (async () => {
        watcher?.close()
        if (debounce !== undefined) clearTimeout(debounce)
        await reloading.catch(() => {})
        await Promise.allSettled([...runtimes.values()].map(async rt => { await rt.stop() }))
        await link.stop()
        await metricsServer?.stop()
        log.info('SCIM Stream stopped')
        await closeAll()
      })()
      await stopping
    }
  }

  /** Keeps the tenant's publisher connection state for /readyz and scimstream_nats_up. */
  function watchConnection (tenant: string, nc: NatsConnection): void {
    natsUp.set(tenant, !nc.isClosed())
    void (async () => {
      for await (const st of nc.status()) {
        if (st.type === 'disconnect' || st.type === 'reconnecting' || st.type === 'close') natsUp.set(tenant, false)
        else if (st.type === 'reconnect') natsUp.set(tenant, true)
      }
    })().catch(() => {}).finally(() => { natsUp.set(tenant, false) })
  }

  async function closeAll (): Promise<void> {
    await retention?.stop()
    await notifier?.close()
    mailer?.close()
    await closeLog?.close()
  }
}

function makeLogging (config: StreamConfig, configDir: string, injected: Logger | undefined): {
  log: Logger, closeLog: ClosableLogger | undefined, notifier: ErrorNotifier | undefined, mailer: Mailer | undefined, retention: LogRetention | undefined
} {
  let closeLog: ClosableLogger | undefined
  let retention: LogRetention | undefined
  let base: Logger
  if (injected !== undefined) base = injected
  else {
    const l = config.log
    const file = l.file === undefined ? undefined : configPath(configDir, l.file)
    closeLog = createLogger({
      name: 'scim-stream',
      console: l.console ? l.level : 'off',
      // max_backups counts rotated files (as in the SCIM Stream product); the logger counts the current one too.
      ...(file !== undefined ? { file: { level: l.level, path: file, maxSize: l.max_size * 1024 * 1024, maxFiles: l.max_backups + 1 } } : {}),
      json: l.json
    })
    base = closeLog
    if (file !== undefined && l.level !== 'off') retention = startLogRetention({ path: file, maxAgeDays: l.max_age, maxBackups: l.max_backups, log: closeLog })
  }
  const smtp = config.email.smtp
  const onError = config.email.on_error
  if (smtp === undefined || !onError.enabled) return { log: base, closeLog, notifier: undefined, mailer: undefined, retention }
  const settings = mailerSettings(config.email)
  if (settings === undefined) return { log: base, closeLog, notifier: undefined, mailer: undefined, retention }
  const mailer = createMailer({ ...settings, log: base })
  const notifier = createErrorNotifier({ mailer, to: recipientsOf(onError.to), subject: onError.subject, sendInterval: onError.send_interval, enabled: true })
  return { log: withErrorNotifier(base, notifier), closeLog, notifier, mailer, retention }
}

/** The tenant's do_initial_load_filter when set (blank = none). */
function initialFilter (cfg: TenantConfig): string | undefined {
  const f = cfg.general.do_initial_load_filter
  return f !== undefined && f.trim() !== '' ? f : undefined
}
