// The stream module's part of /metrics and /readyz: gauges read from its status at scrape time
// (connections, per-subscriber applied/retried/dead-lettered/held messages, GW responders) and a
// readiness check that every NATS connection is up. The launcher adds them once the module runs.
import type { GatewayMonitor } from '../core/monitor.ts'
import type { StreamModule } from './index.ts'

/**
 * @example addStreamMonitoring(gateway.monitor, await startStream(gateway, config, log))
 */
export function addStreamMonitoring (monitor: GatewayMonitor, stream: StreamModule): void {
  const status = (): ReturnType<StreamModule['status']> => stream.status()
  monitor.addGauge('scimgateway_stream_connection_up', 'NATS connection state (1 = connected)', ['connection'], () =>
    status().connections.map(c => ({ labels: { connection: c.name }, value: c.state === 'connected' ? 1 : 0 })))
  monitor.addGauge('scimgateway_stream_reconnects', 'NATS reconnects since start (cumulative)', ['connection'], () =>
    status().connections.map(c => ({ labels: { connection: c.name }, value: c.reconnects })))
  const perSubscriber = (pick: (s: ReturnType<StreamModule['status']>['subscribers'][number]) => number) => () =>
    status().subscribers.map(s => ({ labels: { base_entity: s.baseEntity, subject: s.filterSubject }, value: pick(s) }))
  monitor.addGauge('scimgateway_stream_applied_messages', 'Messages applied since start (cumulative)', ['base_entity', 'subject'], perSubscriber(s => s.applied))
  monitor.addGauge('scimgateway_stream_retried_messages', 'Deliveries retried after a transient failure (cumulative)', ['base_entity', 'subject'], perSubscriber(s => s.retries))
  monitor.addGauge('scimgateway_stream_dead_letters', 'Messages dead-lettered since start, JetStream DLQ and local file (cumulative)', ['base_entity', 'subject'], perSubscriber(s => s.deadLettered))
  monitor.addGauge('scimgateway_stream_dead_letters_local', 'Of those, kept in the local dead-letter file (no usable JetStream DLQ)', ['base_entity', 'subject'], perSubscriber(s => s.deadLetteredLocal))
  monitor.addGauge('scimgateway_stream_stale_skipped', 'Redelivered messages skipped because a later message of the same user was already applied (cumulative)', ['base_entity', 'subject'], perSubscriber(s => s.skippedStale))
  monitor.addGauge('scimgateway_stream_held_messages', 'Messages held back for per-user order or in progress (consumer lag on this gateway)', ['base_entity', 'subject'], perSubscriber(s => s.held + s.parked))
  monitor.addGauge('scimgateway_stream_subscriber_running', 'Subscriber state (1 = running)', ['base_entity', 'subject'], perSubscriber(s => s.state === 'running' ? 1 : 0))
  monitor.addGauge('scimgateway_stream_gw_requests_handled', 'GW requests executed by this gateway (cumulative)', ['base_entity', 'subject'], () =>
    status().responders.map(r => ({ labels: { base_entity: r.baseEntity, subject: r.subject }, value: r.handled })))
  monitor.addReadiness('stream', () => {
    const s = status()
    const down = s.connections.filter(c => c.state !== 'connected')
    return { ok: down.length === 0, detail: s.connections.map(c => ({ name: c.name, state: c.state, ...(c.lastError !== undefined ? { lastError: c.lastError } : {}) })) }
  })
}
