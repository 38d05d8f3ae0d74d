// JetStream publishing of stream messages: `Msg-Id` + `Nats-Msg-Id` headers (the same id, so a
// retried publish is de-duplicated by the stream), acknowledgement required, retries with back-off,
// and a bound on publishes in flight (memory stays flat however many users a run has).
import { headers } from '@nats-io/transport-node'
import type { JetStreamClient, PubAck } from '@nats-io/jetstream'
import type { Logger } from '../logging/types.ts'

/** Options of {@link createPublisher}. */
export interface PublisherOptions {
  js: JetStreamClient
  log: Logger
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
  /** Messages acknowledged so far, and failures. */
  readonly stats: { acked: number, failed: number, retried: number }
}

/**
 * Creates a publisher over a JetStream client.
 * @example
 * const pub = createPublisher({ js: jetstream(nc), log })
 * await pub.submit('HR.AD', body, newMessageId(), ack => state.set(...), err => log.error(...))
 * await pub.drain()
 */
export function createPublisher (opts: PublisherOptions): Publisher {
  const max = opts.maxInflight ?? 256
  const attempts = opts.attempts ?? 6
  const backoff = opts.backoffMs ?? 200
  const timeout = opts.timeoutMs ?? 10_000
  const stats = { acked: 0, failed: 0, retried: 0 }
  let inflight = 0
  const waiters: Array<() => void> = []
  const idle: Array<() => void> = []

  // A finished publish hands its slot straight to the next waiter (no window for a third party).
  const release = (): void => {
    const next = waiters.shift()
    if (next !== undefined) { next(); return }
    inflight--
    if (inflight === 0) for (const f of idle.splice(0)) f()
  }

  const send = async (subject: string, body: Uint8Array, msgId: string): Promise<PubAck> => {
    let lastErr: Error | undefined
    for (let i = 0; i < attempts; i++) {
      if (i > 0) {
        stats.retried++
        await sleep(Math.min(backoff * 2 ** (i - 1), 10_000))
      }
      try {
        const h = headers()
        h.set('Msg-Id', msgId)
        return await opts.js.publish(subject, body, { msgID: msgId, headers: h, timeout })
      } catch (err) {
        lastErr = err as Error
        opts.log.warn('publish not acknowledged, retrying', { subject, msgId, attempt: i + 1, error: lastErr.message })
      }
    }
    throw lastErr ?? new Error('publish failed')
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
    }
  }
}

async function sleep (ms: number): Promise<void> {
  await new Promise(resolve => setTimeout(resolve, ms))
}
