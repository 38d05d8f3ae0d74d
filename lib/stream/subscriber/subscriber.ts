// The JetStream subscriber of one entity: a durable pull consumer on the tenant's stream; every
// message is parsed, keyed by user and applied through the gateway's ScimService (the same SCIM
// implementation as HTTP). Reliability (docs/stream.md):
// - ack only after applyStreamMessage succeeded;
// - transient failure → the message stays held (kept alive with +WPI) and is retried with a growing
//   delay while the user's later messages wait behind it and other users go on; the attempt count
//   includes earlier deliveries, and reaching `maxDeliver` attempts → dead letter (never forever);
// - permanent failure → dead letter with the reason (JetStream DLQ, else a local file), then term
//   (never dropped silently, never blocking the user's later messages);
// - per-user order: KeyedQueue inside the gateway, OrderGate across gateways sharing the consumer,
//   OrderJournal across crashes (a delivery not above its user's applied mark is skipped + acked);
// - after a crash, what the previous run held is given back at once (NAK), not after ack_wait;
// - stop(): stops pulling, gives queued/parked messages back at once (nak), lets running ones finish.
import { join } from 'node:path'
import { jetstream, jetstreamManager } from '@nats-io/jetstream'
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
import { createDeadLetterSink, type DeadLetterSink } from './dead-letter.ts'
import { localDeadLetterFile } from '../local-dead-letters.ts'
import { MSG_ID_HEADER } from '../contract/headers.ts'
import { orderKeyOf } from '../contract/naming.ts'
import { JournalBusyError, OrderJournal } from './order-journal.ts'
import { Recovery } from './recovery.ts'
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
  /** Of deadLettered: kept in the local file (no usable JetStream DLQ). */
  deadLetteredLocal: number
  /** The local dead-letter file. */
  deadLetterFile: string
  /** Deliveries skipped because a later message of their user was applied already (redeliveries). */
  skippedStale: number
  /** Messages a crashed previous run held, given back at start instead of waiting ack_wait. */
  recovered: number
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
  /** Directory of the per-consumer order journal and local dead letters. */
  stateDir: string
  settings?: Partial<SubscriberSettings>
}

/** A running subscriber. */
export interface Subscriber {
  status (): SubscriberStatus
  stop (): Promise<void>
}

interface Held {
  m: JsMsg
  /** Order key (`u:<userName>`, `g:<displayName>`, or `#seq:<n>` for an unparseable message). */
  key: string
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
  return new JetStreamSubscriber(opts)
}

/** The running subscriber: held messages, the per-user queue, the order gate and journal, dead letters. */
class JetStreamSubscriber implements Subscriber {
  private readonly s: SubscriberSettings
  private readonly plan: SubscriberPlan
  private readonly log: Logger
  private readonly deadLetterFile: string
  private readonly st: SubscriberStatus
  /** `entity.undefined` is the default store: what a request without a baseEntity sees. */
  private readonly baseEntity: string | undefined
  private readonly sink: DeadLetterSink
  private journal: OrderJournal | undefined
  private journalBusy = false
  private readonly abort = new AbortController()
  private readonly recovery: Recovery
  private readonly held = new Set<Held>()
  private space: (() => void) | undefined
  private messages: ConsumerMessages | undefined
  private gate: OrderGate | undefined
  private nc: NatsConnection | undefined
  private readonly queue: KeyedQueue<Held>
  private outgoing: Array<{ m: JsMsg, how: 'ack' | 'term' }> = []
  private settling = false
  private readonly running: Promise<void>

  constructor (private readonly opts: SubscriberOptions) {
    const s: SubscriberSettings = this.s = { ...DEFAULT_SUBSCRIBER_SETTINGS, ...opts.settings, retry: { ...DEFAULT_SUBSCRIBER_SETTINGS.retry, ...opts.settings?.retry } }
    const plan = this.plan = opts.plan
    const log = this.log = opts.log.child({ baseEntity: plan.baseEntity, consumer: opts.consumerName })
    const deadLetterFile = this.deadLetterFile = localDeadLetterFile(opts.stateDir, opts.consumerName)
    const st: SubscriberStatus = this.st = {
      baseEntity: plan.baseEntity, stream: plan.nats.tenant, consumer: opts.consumerName, filterSubject: plan.nats.subject,
      state: 'waiting for NATS', applied: 0, deadLettered: 0, deadLetteredLocal: 0, deadLetterFile, skippedStale: 0, recovered: 0,
      retries: 0, held: 0, parked: 0, lastError: undefined
    }
    this.baseEntity = plan.baseEntity === 'undefined' ? undefined : plan.baseEntity
    this.sink = createDeadLetterSink({ tenant: plan.nats.tenant, consumer: opts.consumerName, file: deadLetterFile })
    this.recovery = new Recovery({ stream: plan.nats.tenant, consumer: opts.consumerName, ackWaitMs: s.ackWaitMs, log, signal: this.abort.signal, onGivenBack: (n) => { st.recovered += n } })
    this.queue = new KeyedQueue<Held>(s.concurrency, async (h) => { await this.processHeld(h) }, (err) => {
      log.error(`subscriber bug: ${err instanceof Error ? err.stack ?? err.message : String(err)}`)
    })
    this.running = this.run()
  }

  status (): SubscriberStatus {
    return { ...this.st, held: this.held.size, parked: this.gate?.parked ?? 0 }
  }

  async stop (): Promise<void> {
    const { held } = this
    this.abort.abort()
    if (this.space !== undefined) { const f = this.space; this.space = undefined; f() }
    this.messages?.stop()
    // queued and parked messages go back now; running ones finish (or nak at their next retry)
    for (const h of held) if (!h.running) this.finish(h, 'nak')
    await Promise.race([this.queue.idle(), new Promise(resolve => setTimeout(resolve, 10_000).unref())])
    const clean = held.size === 0 || [...held].every(h => !h.running)
    for (const h of held) this.finish(h, 'nak')
    this.sendOutgoing()
    await this.running.catch(() => {})
    try { this.journal?.close(clean) } catch (err) { this.log.error(`order journal: ${errText(err)}`) }
    this.journal = undefined
    this.st.state = 'stopped'
  }

  private finish (h: Held, how: 'ack' | 'term' | 'nak'): void {
    if (h.done) return
    h.done = true
    this.held.delete(h)
    if (how === 'nak') h.m.nak()
    else if (this.journal === undefined) { if (how === 'ack') h.m.ack(); else h.m.term() } else {
      // the mark is on disk before the ack leaves (a redelivery of an applied message is then
      // recognised); marks finished in one turn of the event loop share one write
      if (!h.key.startsWith('#')) this.journal.mark(h.key, h.m.seq)
      this.outgoing.push({ m: h.m, how })
      if (this.outgoing.length === 1) setImmediate(() => { this.sendOutgoing() })
    }
    if (this.space !== undefined && this.held.size < this.s.maxInFlight) { const f = this.space; this.space = undefined; f() }
  }

  private sendOutgoing (): void {
    const list = this.outgoing
    this.outgoing = []
    try {
      this.journal?.flush()
    } catch (err) {
      // not durable: give the messages back rather than ack what a crash could reorder
      this.log.error(`order journal write failed: ${errText(err)}`)
      for (const o of list) o.m.nak()
      return
    }
    for (const o of list) {
      if (o.how === 'ack') o.m.ack(); else o.m.term()
      this.recovery.acked(replyOf(o.m))
    }
  }

  private async sleep (ms: number): Promise<void> {
    const { signal } = this.abort
    await new Promise<void>((resolve) => {
      const t = setTimeout(resolve, ms)
      signal.addEventListener('abort', () => { clearTimeout(t); resolve() }, { once: true })
    })
  }

  private async deadLetter (h: Held, reason: string): Promise<void> {
    const { st, s, deadLetterFile, log } = this
    for (let i = 0; ; i++) {
      try {
        const { target, why } = await this.sink.store(this.nc, h.m, reason)
        st.deadLettered++
        if (target === 'local') st.deadLetteredLocal++
        const where = target === 'local' ? `kept in ${deadLetterFile}${why !== undefined ? ` (${why})` : ''}` : 'published to the JetStream DLQ'
        log.error(`message ${h.m.seq} (Msg-Id ${h.m.headers?.get(MSG_ID_HEADER) ?? 'none'}) dead-lettered, ${where}: ${reason}`)
        this.finish(h, 'term')
        return
      } catch (err) {
        // neither the DLQ nor the local file took it: keep the message rather than lose it
        st.lastError = `dead-lettering failed (local file ${deadLetterFile}): ${errText(err)}`
        log.error(st.lastError)
        if (this.abort.signal.aborted) { this.finish(h, 'nak'); return }
        await this.sleep(Math.min(s.retry.maxMs, s.retry.initialMs * 2 ** Math.min(i, 16)))
      }
    }
  }

  private async processHeld (h: Held): Promise<void> {
    const { st, s, abort, log } = this
    if (h.done) return
    if (abort.signal.aborted) { this.finish(h, 'nak'); return }
    h.running = true
    if ('invalid' in h.parsed) { await this.deadLetter(h, h.parsed.invalid); return }
    const mark = this.journal?.lastApplied(h.key)
    if (mark !== undefined && mark >= h.m.seq) {
      // applied before (ack lost in a crash) or superseded by a later message of the user: never again
      st.skippedStale++
      this.finish(h, 'ack')
      return
    }
    const msg = h.parsed
    let childLog: Logger | undefined
    const rc: RequestContext = {
      baseEntity: this.baseEntity,
      requestId: msg.msgId,
      // made on first use: most applications log nothing
      get log () { return (childLog ??= log.child({ msgId: msg.msgId, seq: h.m.seq })) },
      signal: abort.signal,
      locationBase: '',
      version: '2.0'
    }
    for (let attempt = h.m.info.deliveryCount; ; attempt++) {
      try {
        await applyStreamMessage(msg, { service: this.opts.service, rc, options: this.plan.options, subject: h.m.subject })
        st.applied++
        this.finish(h, 'ack')
        return
      } catch (err) {
        const kind = classifyError(err)
        if (kind === 'permanent') { await this.deadLetter(h, errText(err)); return }
        if (attempt >= s.maxDeliver) { await this.deadLetter(h, `still failing after ${attempt} attempts: ${errText(err)}`); return }
        if (abort.signal.aborted) { this.finish(h, 'nak'); return }
        st.retries++
        st.lastError = errText(err)
        const delay = Math.min(s.retry.maxMs, s.retry.initialMs * 2 ** Math.min(attempt - 1, 16))
        rc.log.warn(`transient failure (attempt ${attempt}/${s.maxDeliver}), retrying in ${delay} ms: ${st.lastError}`)
        await this.sleep(delay)
        if (abort.signal.aborted) { this.finish(h, 'nak'); return }
      }
    }
  }

  private async run (): Promise<void> {
    const { st, s, plan, opts, abort, log } = this
    let nc: NatsConnection
    try {
      nc = this.nc = await opts.connection.ready()
    } catch {
      st.state = 'stopped'
      return
    }
    const js = jetstream(nc)
    void this.recovery.watch(nc).catch(() => {})
    for (let round = 0; !abort.signal.aborted; round++) {
      try {
        st.state = 'starting'
        const ci = await ensureConsumer(nc, {
          stream: plan.nats.tenant, name: opts.consumerName, filterSubject: plan.nats.subject,
          maxDeliver: s.maxDeliver, ackWaitMs: s.ackWaitMs, maxAckPending: Math.max(s.maxInFlight * 4, 1024)
        }, log)
        const gate = this.gate ??= new OrderGate(ci.delivered.consumer_seq, ci.num_ack_pending > 0)
        if (this.journal === undefined && !this.journalBusy) await this.openJournal(nc, ci.ack_floor.stream_seq)
        const consumer = await js.consumers.get(plan.nats.tenant, opts.consumerName)
        const messages = this.messages = await consumer.consume({ max_messages: s.batch, expires: 30_000 })
        if (abort.signal.aborted) { messages.stop(); break }
        st.state = 'running'
        round = 0
        log.info(`consuming ${plan.nats.subject} from stream ${plan.nats.tenant}`)
        await this.consume(messages, consumer, gate)
      } catch (err) {
        if (abort.signal.aborted) break
        st.state = 'error'
        st.lastError = errText(err)
        log.error(`subscriber ${opts.consumerName}: ${st.lastError}`)
      }
      if (!abort.signal.aborted) await this.sleep(Math.min(30_000, 500 * 2 ** Math.min(round, 6)))
    }
  }

  /** Opens the per-consumer order journal (once) and gives back what a crashed previous run held. */
  private async openJournal (nc: NatsConnection, ackFloorStreamSeq: number): Promise<void> {
    const { plan, opts } = this
    const info = await (await jetstreamManager(nc)).streams.info(plan.nats.tenant)
    try {
      const journal = this.journal = OrderJournal.open(join(opts.stateDir, `${opts.consumerName}.order`), { stream: info.config.name, created: info.created })
      journal.trackHeld(() => [...this.held].filter(h => !h.key.startsWith('#')).map(h => ({ seq: h.m.seq, key: h.key, reply: replyOf(h.m) })))
      this.recovery.afterCrash(nc, journal, ackFloorStreamSeq)
    } catch (err) {
      if (!(err instanceof JournalBusyError)) throw err
      // two gateways on one state directory: consuming still works, without crash protection
      this.journalBusy = true
      this.log.error(`${err.message}; this subscriber runs without the per-user order journal`)
    }
  }

  /** Holds and queues every delivery until the consume stops; keeps held ones alive, settles the gate. */
  private async consume (messages: ConsumerMessages, consumer: SettleableConsumer, gate: OrderGate): Promise<void> {
    const { held, s } = this
    const settle = setInterval(() => { void this.settleGate(consumer) }, 50)
    const keepAlive = setInterval(() => { for (const h of held) if (!h.done) h.m.working() }, Math.max(1000, Math.floor(s.ackWaitMs / 3)))
    try {
      for await (const m of messages) {
        const { parsed, key } = parse(m)
        const h: Held = { m, key, parsed, done: false, running: false }
        held.add(h)
        if (!key.startsWith('#')) this.journal?.received(m.seq, key, replyOf(m))
        gate.receive(m.info.deliverySequence, m.seq, () => { this.queue.push(key, h) })
        if (held.size >= s.maxInFlight) await new Promise<void>((resolve) => { this.space = resolve })
      }
    } finally {
      clearInterval(settle)
      clearInterval(keepAlive)
    }
  }

  private async settleGate (consumer: SettleableConsumer): Promise<void> {
    const { gate } = this
    if (gate === undefined || gate.parked === 0 || this.settling) return
    this.settling = true
    try {
      const ci = await consumer.info(false)
      gate.settle({ ackFloorStreamSeq: ci.ack_floor.stream_seq, numAckPending: ci.num_ack_pending }, this.held.size)
    } catch (err) {
      this.log.debug(`consumer info failed: ${errText(err)}`)
    } finally {
      this.settling = false
    }
  }
}

/** What settleGate asks of the consumer. */
interface SettleableConsumer { info: (cached?: boolean) => Promise<{ ack_floor: { stream_seq: number }, num_ack_pending: number }> }

/** Parses once on arrival; the key is the user (or group) the message is about. */
function parse (m: JsMsg): { parsed: Held['parsed'], key: string } {
  try {
    const msg = parseStreamMessage(m.data, { msgId: m.headers?.get(MSG_ID_HEADER), subject: m.subject })
    return { parsed: msg, key: orderKeyOf(msg) ?? `#seq:${m.seq}` }
  } catch (err) {
    // an unparseable message has no user: its own key, dead-lettered in its turn
    return { parsed: { invalid: isPermanentMessageError(err) ? err.reason : `invalid message: ${errText(err)}` }, key: `#seq:${m.seq}` }
  }
}

/** The ack reply subject of a delivery (JsMsgImpl has it; the JsMsg type does not say so). */
function replyOf (m: JsMsg): string {
  const r = (m as unknown as { reply?: unknown }).reply
  return typeof r === 'string' ? r : ''
}

function errText (err: unknown): string {
  return err instanceof Error ? err.message : String(err)
}
