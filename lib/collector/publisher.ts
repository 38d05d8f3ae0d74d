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
   * Waits for a free slot, then publishes in the background; `onAck` runs after the ack, `onFail`
   * after the last attempt failed. Resolves when the publish has been *started*.
   */
  submit (subject: string, body: Uint8Array, msgId: string, onAck: (ack: PubAck) => void, onFail: (err: Error) => void): Promise<void>
  /** Waits until every submitted publish is acknowledged or failed. */
  drain (): Promise<void>
  /** Stops the ack subscription (after drain). */
  close (): void
  /** Messages acknowledged so far, failures, retries. */
  readonly stats: { acked: number, failed: number, retried: number }
}

interface Pending { resolve: (ack: PubAck) => void, reject: (err: Error) => void, deadline: number }

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
  const pending = new Map<string, Pending>()
  let counter = 0
  let inflight = 0
  const waiters: Array<() => void> = []
  const idle: Array<() => void> = []
  let sub: Subscription | undefined
  let sweeper: NodeJS.Timeout | undefined

  const onAckMsg = (m: Msg): void => {
    const token = m.subject.slice(prefix.length + 1)
    const p = pending.get(token)
    if (p === undefined) return // late answer of a timed-out attempt
    pending.delete(token)
    if (m.headers?.hasError === true || (m.data.length === 0 && m.headers !== undefined)) {
      p.reject(new Error(m.headers?.code === 503 ? 'no stream captures this subject (503 no responders)' : `status ${m.headers?.code ?? '?'} ${m.headers?.description ?? ''}`))
      return
    }
    try {
      const body = m.json<{ stream?: string, seq?: number, duplicate?: boolean, error?: { description?: string, code?: number } }>()
      if (body.error !== undefined) p.reject(new Error(`JetStream refused the message: ${body.error.description ?? JSON.stringify(body.error)}`))
      else p.resolve({ stream: body.stream ?? '', seq: body.seq ?? 0, duplicate: body.duplicate === true })
    } catch (err) {
      p.reject(new Error(`unreadable publish acknowledgement: ${(err as Error).message}`))
    }
  }

  const ensureSub = (): void => {
    if (sub !== undefined) return
    sub = nc.subscribe(`${prefix}.*`, { callback: (err, m) => { if (err === null) onAckMsg(m) } })
    sweeper = setInterval(() => {
      const now = Date.now()
      for (const [token, p] of pending) {
        if (p.deadline <= now) {
          pending.delete(token)
          p.reject(new Error(`no acknowledgement within ${timeout} ms`))
        }
      }
    }, Math.min(1000, timeout))
    sweeper.unref()
  }

  const attempt = async (subject: string, body: Uint8Array, msgId: string): Promise<PubAck> => {
    ensureSub()
    const token = String(++counter)
    const h = headers()
    h.set('Msg-Id', msgId)
    h.set('Nats-Msg-Id', msgId)
    return await new Promise<PubAck>((resolve, reject) => {
      pending.set(token, { resolve, reject, deadline: Date.now() + timeout })
      try {
        nc.publish(subject, body, { reply: `${prefix}.${token}`, headers: h })
      } catch (err) {
        pending.delete(token)
        reject(err as Error)
      }
    })
  }

  const send = async (subject: string, body: Uint8Array, msgId: string): Promise<PubAck> => {
    let lastErr: Error | undefined
    for (let i = 0; i < attempts; i++) {
      if (i > 0) {
        stats.retried++
        await sleep(Math.min(backoff * 2 ** (i - 1), 10_000))
      }
      try {
        return await attempt(subject, body, msgId)
      } catch (err) {
        lastErr = err as Error
        opts.log.warn('publish not acknowledged, retrying', { subject, msgId, attempt: i + 1, error: lastErr.message })
      }
    }
    throw lastErr ?? new Error('publish failed')
  }

  // A finished publish hands its slot straight to the next waiter (no window for a third party).
  const release = (): void => {
    const next = waiters.shift()
    if (next !== undefined) { next(); return }
    inflight--
    if (inflight === 0) for (const f of idle.splice(0)) f()
  }

  return {
    stats,
    async submit (subject, body, msgId, onAck, onFail) {
      if (inflight >= max) await new Promise<void>(resolve => waiters.push(resolve))
      else inflight++
      send(subject, body, msgId).then(ack => {
        stats.acked++
        onAck(ack)
      }, (err: Error) => {
        stats.failed++
        onFail(err)
      }).finally(release)
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

async function sleep (ms: number): Promise<void> {
  await new Promise(resolve => setTimeout(resolve, ms))
}
