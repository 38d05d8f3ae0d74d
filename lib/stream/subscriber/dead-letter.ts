// Publishes a permanently failed message to the tenant's dead-letter subject (`DLQ.<original
// subject>`, captured by the `<tenant>_DLQ` stream) with the reason, using the header convention of
// the stream contract (contract/dead-letters.ts), so the same list/replay tooling works for
// operators. JetStream publish: the message is terminated only after the dead letter is stored.
import { jetstream } from '@nats-io/jetstream'
import type { JsMsg } from '@nats-io/jetstream'
import type { NatsConnection } from '@nats-io/transport-node'
import { deadLetterHeaders } from '../contract/dead-letters.ts'
import { DLQ_HEADERS, MSG_ID_HEADER } from '../contract/headers.ts'
import { deadLetterSubject } from '../contract/naming.ts'

/**
 * Stores `m` as a dead letter with `reason`; throws when JetStream does not confirm.
 * @example await publishDeadLetter(nc, m, 'durable_loki_acme', 'missing Msg-Id header')
 */
export async function publishDeadLetter (nc: NatsConnection, m: JsMsg, consumer: string, reason: string): Promise<void> {
  const h = deadLetterHeaders({
    msgId: m.headers?.get(MSG_ID_HEADER) ?? '',
    reason,
    consumer,
    streamSeq: m.seq
  })
  h.set(DLQ_HEADERS.originalSubject, m.subject)
  await jetstream(nc).publish(deadLetterSubject(m.subject), m.data, { headers: h, timeout: 10_000 })
}
