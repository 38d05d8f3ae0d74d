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
  const { nc } = opts
  const max = opts.maxInflight ?? 256
  const attempts = opts.attempts ?? 6
  const backoff = opts.backoffMs ?? 200
  const timeout = opts.timeoutMs ?? 10_000
  const stats = { acked: 0, failed: 0, retried: 0 }
  const prefix = createInbox(opts.inboxPrefix ?? '_INBOX')
  const pending = new Map<string, Job>()
  let counter = 0
  let inflight = 0
  const waiters: Array<() => void> = []
  const idle: Array<() => void> = []
  let sub: Subscription | undefined
  let sweeper: NodeJS.Timeout | undefined

  // A finished publish hands its slot straight to the next waiter (no window for a third party).
  const release = (): void => {
    const next = waiters.shift()
    if (next !== undefined) { next(); return }
    inflight--
    if (inflight === 0) for (const f of idle.splice(0)) f()
  }

  const failed = (job: Job, err: Error): void => {
    opts.log.warn('publish not acknowledged', { subject: job.subject, msgId: job.msgId, attempt: job.attempt, error: err.message })
    if (job.attempt >= attempts) {
      stats.failed++
      release()
      job.onFail(err)
      return
    }
    stats.retried++
    setTimeout(() => { send(job) }, Math.min(backoff * 2 ** (job.attempt - 1), 10_000))
  }

  const onAckMsg = (m: Msg): void => {
    const token = m.subject.slice(prefix.length + 1)
    const job = pending.get(token)
    if (job === undefined) return // late answer of a timed-out attempt
    pending.delete(token)
    if (m.headers?.hasError === true || (m.data.length === 0 && m.headers !== undefined)) {
      failed(job, new Error(m.headers?.code === 503 ? 'no stream captures this subject (503 no responders)' : `status ${m.headers?.code ?? '?'} ${m.headers?.description ?? ''}`))
      return
    }
    let body: { stream?: string, seq?: number, duplicate?: boolean, error?: { description?: string, code?: number } }
    try {
      body = m.json()
    } catch (err) {
      failed(job, new Error(`unreadable publish acknowledgement: ${(err as Error).message}`))
      return
    }
    if (body.error !== undefined) {
      failed(job, new Error(`JetStream refused the message: ${body.error.description ?? JSON.stringify(body.error)}`))
      return
    }
    stats.acked++
    release()
    job.onAck({ stream: body.stream ?? '', seq: body.seq ?? 0, duplicate: body.duplicate === true })
  }

  const ensureSub = (): void => {
    if (sub !== undefined) return
    sub = nc.subscribe(`${prefix}.*`, { callback: (err, m) => { if (err === null) onAckMsg(m) } })
    sweeper = setInterval(() => {
      const now = Date.now()
      for (const [token, job] of pending) {
        if (job.deadline <= now) {
          pending.delete(token)
          failed(job, new Error(`no acknowledgement within ${timeout} ms`))
        }
      }
    }, Math.min(1000, timeout))
    sweeper.unref()
  }

  function send (job: Job): void {
    ensureSub()
    job.attempt++
    const token = String(++counter)
    const h = headers()
    h.set('Msg-Id', job.msgId)
    h.set('Nats-Msg-Id', job.msgId)
    job.deadline = Date.now() + timeout
    pending.set(token, job)
    try {
      nc.publish(job.subject, job.body, { reply: `${prefix}.${token}`, headers: h })
    } catch (err) {
      pending.delete(token)
      failed(job, err as Error)
    }
  }

  return {
    stats,
    submit (subject, body, msgId, onAck, onFail) {
      const job: Job = { subject, body, msgId, attempt: 0, deadline: 0, onAck, onFail }
      if (inflight < max) {
        inflight++
        send(job)
        return undefined
      }
      return new Promise<void>(resolve => waiters.push(() => { send(job); resolve() }))
    },
    async drain () {
      if (inflight === 0 && waiters.length === 0) return
      await new Promise<void>(resolve => idle.push(resolve))
    },
    close () {
      if (sweeper !== undefined) clearInterval(sweeper)
      sub?.unsubscribe()
      sub = undefined
    }
  }
}
