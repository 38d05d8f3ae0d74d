// Where a subscriber puts a permanently failed message before terminating it: the tenant's
// JetStream DLQ (`DLQ.<original subject>`, captured by `<tenant>_DLQ`, headers of the contract's
// convention) when that works, else a local durable file (local-dead-letters.ts). A deployed SCIM
// Stream server has no DLQ stream and its subscriber users may not publish there: the JetStream
// attempt then fails at once (no responders / permissions violation) and is not tried again for a
// while, so poison messages cost one local fsync each and never block anything.
import { jetstream } from '@nats-io/jetstream'
import type { JsMsg } from '@nats-io/jetstream'
import type { NatsConnection } from '@nats-io/transport-node'
import { deadLetterHeaders } from '../contract/dead-letters.ts'
import { DLQ_HEADERS, MSG_ID_HEADER } from '../contract/headers.ts'
import { deadLetterStreamName, deadLetterSubject } from '../contract/naming.ts'
import { appendLocalDeadLetter, encodeBody } from '../local-dead-letters.ts'

/** Where a dead letter went. */
export type DeadLetterTarget = 'jetstream' | 'local'

/** Options of {@link createDeadLetterSink}. */
export interface DeadLetterSinkOptions {
  tenant: string
  consumer: string
  /** The local JSONL file. */
  file: string
  /** JetStream publish timeout (default 5 000 ms). */
  timeoutMs?: number
  /** How long the JetStream DLQ is not tried again after it failed (default 10 min). */
  retryJetStreamAfterMs?: number
}

/** Stores dead letters; `store` throws only when neither target took it. */
export interface DeadLetterSink {
  store (nc: NatsConnection | undefined, m: JsMsg, reason: string): Promise<{ target: DeadLetterTarget, why?: string }>
}

/**
 * @example
 * const sink = createDeadLetterSink({ tenant: 'acme', consumer: 'durable_loki_acme', file })
 * const { target } = await sink.store(nc, m, 'missing user.userName'); m.term()
 */
export function createDeadLetterSink (opts: DeadLetterSinkOptions): DeadLetterSink {
  let jsUnavailableUntil = 0
  let jsWhy: string | undefined
  return {
    async store (nc, m, reason) {
      if (nc !== undefined && Date.now() >= jsUnavailableUntil) {
        try {
          await publishDeadLetter(nc, m, opts.consumer, reason, opts.timeoutMs ?? 5000)
          return { target: 'jetstream' }
        } catch (err) {
          jsWhy = `${deadLetterStreamName(opts.tenant)} not usable: ${jetStreamFailure(err)}`
          jsUnavailableUntil = Date.now() + (opts.retryJetStreamAfterMs ?? 600_000)
        }
      }
      const headers: Record<string, string> = {}
      if (m.headers !== undefined) for (const k of m.headers.keys()) headers[k] = m.headers.get(k)
      appendLocalDeadLetter(opts.file, {
        time: new Date().toISOString(),
        consumer: opts.consumer,
        stream: m.info.stream,
        streamSeq: m.seq,
        subject: m.subject,
        msgId: m.headers?.get(MSG_ID_HEADER) ?? '',
        reason,
        headers,
        ...encodeBody(m.data)
      })
      return jsWhy === undefined ? { target: 'local' } : { target: 'local', why: jsWhy }
    }
  }
}

/** Publishes `m` to the JetStream DLQ; throws when JetStream does not confirm. */
async function publishDeadLetter (nc: NatsConnection, m: JsMsg, consumer: string, reason: string, timeout: number): Promise<void> {
  const h = deadLetterHeaders({ msgId: m.headers?.get(MSG_ID_HEADER) ?? '', reason, consumer, streamSeq: m.seq })
  h.set(DLQ_HEADERS.originalSubject, m.subject)
  await jetstream(nc).publish(deadLetterSubject(m.subject), m.data, { headers: h, timeout })
}

/** What went wrong, in words an operator understands. */
function jetStreamFailure (err: unknown): string {
  const name = err instanceof Error ? err.name : ''
  const text = err instanceof Error ? err.message : String(err)
  if (name === 'NoRespondersError' || /no responders|503|jetstream is not enabled/i.test(text)) return 'no stream captures DLQ.> (no responders)'
  if (name === 'PermissionViolationError' || /permission/i.test(text)) return `no permission to publish there (${text})`
  if (name === 'TimeoutError' || /timeout/i.test(text)) return 'no answer from JetStream (timeout)'
  return text
}
