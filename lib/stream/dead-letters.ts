// Operator side of a subscribing entity's dead letters: list the ones its durable consumer gave up
// on, and replay one or all to the original subject. Built on the contract's JetStream DLQ convention (contract/dead-letters.ts, the same
// header convention). Needs a connection that may read the `<tenant>_DLQ` stream and publish to
// ENTRA/HR — the tenant's *publisher* credentials; a subscriber's least-privilege user may not.
//
// Replay keeps the original `Msg-Id` (the message is the same change; the subscriber's application
// is idempotent) and sets a fresh `Nats-Msg-Id` (`replay:<tenant>:<dlq seq>`): the original one may
// still be inside the stream's de-duplication window (2 min by default) and JetStream would drop
// the replay as a duplicate. Replaying the same dead letter twice within the window is de-duplicated.
import type { NatsConnection } from '@nats-io/transport-node'
import { listDeadLetters, replayDeadLetter, type DeadLetter } from './contract/dead-letters.ts'

/**
 * Dead letters of one durable consumer, oldest first.
 * @example for (const d of await entityDeadLetters(nc, 'acme', 'durable_loki_acme')) console.log(d.seq, d.reason)
 */
export async function entityDeadLetters (nc: NatsConnection, tenant: string, consumer: string, limit = 10_000): Promise<DeadLetter[]> {
  const out: DeadLetter[] = []
  let fromSeq = 1
  for (;;) {
    const page = await listDeadLetters(nc, tenant, { fromSeq, limit: 500 })
    if (page.length === 0) return out
    for (const d of page) if (d.consumer === consumer && out.length < limit) out.push(d)
    const last = page[page.length - 1]
    if (last === undefined || out.length >= limit) return out
    fromSeq = last.seq + 1
  }
}

/** Result of a replay. */
export interface ReplayResult { seq: number, subject: string, msgId: string, streamSeq: number }

/**
 * Replays dead letters of `consumer` (`'all'` or one DLQ sequence) and removes them from the DLQ.
 * @throws when `which` is a sequence that is not a dead letter of this consumer
 */
export async function replayEntityDeadLetters (nc: NatsConnection, tenant: string, consumer: string, which: number | 'all'): Promise<ReplayResult[]> {
  const letters = await entityDeadLetters(nc, tenant, consumer)
  const chosen = which === 'all' ? letters : letters.filter(d => d.seq === which)
  if (which !== 'all' && chosen.length === 0) throw new Error(`dead letter ${which} of ${consumer} not found in ${tenant}_DLQ`)
  const out: ReplayResult[] = []
  for (const d of chosen) {
    const ack = await replayDeadLetter(nc, tenant, d.seq)
    out.push({ seq: d.seq, subject: d.originalSubject, msgId: d.msgId, streamSeq: ack.seq })
  }
  return out
}
