// Public API of the gateway's stream module (docs/stream.md, STREAM-CONTRACT.md):
// - withStreamOptions(config, options): add the module's hooks to the gateway options before the
//   gateway is constructed (GW forwarder, internal GW principal, GET /stream/status, publisher
//   baseEntities);
// - startStream(gateway, config, log): connect (in the background), start the JetStream subscribers
//   and GW responders, enable the publisher; stop() drains everything.
// Nothing starts on import.
import { join } from 'node:path'
import type { GatewayConfig } from '../config/gateway-schema.ts'
import type { GatewayOptions } from '../core/options.ts'
import type { ScimGateway } from '../core/gateway.ts'
import type { Logger } from '../logging/types.ts'
import { StreamBinding, STREAM_STATUS_PATH } from './binding.ts'
import { streamPlanFromConfig, type StreamPlan, type NatsUser } from './config.ts'
import { openStreamConnection, type StreamConnection, type ConnectionStatus } from './connection.ts'
import { durableName } from './contract/naming.ts'
import { startSubscriber, type Subscriber, type SubscriberSettings, type SubscriberStatus } from './subscriber/subscriber.ts'
import { startGwResponder, type GwResponder } from './publisher/responder.ts'

export { STREAM_STATUS_PATH } from './binding.ts'
export { durableName, gwQueueGroup, subjectKind } from './contract/naming.ts'
export { streamPlanFromConfig, type StreamPlan, type SubscriberPlan, type PublisherPlan, type NatsUser } from './config.ts'
export { openStreamConnection, type StreamConnection, type ConnectionStatus, type ConnectionState } from './connection.ts'
export { DEFAULT_SUBSCRIBER_SETTINGS, type SubscriberSettings, type SubscriberStatus } from './subscriber/subscriber.ts'
export { GW_PROTOCOL_VERSION, type GwRequest, type GwReply } from './publisher/envelope.ts'

/** Options of the stream module (what the config file does not say). */
export interface StreamModuleOptions {
  /**
   * GW request timeout in ms for publisher entities whose config sets none
   * (`scimgateway.stream.publisher[.entity.<baseEntity>].timeout`); default 60 000.
   */
  gwTimeoutMs?: number
  /** Subscriber tuning (retries, ack wait, concurrency). */
  subscriber?: Partial<SubscriberSettings>
  /** Directory of the config file (`certs/` below it holds the CA file). */
  configDir?: string
  /** Reconnect back-off (ms). */
  backoff?: { initialMs?: number, maxMs?: number }
  /**
   * Directory of the subscribers' durable state (per-user order journal, local dead letters);
   * default `<log directory>/stream` (`scimgateway.log.logDirectory`, else `<configDir>/../logs`).
   */
  stateDir?: string
}

/** Where the stream module of a gateway keeps its state (see StreamModuleOptions.stateDir). */
export function streamStateDir (config: GatewayConfig, opts: Pick<StreamModuleOptions, 'stateDir' | 'configDir'> = {}): string {
  return opts.stateDir ?? join(config.scimgateway.log.logDirectory ?? join(opts.configDir ?? 'config', '..', 'logs'), 'stream')
}

/** The running module. */
export interface StreamModule {
  /** What GET /stream/status shows. */
  status (): StreamStatus
  /** Stops pulling, gives unstarted messages back, lets running ones finish, drains connections. */
  stop (): Promise<void>
}

/** Snapshot of the module's state. */
export interface StreamStatus {
  connections: ConnectionStatus[]
  subscribers: SubscriberStatus[]
  responders: Array<{ baseEntity: string, subject: string, handled: number, state: string }>
  publishers: Array<{ baseEntity: string, subject: string, connection: string }>
}

/**
 * Adds the stream module's hooks to gateway options (call before `new ScimGateway`).
 * @example
 * const options = withStreamOptions(config, gatewayOptionsFromConfig(config, auth, env))
 * const gateway = new ScimGateway({ plugin, options, log })
 */
export function withStreamOptions (config: GatewayConfig, options: Partial<GatewayOptions>, opts: StreamModuleOptions = {}): Partial<GatewayOptions> {
  const st = config.scimgateway.stream
  if (!st.subscriber.enabled && !st.publisher.enabled) return options
  const binding = new StreamBinding()
  // the publisher refuses (413) what this gateway would refuse itself, before transferring anything;
  // the executing gateway still applies its own, exact limits (Bulk vs other routes)
  const limits = [options.maxPayloadBytes, options.bulk?.maxPayloadSize].filter((n): n is number => typeof n === 'number' && n > 0)
  const add = binding.options(opts.gwTimeoutMs, limits.length > 0 ? Math.max(...limits) : undefined)
  // `entity.undefined` means "no baseEntity": never a route segment of its own
  const entities = (options.entities ?? []).filter(e => e !== 'undefined')
  // a publisher gateway may run without an endpoint: its publishing baseEntities are still routes
  if (st.publisher.enabled) for (const e of Object.keys(st.publisher.entity)) if (e !== 'undefined' && !entities.includes(e)) entities.push(e)
  return {
    ...options,
    entities,
    authenticators: [...(options.authenticators ?? []), ...add.authenticators],
    forwarders: [...(options.forwarders ?? []), ...add.forwarders],
    extraRoutes: [...(options.extraRoutes ?? []), ...add.extraRoutes]
  }
}

/**
 * Starts the stream module of a gateway built with {@link withStreamOptions}. Returns at once:
 * connections are made in the background (a gateway starting while NATS is down starts anyway).
 * @throws ConfigError for an unusable stream config
 * @example
 * const stream = await startStream(gateway, config, log, { configDir })
 * process.once('SIGTERM', () => { void stream.stop().then(() => gateway.stop()) })
 */
export async function startStream (gateway: ScimGateway, config: GatewayConfig, log: Logger, opts: StreamModuleOptions = {}): Promise<StreamModule> {
  const plan: StreamPlan = streamPlanFromConfig(config, opts.configDir)
  const slog = log.child({ module: 'stream' })
  const binding = StreamBinding.of(gateway.options)
  const pluginName = gateway.plugin.name
  const stateDir = streamStateDir(config, opts)
  const connections = new Map<string, StreamConnection>()
  const connectionFor = (baseEntity: string, user: NatsUser, role: string): StreamConnection => {
    const key = `${user.jwt}\n${user.seed}`
    let c = connections.get(key)
    if (c === undefined) {
      c = openStreamConnection({
        servers: plan.servers, jwt: user.jwt, seed: user.seed, caPem: plan.caPem,
        name: `scimgateway/${pluginName}/${baseEntity}/${role}`, log: slog,
        ...(opts.backoff !== undefined ? { backoff: opts.backoff } : {})
      })
      connections.set(key, c)
    }
    return c
  }

  if (binding === undefined && (plan.publishers.length > 0 || plan.subscribers.some(s => s.kind === 'gw'))) {
    slog.error('GW publisher/responder need the gateway built with withStreamOptions(): GW requests are not served')
  }
  const subscribers: Subscriber[] = []
  const responders: Array<{ baseEntity: string, subject: string, responder: GwResponder | undefined, connection: StreamConnection }> = []
  for (const s of plan.subscribers) {
    const connection = connectionFor(s.baseEntity, s.nats, s.kind === 'gw' ? 'gw' : 'sub')
    if (s.kind === 'jetstream') {
      subscribers.push(startSubscriber({
        plan: s, pluginName, consumerName: durableName(pluginName, s.baseEntity), connection, stateDir,
        service: gateway.service, log: slog, ...(opts.subscriber !== undefined ? { settings: opts.subscriber } : {})
      }))
    } else if (binding !== undefined) {
      const entry: (typeof responders)[number] = { baseEntity: s.baseEntity, subject: s.nats.subject, responder: undefined, connection }
      responders.push(entry)
      const auth = binding.internalAuth.authorizationFor(s.baseEntity)
      void connection.ready().then((nc) => {
        entry.responder = startGwResponder({ nc, subject: s.nats.subject, baseEntity: s.baseEntity, fetch: gateway.app.fetch, authorization: auth, log: slog, chunking: plan.gwChunking })
      }, () => {})
    }
  }
  const publishers: StreamStatus['publishers'] = []
  for (const p of plan.publishers) {
    const connection = connectionFor(p.baseEntity, p.nats, 'pub')
    binding?.routes.set(p.baseEntity.toLowerCase(), { subject: p.nats.subject, connection, ...(p.timeoutMs !== undefined ? { timeoutMs: p.timeoutMs } : {}) })
    publishers.push({ baseEntity: p.baseEntity, subject: p.nats.subject, connection: connection.name })
  }

  const status = (): StreamStatus => ({
    connections: [...connections.values()].map(c => c.status()),
    subscribers: subscribers.map(s => s.status()),
    responders: responders.map(r => ({ baseEntity: r.baseEntity, subject: r.subject, handled: r.responder?.handled ?? 0, transfers: r.responder?.transfers ?? 0, transferBytes: r.responder?.transferBytes ?? 0, state: r.responder !== undefined ? 'subscribed' : 'waiting for NATS' })),
    publishers
  })
  if (binding !== undefined) {
    binding.status = status
    binding.authenticators = gateway.options.authenticators
    binding.gates = gateway.options.gates
    binding.authObservers = gateway.options.authObservers
  }
  if (connections.size > 0) slog.info(`stream module started: ${plan.subscribers.length} subscriber(s), ${plan.publishers.length} publisher(s); status at ${STREAM_STATUS_PATH}`)
  let stopped: Promise<void> | undefined
  return {
    status,
    stop: async () => {
      stopped ??= (async () => {
        if (binding !== undefined) binding.routes.clear()
        await Promise.allSettled(subscribers.map(async s => await s.stop()))
        await Promise.allSettled(responders.map(async r => await r.responder?.stop()))
        await Promise.allSettled([...connections.values()].map(async c => await c.close()))
        slog.info('stream module stopped')
      })()
      await stopped
    }
  }
}
