// Metrics and readiness of one gateway: a Prometheus registry of its own (several gateways can run
// in one process), request counts and latency by route/method/status/baseEntity, plugin call errors,
// authentication failures, and collectors/readiness checks that other parts (the stream module, the
// launcher) add after start. Served by http/probes.ts as /metrics, /healthz and /readyz.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client'
import type { AuthObserver } from './options.ts'

/** One readiness check: ok, or not with a reason; `detail` is shown by /readyz. */
export interface ReadinessResult { ok: boolean, detail?: unknown }
export type ReadinessCheck = () => Promise<ReadinessResult> | ReadinessResult

/** Labels whose values come from clients are bounded: unknown baseEntities count as "other". */
const MAX_ENTITY_LABELS = 200

export class GatewayMonitor {
  readonly registry = new Registry()
  readonly #requests: Counter<'route' | 'method' | 'status' | 'base_entity'>
  readonly #latency: Histogram<'route' | 'method'>
  readonly #pluginErrors: Counter<'method' | 'status'>
  readonly #authFailures: Counter<'reason'>
  readonly #checks = new Map<string, ReadinessCheck>()
  readonly #entities: Set<string>
  readonly #seen = new Set<string>()
  #defaultMetrics: boolean

  constructor (opts: { plugin: string, entities: readonly string[], defaultMetrics?: boolean }) {
    this.registry.setDefaultLabels({ plugin: opts.plugin })
    this.#entities = new Set(opts.entities)
    const registers = [this.registry]
    this.#requests = new Counter({ name: 'scimgateway_http_requests_total', help: 'HTTP requests by route, method, status and baseEntity', labelNames: ['route', 'method', 'status', 'base_entity'], registers })
    this.#latency = new Histogram({ name: 'scimgateway_http_request_duration_seconds', help: 'HTTP request latency', labelNames: ['route', 'method'], buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10], registers })
    this.#pluginErrors = new Counter({ name: 'scimgateway_plugin_errors_total', help: 'Plugin calls that failed, by plugin method and the status they answered', labelNames: ['method', 'status'], registers })
    this.#authFailures = new Counter({ name: 'scimgateway_auth_failures_total', help: 'Failed authentications', labelNames: ['reason'], registers })
    this.#defaultMetrics = opts.defaultMetrics !== false
  }

  /** The Prometheus text; process metrics are set up on the first scrape (not for every gateway made). */
  async metrics (): Promise<string> {
    if (this.#defaultMetrics) {
      this.#defaultMetrics = false
      collectDefaultMetrics({ register: this.registry, prefix: 'scimgateway_' })
    }
    return await this.registry.metrics()
  }

  /** Counts one answered request. */
  observeRequest (route: string, method: string, status: number, baseEntity: string | undefined, seconds: number): void {
    this.#requests.inc({ route, method, status: String(status), base_entity: this.#entityLabel(baseEntity) })
    this.#latency.observe({ route, method }, seconds)
  }

  /** Counts a failed plugin call. */
  pluginError (method: string, status: number): void {
    this.#pluginErrors.inc({ method, status: String(status) })
  }

  /** An auth observer to add to the gateway's options. */
  readonly authObserver: AuthObserver = (info) => {
    if (!info.ok) this.#authFailures.inc({ reason: info.reason === 'no credentials' ? 'no_credentials' : 'invalid' })
  }

  /** A gauge whose values are read when /metrics is scraped. */
  addGauge<L extends string> (name: string, help: string, labelNames: readonly L[], read: () => Array<{ labels: Partial<Record<L, string>>, value: number }>): void {
    new Gauge<L>({
      name, help, labelNames: [...labelNames], registers: [this.registry],
      collect () {
        this.reset()
        for (const s of read()) this.set(s.labels, s.value)
      }
    })
  }

  /** Adds (or replaces) a named readiness check. */
  addReadiness (name: string, check: ReadinessCheck): void {
    this.#checks.set(name, check)
  }

  /** Runs every check; ready when all are ok. A check that throws is not ok. */
  async readiness (): Promise<{ ready: boolean, checks: Record<string, ReadinessResult> }> {
    const out: Record<string, ReadinessResult> = {}
    await Promise.all([...this.#checks].map(async ([name, check]) => {
      try { out[name] = await check() } catch (err) { out[name] = { ok: false, detail: err instanceof Error ? err.message : String(err) } }
    }))
    return { ready: Object.values(out).every(r => r.ok), checks: out }
  }

  #entityLabel (baseEntity: string | undefined): string {
    if (baseEntity === undefined) return ''
    if (this.#entities.has(baseEntity) || this.#seen.has(baseEntity)) return baseEntity
    if (this.#seen.size < MAX_ENTITY_LABELS) { this.#seen.add(baseEntity); return baseEntity }
    return 'other'
  }
}
