// The JetStream subscriber of one entity: a durable pull consumer on the tenant's stream; every
// message is parsed, keyed by user and applied through the gateway's ScimService (the same SCIM
// implementation as HTTP). Reliability (docs/stream.md):
// - ack only after applyStreamMessage succeeded;
// - transient failure → the message stays held (kept alive with +WPI) and is retried with a growing
//   delay while the user's later messages wait behind it and other users go on; the attempt count
//   includes earlier deliveries, and reaching `maxDeliver` attempts → dead letter (never forever);
// - permanent failure → dead letter with the reason, then term (never dropped silently);
// - per-user order: KeyedQueue inside the gateway, OrderGate across gateways sharing the consumer;
// - stop(): stops pulling, gives queued/parked messages back at once (nak), lets running ones finish.
import { jetstream } from '@nats-io/jetstream'
import type { ConsumerMessages, JsMsg } from '@nats-io/jetstream'
import type { NatsConnection } from '@nats-io/transport-node'
import type { ScimService } from '../../core/service.ts'
import type { RequestContext } from '../../core/context.ts'
import type { Logger } from '../../logging/types.ts'
import { applyStreamMessage, classifyError } from '../apply/index.ts'
import { parseStreamMessage, isPermanentMessageError, type StreamMessage } from '../message.ts'
import type { StreamConnection } from '../connection.ts'
import type { SubscriberPlan } from '../config.ts'
import { ensureConsumer } from './consumer-setup.ts'
import { publishDeadLetter } from './dead-letter.ts'
import { KeyedQueue } from './keyed-queue.ts'
import { OrderGate } from './order-gate.ts'

/** Tuning of a subscriber; every field has a default. */
export interface SubscriberSettings {
  /** Attempts (deliveries + in-process retries) before a transiently failing message is dead-lettered (default 20; also the consumer's max_deliver). */
  maxDeliver: number
  /** Retry delays: first and maximum in ms (default 1 000 → 120 000, doubling). */
  retry: { initialMs: number, maxMs: number }
  /** Consumer ack_wait in ms (default 30 000): how soon a crashed gateway's messages are redelivered. */
  ackWaitMs: number
  /** Users applied concurrently (default 64). */
  concurrency: number
  /** Messages held (received, not yet acked) at most (default 2 048). */
  maxInFlight: number
  /** Messages per pull request (default 256). */
  batch: number
}

export const DEFAULT_SUBSCRIBER_SETTINGS: Readonly<SubscriberSettings> = Object.freeze({
  maxDeliver: 20,
  retry: Object.freeze({ initialMs: 1000, maxMs: 120_000 }),
  ackWaitMs: 30_000,
  concurrency: 64,
  maxInFlight: 2048,
  batch: 256
})

/** Counters and state for the status endpoint. */
export interface SubscriberStatus {
  baseEntity: string
  stream: string
  consumer: string
  filterSubject: string
  state: 'waiting for NATS' | 'starting' | 'running' | 'error' | 'stopped'
  applied: number
  deadLettered: number
  retries: number
  held: number
  parked: number
  lastError: string | undefined
}

/** Options of {@link startSubscriber}. */
export interface SubscriberOptions {
  plan: SubscriberPlan
  pluginName: string
  consumerName: string
  connection: StreamConnection
  service: ScimService
  log: Logger
  settings?: Partial<SubscriberSettings>
}

/** A running subscriber. */
export interface Subscriber {
  status (): SubscriberStatus
  stop (): Promise<void>
}

interface Held {
  m: JsMsg
  /** The parsed message, or why it cannot be parsed (dead-lettered in its turn). */
  parsed: StreamMessage | { invalid: string }
  done: boolean
  running: boolean
}

/**
 * Starts consuming in the background (waits for the connection) and returns at once.
 * @example const sub = startSubscriber({ plan, pluginName: 'loki', consumerName, connection, service, log })
 */
export function startSubscriber (opts: SubscriberOptions): Subscriber {
  const s: SubscriberSettings = { ...DEFAULT_SUBSCRIBER_SETTINGS, ...opts.settings, retry: { ...DEFAULT_SUBSCRIBER_SETTINGS.retry, ...opts.settings?.retry } }
  const { plan } = opts
  const log = opts.log.child({ baseEntity: plan.baseEntity, consumer: opts.consumerName })
  const st: SubscriberStatus = {
    baseEntity: plan.baseEntity, stream: plan.nats.tenant, consumer: opts.consumerName, filterSubject: plan.nats.subject,
    state: 'waiting for NATS', applied: 0, deadLettered: 0, retries: 0, held: 0, parked: 0, lastError: undefined
  }
  const abort = new AbortController()
  const held = new Set<Held>()
  let space: (() => void) | undefined
  let messages: ConsumerMessages | undefined
  let gate: OrderGate | undefined
  let nc: NatsConnection | undefined
  const queue = new KeyedQueue<Held>(s.concurrency, async (h) => { await processHeld(h) }, (err) => {
    log.error(`subscriber bug: ${err instanceof Error ? err.stack ?? err.message : String(err)}`)
  })

  const finish = (h: Held, how: 'ack' | 'term' | 'nak'): void => {
    if (h.done) return
    h.done = true
    held.delete(h)
    if (how === 'ack') h.m.ack()
    else if (how === 'term') h.m.term()
    else h.m.nak()
    if (space !== undefined && held.size < s.maxInFlight) { const f = space; space = undefined; f() }
  }

  const sleep = async (ms: number): Promise<void> => await new Promise<void>((resolve) => {
    const t = setTimeout(resolve, ms)
    abort.signal.addEventListener('abort', () => { clearTimeout(t); resolve() }, { once: true })
  })

  async function deadLetter (h: Held, reason: string): Promise<void> {
    const c = nc
    for (let i = 0; ; i++) {
      try {
        if (c === undefined) throw new Error('not connected')
        await publishDeadLetter(c, h.m, opts.consumerName, reason)
        st.deadLettered++
        log.warn(`message ${h.m.seq} (${h.m.headers?.get('Msg-Id') ?? 'no Msg-Id'}) dead-lettered: ${reason}`)
        finish(h, 'term')
        return
      } catch (err) {
        // not storing the dead letter would lose the message: keep it until the DLQ takes it
        st.lastError = `dead-lettering failed: ${errText(err)}`
        log.error(st.lastError)
        if (abort.signal.aborted) { finish(h, 'nak'); return }
        await sleep(Math.min(s.retry.maxMs, s.retry.initialMs * 2 ** Math.min(i, 16)))
      }
    }
  }

  async function processHeld (h: Held): Promise<void> {
    if (h.done) return
    if (abort.signal.aborted) { finish(h, 'nak'); return }
    h.running = true
    if ('invalid' in h.parsed) { await deadLetter(h, h.parsed.invalid); return }
    const msg = h.parsed
    let childLog: Logger | undefined
    const rc: RequestContext = {
      baseEntity: plan.baseEntity,
      requestId: msg.msgId,
      // made on first use: most applications log nothing
      get log () { return (childLog ??= log.child({ msgId: msg.msgId, seq: h.m.seq })) },
      signal: abort.signal,
      locationBase: '',
      version: '2.0'
    }
    for (let attempt = h.m.info.deliveryCount; ; attempt++) {
      try {
        await applyStreamMessage(msg, { service: opts.service, rc, options: plan.options, subject: h.m.subject })
        st.applied++
        finish(h, 'ack')
        return
      } catch (err) {
        const kind = classifyError(err)
        if (kind === 'permanent') { await deadLetter(h, errText(err)); return }
        if (attempt >= s.maxDeliver) { await deadLetter(h, `still failing after ${attempt} attempts: ${errText(err)}`); return }
        if (abort.signal.aborted) { finish(h, 'nak'); return }
        st.retries++
        st.lastError = errText(err)
        const delay = Math.min(s.retry.maxMs, s.retry.initialMs * 2 ** Math.min(attempt - 1, 16))
        rc.log.warn(`transient failure (attempt ${attempt}/${s.maxDeliver}), retrying in ${delay} ms: ${st.lastError}`)
        await sleep(delay)
        if (abort.signal.aborted) { finish(h, 'nak'); return }
      }
    }
  }

  /** Parses once on arrival; the key is the user (or group) the message is about. */
  function parse (m: JsMsg): { parsed: Held['parsed'], key: string } {
    try {
      const msg = parseStreamMessage(m.data, { msgId: m.headers?.get('Msg-Id'), subject: m.subject })
      const name = msg.user?.userName ?? msg.group?.displayName
      return { parsed: msg, key: typeof name === 'string' ? `${msg.group !== undefined ? 'g:' : 'u:'}${name.toLowerCase()}` : `#seq:${m.seq}` }
    } catch (err) {
      // an unparseable message has no user: its own key, dead-lettered in its turn
      return { parsed: { invalid: isPermanentMessageError(err) ? err.reason : `invalid message: ${errText(err)}` }, key: `#seq:${m.seq}` }
    }
  }

  async function run (): Promise<void> {
    try {
      nc = await opts.connection.ready()
    } catch {
      st.state = 'stopped'
      return
    }
    const js = jetstream(nc)
    for (let round = 0; !abort.signal.aborted; round++) {
      try {
        st.state = 'starting'
        const ci = await ensureConsumer(nc, {
          stream: plan.nats.tenant, name: opts.consumerName, filterSubject: plan.nats.subject,
          maxDeliver: s.maxDeliver, ackWaitMs: s.ackWaitMs, maxAckPending: Math.max(s.maxInFlight * 4, 1024)
        }, log)
        gate ??= new OrderGate(ci.delivered.consumer_seq, ci.num_ack_pending > 0)
        const consumer = await js.consumers.get(plan.nats.tenant, opts.consumerName)
        messages = await consumer.consume({ max_messages: s.batch, expires: 30_000 })
        if (abort.signal.aborted) { messages.stop(); break }
        st.state = 'running'
        round = 0
        log.info(`consuming ${plan.nats.subject} from stream ${plan.nats.tenant}`)
        const settle = setInterval(() => { void settleGate(consumer) }, 50)
        const keepAlive = setInterval(() => { for (const h of held) if (!h.done) h.m.working() }, Math.max(1000, Math.floor(s.ackWaitMs / 3)))
        try {
          for await (const m of messages) {
            const { parsed, key } = parse(m)
            const h: Held = { m, parsed, done: false, running: false }
            held.add(h)
            gate.receive(m.info.deliverySequence, m.seq, () => { queue.push(key, h) })
            if (held.size >= s.maxInFlight) await new Promise<void>((resolve) => { space = resolve })
          }
        } finally {
          clearInterval(settle)
          clearInterval(keepAlive)
        }
      } catch (err) {
        if (abort.signal.aborted) break
        st.state = 'error'
        st.lastError = errText(err)
        log.error(`subscriber ${opts.consumerName}: ${st.lastError}`)
      }
      if (!abort.signal.aborted) await sleep(Math.min(30_000, 500 * 2 ** Math.min(round, 6)))
    }
  }

  let settling = false
  async function settleGate (consumer: { info: (cached?: boolean) => Promise<{ ack_floor: { stream_seq: number }, num_ack_pending: number }> }): Promise<void> {
    if (gate === undefined || gate.parked === 0 || settling) return
    settling = true
    try {
      const ci = await consumer.info(false)
      gate.settle({ ackFloorStreamSeq: ci.ack_floor.stream_seq, numAckPending: ci.num_ack_pending }, held.size)
    } catch (err) {
      log.debug(`consumer info failed: ${errText(err)}`)
    } finally {
      settling = false
    }
  }

  const running = run()

  return {
    status: () => ({ ...st, held: held.size, parked: gate?.parked ?? 0 }),
    async stop () {
      abort.abort()
      if (space !== undefined) { const f = space; space = undefined; f() }
      messages?.stop()
      // queued and parked messages go back now; running ones finish (or nak at their next retry)
      for (const h of held) if (!h.running) finish(h, 'nak')
      await Promise.race([queue.idle(), new Promise(resolve => setTimeout(resolve, 10_000).unref())])
      for (const h of held) finish(h, 'nak')
      await running.catch(() => {})
      st.state = 'stopped'
    }
  }
}

function errText (err: unknown): string {
  return err instanceof Error ? err.message : String(err)
}
