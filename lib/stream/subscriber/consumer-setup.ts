// Creates the durable pull consumer of a subscribing entity, or updates it when its filter subject
// (or retry settings) changed: on the tenant's stream (named after the tenant), deliver-all,
// explicit ack, bounded redelivery. Uses the filtered create API that the subscriber's
// least-privilege permissions allow (`$JS.API.CONSUMER.CREATE.<stream>.<name>.<filter>`).
import { AckPolicy, DeliverPolicy, JetStreamApiError, ReplayPolicy, jetstreamManager } from '@nats-io/jetstream'
import type { ConsumerConfig, ConsumerInfo } from '@nats-io/jetstream'
import type { NatsConnection } from '@nats-io/transport-node'
import type { Logger } from '../../logging/types.ts'

/** Options of {@link ensureConsumer}. */
export interface ConsumerSetup {
  stream: string
  name: string
  filterSubject: string
  /** Deliveries before the server stops redelivering (default 10). */
  maxDeliver: number
  /** Redelivery when not acked within this time (ms; held messages are kept alive with +WPI). */
  ackWaitMs: number
  /** Messages delivered and unacked at once, over all gateways sharing the consumer. */
  maxAckPending: number
}

const CONSUMER_NOT_FOUND = 10014

/**
 * Returns the consumer's info after making sure it exists with this configuration.
 * @example await ensureConsumer(nc, { stream: 'acme', name: 'durable_loki_acme', filterSubject: 'ENTRA.>', maxDeliver: 10, ackWaitMs: 30000, maxAckPending: 4096 }, log)
 */
export async function ensureConsumer (nc: NatsConnection, s: ConsumerSetup, log: Logger): Promise<ConsumerInfo> {
  const jsm = await jetstreamManager(nc)
  const wanted: Partial<ConsumerConfig> = {
    durable_name: s.name,
    name: s.name,
    filter_subject: s.filterSubject,
    ack_policy: AckPolicy.Explicit,
    deliver_policy: DeliverPolicy.All,
    replay_policy: ReplayPolicy.Instant,
    max_deliver: s.maxDeliver,
    ack_wait: s.ackWaitMs * 1_000_000,
    max_ack_pending: s.maxAckPending,
    description: `SCIM gateway subscriber ${s.name}`
  }
  let current: ConsumerInfo | undefined
  try {
    current = await jsm.consumers.info(s.stream, s.name)
  } catch (err) {
    if (!(err instanceof JetStreamApiError && err.code === CONSUMER_NOT_FOUND)) throw err
  }
  if (current === undefined) {
    const ci = await jsm.consumers.add(s.stream, wanted)
    log.info(`created durable consumer ${s.name} on stream ${s.stream} (filter ${s.filterSubject})`)
    return ci
  }
  const c = current.config
  const changed = c.filter_subject !== s.filterSubject || c.max_deliver !== s.maxDeliver ||
    c.ack_wait !== wanted.ack_wait || c.max_ack_pending !== s.maxAckPending
  if (!changed) return current
  // an update keeps the consumer's position (what was acked stays acked)
  const ci = await jsm.consumers.add(s.stream, { ...c, ...wanted })
  if (c.filter_subject !== s.filterSubject) {
    log.warn(`durable consumer ${s.name}: filter subject changed from ${c.filter_subject ?? '(none)'} to ${s.filterSubject}`)
  } else {
    log.info(`durable consumer ${s.name}: settings updated`)
  }
  return ci
}
