// The SCIM Stream service's operations port (`metrics.port` in scim-stream.yaml): a small HTTP
// server, separate from NATS, with
//   GET /healthz  200 while the process runs
//   GET /readyz   200 when NATS (builtin server and every tenant's publisher connection) is up, else 503
//   GET /metrics  Prometheus text: collector runs (by result) and their duration, persons seen,
//                 messages published, errors, NATS state, process metrics.
// It listens on 127.0.0.1 unless `metrics.host` says otherwise; it carries no identity data.
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client'
import type { Logger } from '../logging/types.ts'

/** What one collection run reported (a subset of RunStats). */
export interface RunFigures { persons: number, published: number, failed: number, malformed: number, deleted: number, aborted?: boolean }

/** NATS state for /readyz and the gauges. */
export interface NatsState { builtin: boolean | undefined, tenants: Record<string, boolean> }

export class CollectorMetrics {
  readonly registry = new Registry()
  readonly #runs: Counter<'tenant' | 'result'>
  readonly #duration: Histogram<'tenant'>
  readonly #published: Counter<'tenant'>
  readonly #errors: Counter<'tenant' | 'kind'>
  readonly #persons: Gauge<'tenant'>
  #nats: () => NatsState = () => ({ builtin: undefined, tenants: {} })

  constructor () {
    const registers = [this.registry]
    this.#runs = new Counter({ name: 'scimstream_collector_runs_total', help: 'Collection runs by tenant and result (ok, failed, aborted)', labelNames: ['tenant', 'result'], registers })
    this.#duration = new Histogram({ name: 'scimstream_collector_run_duration_seconds', help: 'Duration of collection runs', labelNames: ['tenant'], buckets: [0.1, 0.5, 1, 5, 15, 30, 60, 120, 300, 600, 1800], registers })
    this.#published = new Counter({ name: 'scimstream_messages_published_total', help: 'Messages published to NATS', labelNames: ['tenant'], registers })
    this.#errors = new Counter({ name: 'scimstream_errors_total', help: 'Persons that failed or were malformed, and failed runs', labelNames: ['tenant', 'kind'], registers })
    this.#persons = new Gauge({ name: 'scimstream_persons', help: 'Persons seen by the last complete run', labelNames: ['tenant'], registers })
    const nats = (): NatsState => this.#nats()
    new Gauge({
      name: 'scimstream_nats_up', help: 'NATS state: the builtin server (connection="builtin") and each tenant\'s publisher connection (1 = up)', labelNames: ['connection'], registers,
      collect () {
        this.reset()
        const s = nats()
        if (s.builtin !== undefined) this.set({ connection: 'builtin' }, s.builtin ? 1 : 0)
        for (const [t, up] of Object.entries(s.tenants)) this.set({ connection: t }, up ? 1 : 0)
      }
    })
    collectDefaultMetrics({ register: this.registry, prefix: 'scimstream_' })
  }

  /** Where NATS state comes from (set by the service once NATS is open). */
  natsState (fn: () => NatsState): void { this.#nats = fn }

  runDone (tenant: string, figures: RunFigures, seconds: number): void {
    this.#runs.inc({ tenant, result: figures.aborted === true ? 'aborted' : 'ok' })
    this.#duration.observe({ tenant }, seconds)
    this.#published.inc({ tenant }, figures.published)
    if (figures.failed > 0) this.#errors.inc({ tenant, kind: 'person_failed' }, figures.failed)
    if (figures.malformed > 0) this.#errors.inc({ tenant, kind: 'person_malformed' }, figures.malformed)
    if (figures.aborted !== true) this.#persons.set({ tenant }, figures.persons)
  }

  runFailed (tenant: string, seconds: number): void {
    this.#runs.inc({ tenant, result: 'failed' })
    this.#duration.observe({ tenant }, seconds)
    this.#errors.inc({ tenant, kind: 'run_failed' })
  }

  ready (): { ready: boolean, nats: NatsState } {
    const s = this.#nats()
    return { ready: s.builtin !== false && Object.values(s.tenants).every(Boolean), nats: s }
  }
}

/** A running operations server. */
export interface MetricsServer { readonly port: number, stop (): Promise<void> }

/**
 * @example const srv = await startMetricsServer(metrics, { host: '127.0.0.1', port: 9102, log })
 */
export async function startMetricsServer (metrics: CollectorMetrics, opts: { host: string, port: number, log: Logger }): Promise<MetricsServer> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]
    if (req.method !== 'GET') { res.writeHead(405, { allow: 'GET' }).end(); return }
    if (path === '/healthz') { res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"up"}'); return }
    if (path === '/readyz') {
      const r = metrics.ready()
      res.writeHead(r.ready ? 200 : 503, { 'content-type': 'application/json', 'cache-control': 'no-store' }).end(JSON.stringify({ status: r.ready ? 'ready' : 'not ready', nats: r.nats }))
      return
    }
    if (path === '/metrics') {
      metrics.registry.metrics().then(
        (text) => { res.writeHead(200, { 'content-type': metrics.registry.contentType, 'cache-control': 'no-store' }).end(text) },
        (err: Error) => { res.writeHead(500).end(err.message) })
      return
    }
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: /healthz, /readyz, /metrics')
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(opts.port, opts.host, () => { server.off('error', reject); resolve() })
  })
  const port = (server.address() as AddressInfo).port
  opts.log.info(`operations endpoints on http://${opts.host}:${port} (/healthz, /readyz, /metrics)`)
  return {
    port,
    async stop () {
      server.closeAllConnections()
      await new Promise<void>(resolve => server.close(() => { resolve() }))
    }
  }
}
