// Unauthenticated operations routes, behind the gateway's network gates (IP allow list, rate limits):
//   GET /healthz  200 while the process serves (liveness)
//   GET /readyz   200 when every readiness check passes (plugin backends, stream connections), else 503
//   GET /metrics  Prometheus text format
// They carry no SCIM data; put them behind ipAllowList (or a firewall) where the scrape comes from.
import type { Hono } from 'hono'
import type { GatewayOptions } from '../options.ts'
import type { GatewayMonitor } from '../monitor.ts'

export const PROBE_PATHS = ['/healthz', '/readyz', '/metrics'] as const

export function mountProbes (app: Hono, options: GatewayOptions, monitor: GatewayMonitor, remoteAddressOf: (env: unknown) => string | undefined): void {
  const gated = async (req: Request, env: unknown): Promise<Response | undefined> => {
    const remoteAddress = remoteAddressOf(env)
    for (const gate of options.gates) {
      const stop = await gate(req, { remoteAddress, route: undefined })
      if (stop !== undefined) return stop
    }
    return undefined
  }
  app.get('/healthz', async (c) => await gated(c.req.raw, c.env) ?? c.json({ status: 'up' }, 200, { 'cache-control': 'no-store' }))
  app.get('/readyz', async (c) => {
    const stop = await gated(c.req.raw, c.env)
    if (stop !== undefined) return stop
    const r = await monitor.readiness()
    return c.json({ status: r.ready ? 'ready' : 'not ready', checks: r.checks }, r.ready ? 200 : 503, { 'cache-control': 'no-store' })
  })
  app.get('/metrics', async (c) => {
    const stop = await gated(c.req.raw, c.env)
    if (stop !== undefined) return stop
    return c.body(await monitor.metrics(), 200, { 'content-type': monitor.registry.contentType, 'cache-control': 'no-store' })
  })
}
