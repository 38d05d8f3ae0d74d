// Per-baseEntity handles: each `endpoint.entity.<baseEntity>` gets its own connection / pool / client,
// opened once (lazily on the first request, or all at start), shared by concurrent requests, closed on
// stop, and reported by health(). A request's baseEntity selects its entry (`undefined` → the key
// "undefined"); a baseEntity without an entry is a 404 — never another tenant's backend.
import { NotFoundError, ScimError } from '../../scim/errors.ts'
import type { EntityHealth, Logger, PluginContext, PluginHealth } from '../types.ts'
import { entityKey } from './config.ts'
import { ServiceUnavailableError, toUpstreamError } from './errors.ts'

export interface EntityHandlesOptions<C, H> {
  /** The validated `endpoint.entity` map. */
  entities: Readonly<Record<string, C>>
  /** Opens the backend handle of one entity (connect, create the pool, log in). */
  open: (config: C, key: string, log: Logger) => Promise<H>
  /** Closes a handle (end the pool, unbind). Errors are logged, not thrown. */
  close?: (handle: H, key: string) => Promise<void>
  /** Cheap liveness probe used by health() (SELECT 1, an LDAP root DSE read, a GET). */
  check?: (handle: H, config: C, key: string) => Promise<void>
  /**
   * 'lazy' (default): an entity is opened by its first request, so one tenant's dead backend does
   * not stop the gateway from serving the others. 'start': every entity is opened by start(); a
   * failure fails the start.
   */
  mode?: 'lazy' | 'start'
  /** Bound for one check in health() (ms, default 5000). */
  checkTimeoutMs?: number
}

/** One entity's config and its open handle, as a plugin method uses them. */
export interface EntityUse<C, H> { key: string, config: C, handle: H }

interface Slot<C, H> {
  config: C
  opening?: Promise<H>
  handle?: H
  health: EntityHealth
}

/**
 * The handles of all configured baseEntities.
 * @example
 * const pools = new EntityHandles({
 *   entities: endpoint.entity,
 *   open: async (cfg) => { const p = new pg.Pool(cfg.connection); await p.query('SELECT 1'); return p },
 *   close: async (p) => { await p.end() },
 *   check: async (p) => { await p.query('SELECT 1') }
 * })
 * // plugin: start: (log) => pools.start(log), stop: () => pools.stop(), health: () => pools.health()
 * // getUsers (q, ctx) { const { handle, config } = await pools.get(ctx); … }
 */
export class EntityHandles<C, H> {
  private readonly slots = new Map<string, Slot<C, H>>()
  private log: Logger | undefined
  private stopped = false

  constructor (private readonly opts: EntityHandlesOptions<C, H>) {
    for (const [key, config] of Object.entries(opts.entities)) this.slots.set(key, { config, health: { state: 'idle' } })
  }

  /** The configured entity keys ("undefined" = requests without a baseEntity). */
  get keys (): string[] { return [...this.slots.keys()] }

  /** The config a baseEntity selects, without opening anything. Throws 404 for an unknown one. */
  config (baseEntity: string | undefined): C {
    return this.slot(baseEntity).config
  }

  /** Remembers the logger; with mode 'start' opens every entity (all failures reported at once). */
  async start (log: Logger): Promise<void> {
    this.log = log
    this.stopped = false
    if (this.opts.mode !== 'start') return
    const results = await Promise.allSettled([...this.slots.keys()].map(async k => await this.openSlot(k)))
    const failed = results.flatMap((r, i) => r.status === 'rejected' ? [`${[...this.slots.keys()][i] ?? '?'}: ${errText(r.reason)}`] : [])
    if (failed.length > 0) throw new Error(`cannot open baseEntity backends: ${failed.join('; ')}`)
  }

  /**
   * The entity of a request, its handle opened if needed (concurrent first requests share one open).
   * @throws NotFoundError (404) for a baseEntity without config; ServiceUnavailableError (503) when
   *   the backend cannot be opened (the next request tries again).
   */
  async get (ctx: Pick<PluginContext, 'baseEntity'>): Promise<EntityUse<C, H>> {
    const key = entityKey(ctx.baseEntity)
    const slot = this.slot(ctx.baseEntity)
    const handle = slot.handle ?? await this.openSlot(key)
    return { key, config: slot.config, handle }
  }

  /** Closes every open handle (also those still opening); later get() calls fail with 503. */
  async stop (): Promise<void> {
    this.stopped = true
    await Promise.all([...this.slots.entries()].map(async ([key, slot]) => {
      const h = slot.handle ?? await slot.opening?.catch(() => undefined)
      slot.handle = undefined
      slot.opening = undefined
      slot.health = { state: 'idle' }
      if (h !== undefined && this.opts.close !== undefined) {
        try { await this.opts.close(h, key) } catch (err) { this.log?.warn(`closing baseEntity ${key} failed: ${errText(err)}`) }
      }
    }))
  }

  /** Each entity's state; open entities with a `check` are probed (bounded by checkTimeoutMs). */
  async health (): Promise<PluginHealth> {
    const out: Record<string, EntityHealth> = {}
    await Promise.all([...this.slots.entries()].map(async ([key, slot]) => {
      const h = slot.handle
      if (h !== undefined && this.opts.check !== undefined) {
        try {
          await withTimeout(this.opts.check(h, slot.config, key), this.opts.checkTimeoutMs ?? 5000)
          slot.health = { state: 'up', checkedAt: new Date().toISOString() }
        } catch (err) {
          slot.health = { state: 'down', detail: errText(err), checkedAt: new Date().toISOString() }
        }
      }
      out[key] = { ...slot.health }
    }))
    return { entities: out }
  }

  private slot (baseEntity: string | undefined): Slot<C, H> {
    const slot = this.slots.get(entityKey(baseEntity))
    if (slot === undefined) {
      throw new NotFoundError(baseEntity === undefined
        ? 'this gateway needs a baseEntity in the path (no endpoint.entity.undefined is configured)'
        : `unknown baseEntity ${JSON.stringify(baseEntity)}`)
    }
    return slot
  }

  private async openSlot (key: string): Promise<H> {
    const slot = this.slots.get(key)
    if (slot === undefined) throw new NotFoundError(`unknown baseEntity ${JSON.stringify(key)}`)
    if (this.stopped) throw new ServiceUnavailableError('the plugin is stopping')
    if (slot.handle !== undefined) return slot.handle
    slot.opening ??= (async () => {
      try {
        const h = await this.opts.open(slot.config, key, (this.log ?? quiet).child({ baseEntity: key }))
        if (this.stopped) {
          await this.opts.close?.(h, key).catch(() => {})
          throw new ServiceUnavailableError('the plugin is stopping')
        }
        slot.handle = h
        slot.health = { state: 'up', checkedAt: new Date().toISOString() }
        return h
      } catch (err) {
        slot.health = { state: 'down', detail: errText(err), checkedAt: new Date().toISOString() }
        this.log?.warn(`baseEntity ${key}: cannot open the backend: ${errText(err)}`)
        if (err instanceof ScimError && err.status >= 500) throw err
        // whatever the cause (refused login, bad host), the client sees a backend that is not available
        const typed = toUpstreamError(err, `opening the backend of baseEntity ${key}`)
        if (typed !== undefined && typed.status >= 500) throw typed
        throw new ServiceUnavailableError(`baseEntity ${key}: cannot open the backend: ${errText(err)}`, { cause: err })
      } finally {
        slot.opening = undefined
      }
    })()
    return await slot.opening
  }
}

const quiet: Logger = { error () {}, warn () {}, info () {}, debug () {}, child () { return quiet } }

function errText (err: unknown): string {
  return err instanceof Error ? err.message : String(err)
}

async function withTimeout<T> (p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  try {
    return await Promise.race([p, new Promise<never>((_resolve, reject) => { timer = setTimeout(() => { reject(new Error(`no answer within ${ms} ms`)) }, ms) })])
  } finally {
    clearTimeout(timer)
  }
}
