// The tenants of the running service: one runtime per configured tenant (its stream ensured, its
// publisher connected, its state opened, its collector scheduled), the initial loads the config
// asks for, and what a reloaded config changes (tenants added, reconfigured, removed; stream max_age).
import type { NatsConnection } from '@nats-io/transport-node'
import { updateYamlValue } from '../config/index.ts'
import type { Logger } from '../logging/types.ts'
import { tenantsOf, type StreamConfig, type TenantConfig, type CollectorType } from './config.ts'
import type { NatsLink } from './nats-link.ts'
import { openTenantState } from './state.ts'
import { createTenantRuntime, type SourceFactory, type TenantRuntime } from './tenant-runtime.ts'
import type { RunStats } from './pipeline.ts'
import type { CollectorMetrics } from './metrics.ts'

/** What the tenants share. */
export interface TenantSetDeps {
  link: NatsLink
  log: Logger
  sources: SourceFactory
  stateDir: string
  configDir: string
  /** The config file: a finished initial load writes `do_initial_load`/`do_initial_load_filter` back. */
  file: string
  /** Run every new tenant once when it starts (unless an initial load runs). */
  runAtStart: boolean
  metrics?: CollectorMetrics
  onRun?: (tenant: string, stats: RunStats) => void
}

/** One tenant of the config, as {@link tenantsOf} lists it. */
type TenantEntry = ReturnType<typeof tenantsOf>[number]

/** The running tenants by name. */
export class TenantSet {
  readonly #deps: TenantSetDeps
  readonly #runtimes = new Map<string, TenantRuntime>()
  /** Publisher connection up, per tenant (only watched when metrics are on). */
  readonly #natsUp = new Map<string, boolean>()

  constructor (deps: TenantSetDeps) {
    this.#deps = deps
  }

  names (): string[] { return [...this.#runtimes.keys()] }

  get (name: string): TenantRuntime | undefined { return this.#runtimes.get(name) }

  /** Publisher connection state per tenant, for /readyz and scimstream_nats_up. */
  connectionStates (): Record<string, boolean> { return Object.fromEntries(this.#natsUp) }

  /** Starts every tenant of `config`, in file order. */
  async startAll (config: StreamConfig): Promise<void> {
    for (const t of tenantsOf(config)) await this.#add(t, config)
  }

  /** Applies a reloaded config: new tenants start, present ones are reconfigured, missing ones stop. */
  async apply (next: StreamConfig, previous: StreamConfig): Promise<void> {
    const wanted = tenantsOf(next)
    for (const t of wanted) {
      const rt = this.#runtimes.get(t.name)
      if (rt === undefined) {
        this.#deps.log.info('new tenant in the configuration', { tenant: t.name })
        await this.#add(t, next)
      } else await this.#reconfigure(rt, t, next, previous)
    }
    for (const [name, rt] of this.#runtimes) {
      if (wanted.some(t => t.name === name)) continue
      this.#deps.log.info('tenant removed from the configuration: collection stopped', { tenant: name })
      this.#runtimes.delete(name)
      await rt.stop()
    }
  }

  /** Stops every tenant (failures of one do not keep the others running). */
  async stopAll (): Promise<void> {
    await Promise.allSettled([...this.#runtimes.values()].map(async rt => { await rt.stop() }))
  }

  async #add (t: TenantEntry, config: StreamConfig): Promise<void> {
    const { link, log } = this.#deps
    await link.ensureTenant(t.name, maxAge(config, t.name))
    const rt = await this.#open(t)
    this.#runtimes.set(t.name, rt)
    rt.start()
    if (!rt.collecting) return
    if (t.tenant.general.do_initial_load) this.#initialLoad(rt, t.type)
    else if (initialFilter(t.tenant) !== undefined) this.#initialLoad(rt, t.type, initialFilter(t.tenant))
    else if (this.#deps.runAtStart) {
      void rt.runNow().catch((err: Error) => { log.error(`collection run failed: ${err.message}`, { tenant: t.name }) })
    }
  }

  /** The tenant's runtime on a new publisher connection; the connection is closed again when the runtime cannot be made. */
  async #open (t: TenantEntry): Promise<TenantRuntime> {
    const { link, log, metrics, onRun, stateDir, configDir, sources } = this.#deps
    const nc = await link.connectPublisher(t.name)
    try {
      if (metrics !== undefined) this.#watchConnection(t.name, nc)
      const state = await openTenantState(stateDir, t.name)
      return createTenantRuntime({
        name: t.name, type: t.type, cfg: t.tenant, nc, state, log: log.child({ tenant: t.name }), sources, stateDir, configDir,
        ...(onRun !== undefined ? { onRun } : {}),
        ...(metrics !== undefined ? { metrics } : {})
      })
    } catch (err) {
      await nc.close()
      throw err
    }
  }

  async #reconfigure (rt: TenantRuntime, t: TenantEntry, next: StreamConfig, previous: StreamConfig): Promise<void> {
    rt.reconfigure(t.tenant)
    if (t.tenant.general.do_initial_load && rt.collecting) this.#initialLoad(rt, t.type) // set to true again while running
    else if (initialFilter(t.tenant) !== undefined && rt.collecting) this.#initialLoad(rt, t.type, initialFilter(t.tenant))
    if (maxAge(next, t.name) !== maxAge(previous, t.name)) await this.#deps.link.ensureTenant(t.name, maxAge(next, t.name))
  }

  /**
   * One full load, then `do_initial_load: false` written back into the file (comments kept). With
   * `filter` (do_initial_load_filter): only the users it holds for are republished, then the filter
   * is written back as null, as the product documents.
   */
  #initialLoad (rt: TenantRuntime, type: CollectorType, filter?: string): void {
    const { file, log } = this.#deps
    const key = filter === undefined ? 'do_initial_load' : 'do_initial_load_filter'
    void rt.runNow({ fullLoad: true, ...(filter !== undefined ? { fullLoadFilter: filter } : {}) }).then(async () => {
      await updateYamlValue(file, [type, rt.name, 'general', key], filter === undefined ? false : null)
      log.info(`initial load done; ${key} set to ${filter === undefined ? 'false' : 'null'} in the config file`, { tenant: rt.name })
    }).catch((err: Error) => { log.error(`initial load failed: ${err.message}`, { tenant: rt.name }) })
  }

  /** Keeps the tenant's publisher connection state for /readyz and scimstream_nats_up. */
  #watchConnection (tenant: string, nc: NatsConnection): void {
    const up = this.#natsUp
    up.set(tenant, !nc.isClosed())
    void (async () => {
      for await (const st of nc.status()) {
        if (st.type === 'disconnect' || st.type === 'reconnecting' || st.type === 'close') up.set(tenant, false)
        else if (st.type === 'reconnect') up.set(tenant, true)
      }
    })().catch(() => {}).finally(() => { up.set(tenant, false) })
  }
}

/** Days the tenant's stream keeps messages (`nats.publisher.<tenant>.max_age`). */
function maxAge (c: StreamConfig, tenant: string): number {
  return c.nats.publisher[tenant]?.max_age ?? 14
}

/** The tenant's do_initial_load_filter when set (blank = none). */
function initialFilter (cfg: TenantConfig): string | undefined {
  const f = cfg.general.do_initial_load_filter
  return f !== undefined && f.trim() !== '' ? f : undefined
}
