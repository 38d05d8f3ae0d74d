// JetStream publishing of stream messages: `Msg-Id` + `Nats-Msg-Id` headers (the same id, so a
// retried publish is de-duplicated by the stream), acknowledgement required, retries with back-off,
// and a bound on publishes in flight (memory stays flat however many users a run has).
//
// Acks are collected on ONE wildcard inbox subscription (`<inbox>.<publisher id>.<n>`) instead of a
// request per message: the client library's request path allocates an Error (with a stack trace)
// per call for its timeout, which was the largest cost of an initial load. Timeouts are swept by one
// timer. A PubAck carrying `error`, a 503 status (no stream captures the subject) or no answer
// within the timeout is a failed attempt; attempts are retried with the same message id.
import { createInbox, headers } from '@nats-io/transport-node'
import type { Msg, NatsConnection, Subscription } from '@nats-io/transport-node'
import type { Logger } from '../logging/types.ts'

/** A stream's acknowledgement of one message. */
export interface PubAck { stream: string, seq: number, duplicate: boolean }

/** Options of {@link createPublisher}. */
export interface PublisherOptions {
  nc: NatsConnection
  log: Logger
  /** Inbox prefix the user may subscribe to (default `_INBOX`). */
  inboxPrefix?: string
  /** Publishes awaiting their ack at once (default 256). */
  maxInflight?: number
  /** Attempts per message (default 6). */
  attempts?: number
  /** First back-off in ms, doubled per attempt (default 200). */
  backoffMs?: number
  /** Ack timeout per attempt in ms (default 10 000). */
  timeoutMs?: number
}

/** A bounded, retrying JetStream publisher. */
export interface Publisher {
  /**
   * Publishes in the background; `onAck` runs after the ack, `onFail` after the last attempt failed.
   * Returns undefined when a slot was free (no promise on the fast path), else a promise that
   * resolves when the publish has been *started* — await it before submitting more.
   */
  submit (subject: string, body: Uint8Array, msgId: string, onAck: (ack: PubAck) => void, onFail: (err: Error) => void): Promise<void> | undefined
  /** Waits until every submitted publish is acknowledged or failed. */
  drain (): Promise<void>
  /** Stops the ack subscription (after drain). */
  close (): void
  /** Messages acknowledged so far, failures, retries. */
  readonly stats: { acked: number, failed: number, retried: number }
}

/** One message on its way: retried with the same id until acknowledged or out of attempts. */
interface Job {
  subject: string
  body: Uint8Array
  msgId: string
  attempt: number
  deadline: number
  onAck: (ack: PubAck) => void
  onFail: (err: Error) => void
}

/**
 * Creates a publisher on a connection whose user may publish the subjects and subscribe the inbox.
 * @example
 * const pub = createPublisher({ nc, log })
 * await pub.submit('HR.AD', body, newMessageId(), ack => state.set(...), err => log.error(...))
 * await pub.drain()
 */
export function createPublisher (opts: PublisherOptions): Publisher {
  return new AckInboxPublisher(opts)
}

/** The answer of JetStream to a publish, as far as this publisher reads it. */
interface AckBody { stream?: string, seq?: number, duplicate?: boolean, error?: { description?: string, code?: number } }

/** Settings of a publisher with the defaults filled in. */
interface Limits { max: number, attempts: number, backoff: number, timeout: number }

/**
 * The publisher: in-flight slots (with waiters for a free one), the pending attempts by inbox token,
 * the ack subscription (made at the first send) and the timeout sweeper.
 */
class AckInboxPublisher implements Publisher {
  readonly stats = { acked: 0, failed: 0, retried: 0 }
  readonly #nc: NatsConnection
  readonly #log: Logger
  readonly #limits: Limits
  readonly #prefix: string
  readonly #pending = new Map<string, Job>()
  readonly #waiters: Array<() => void> = []
  readonly #idle: Array<() => void> = []
  #counter = 0
  #inflight = 0
  #sub: Subscription | undefined
  #sweeper: NodeJS.Timeout | undefined

  constructor (opts: PublisherOptions) {
    this.#nc = opts.nc
    this.#log = opts.log
    this.#limits = { max: opts.maxInflight ?? 256, attempts: opts.attempts ?? 6, backoff: opts.backoffMs ?? 200, timeout: opts.timeoutMs ?? 10_000 }
    this.#prefix = createInbox(opts.inboxPrefix ?? '_INBOX')
  }

  submit (subject: string, body: Uint8Array, msgId: string, onAck: (ack: PubAck) => void, onFail: (err: Error) => void): Promise<void> | undefined {
    const job: Job = { subject, body, msgId, attempt: 0, deadline: 0, onAck, onFail }
    if (this.#inflight < this.#limits.max) {
      this.#inflight++
      this.#send(job)
      return undefined
    }
    return new Promise<void>(resolve => this.#waiters.push(() => { this.#send(job); resolve() }))
  }

  async drain (): Promise<void> {
    if (this.#inflight === 0 && this.#waiters.length === 0) return
    await new Promise<void>(resolve => this.#idle.push(resolve))
  }

  close (): void {
    if (this.#sweeper !== undefined) clearInterval(this.#sweeper)
    this.#sub?.unsubscribe()
    this.#sub = undefined
  }

  /** One attempt: a new inbox token, both id headers, the deadline. */
  #send (job: Job): void {
    this.#ensureSub()
    job.attempt++
    const token = String(++this.#counter)
    const h = headers()
    h.set('Msg-Id', job.msgId)
    h.set('Nats-Msg-Id', job.msgId)
    job.deadline = Date.now() + this.#limits.timeout
    this.#pending.set(token, job)
    try {
      this.#nc.publish(job.subject, job.body, { reply: `${this.#prefix}.${token}`, headers: h })
    } catch (err) {
      this.#pending.delete(token)
      this.#failed(job, err as Error)
    }
  }

  /** The wildcard ack subscription and the sweeper of timed-out attempts, once. */
  #ensureSub (): void {
    if (this.#sub !== undefined) return
    this.#sub = this.#nc.subscribe(`${this.#prefix}.*`, { callback: (err, m) => { if (err === null) this.#onAckMsg(m) } })
    this.#sweeper = setInterval(() => { this.#sweep() }, Math.min(1000, this.#limits.timeout))
    this.#sweeper.unref()
  }

  #sweep (): void {
    const now = Date.now()
    for (const [token, job] of this.#pending) {
      if (job.deadline <= now) {
        this.#pending.delete(token)
        this.#failed(job, new Error(`no acknowledgement within ${this.#limits.timeout} ms`))
      }
    }
  }

  #onAckMsg (m: Msg): void {
    const token = m.subject.slice(this.#prefix.length + 1)
    const job = this.#pending.get(token)
    if (job === undefined) return // late answer of a timed-out attempt
    this.#pending.delete(token)
    const answer = readAck(m)
    if (answer instanceof Error) {
      this.#failed(job, answer)
      return
    }
    this.stats.acked++
    this.#release()
    job.onAck({ stream: answer.stream ?? '', seq: answer.seq ?? 0, duplicate: answer.duplicate === true })
  }

  /** A failed attempt: retried after the back-off, or the job fails after its last attempt. */
  #failed (job: Job, err: Error): void {
    this.#log.warn('publish not acknowledged', { subject: job.subject, msgId: job.msgId, attempt: job.attempt, error: err.message })
    if (job.attempt >= this.#limits.attempts) {
      this.stats.failed++
      this.#release()
      job.onFail(err)
      return
    }
    this.stats.retried++
    setTimeout(() => { this.#send(job) }, Math.min(this.#limits.backoff * 2 ** (job.attempt - 1), 10_000))
  }

  /** A finished publish hands its slot straight to the next waiter (no window for a third party). */
  #release (): void {
    const next = this.#waiters.shift()
    if (next !== undefined) { next(); return }
    this.#inflight--
    if (this.#inflight === 0) for (const f of this.#idle.splice(0)) f()
  }
}

/** The ack of an answer, or why the attempt failed (status without body, unreadable, refused). */
function readAck (m: Msg): AckBody | Error {
  if (m.headers?.hasError === true || (m.data.length === 0 && m.headers !== undefined)) {
    return new Error(m.headers?.code === 503 ? 'no stream captures this subject (503 no responders)' : `status ${m.headers?.code ?? '?'} ${m.headers?.description ?? ''}`)
  }
  let body: AckBody
  try {
    body = m.json()
  } catch (err) {
    return new Error(`unreadable publish acknowledgement: ${(err as Error).message}`)
  }
  if (body.error !== undefined) return new Error(`JetStream refused the message: ${body.error.description ?? JSON.stringify(body.error)}`)
  return body
}
