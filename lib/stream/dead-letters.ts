// Operator side of a subscribing entity's dead letters: list the ones its durable consumer gave up
// on — in the tenant's JetStream DLQ and in the gateway's local dead-letter file (when the tenant has
// no usable DLQ, local-dead-letters.ts) — and replay one or all to the original subject. Built on the contract's JetStream DLQ convention (contract/dead-letters.ts, the same
// header convention). Needs a connection that may read the `<tenant>_DLQ` stream and publish to
// ENTRA/HR — the tenant's *publisher* credentials; a subscriber's least-privilege user may not.
//
// Replay keeps the original `Msg-Id` (the message is the same change; the subscriber's application
// is idempotent) and sets a fresh `Nats-Msg-Id` (`replay:<tenant>:<dlq seq>`): the original one may
// still be inside the stream's de-duplication window (2 min by default) and JetStream would drop
// the replay as a duplicate. Replaying the same dead letter twice within the window is de-duplicated.
import { headers } from '@nats-io/transport-node'
import type { NatsConnection } from '@nats-io/transport-node'
import { jetstream } from '@nats-io/jetstream'
import { DLQ_HEADERS, MSG_ID_HEADER, NATS_MSG_ID_HEADER } from './contract/headers.ts'
import { bodyBytes, localDeadLetterFile, readLocalDeadLetters, removeLocalDeadLetters, type LocalDeadLetter } from './local-dead-letters.ts'
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

/** A locally kept dead letter as the tooling shows it (`id` = `L<stream seq>`). */
export interface LocalEntry extends LocalDeadLetter { id: string }

/** Local dead letters of `consumer` under the gateway's state directory, oldest first. */
export function entityLocalDeadLetters (stateDir: string, consumer: string): LocalEntry[] {
  return readLocalDeadLetters(localDeadLetterFile(stateDir, consumer))
    .filter(d => d.consumer === consumer)
    .map(d => ({ ...d, id: `L${d.streamSeq}` }))
}

/**
 * Replays local dead letters (`'all'` or one `L<stream seq>`) to their original subject with the
 * original Msg-Id and a fresh Nats-Msg-Id, then removes them from the file. Needs a connection that
 * may publish ENTRA/HR (the tenant's publisher user).
 * @throws when `which` names no local dead letter of this consumer
 */
export async function replayLocalDeadLetters (nc: NatsConnection, stateDir: string, consumer: string, which: string | 'all'): Promise<ReplayResult[]> {
  const file = localDeadLetterFile(stateDir, consumer)
  const letters = entityLocalDeadLetters(stateDir, consumer)
  const chosen = which === 'all' ? letters : letters.filter(d => d.id === which)
  if (which !== 'all' && chosen.length === 0) throw new Error(`local dead letter ${which} of ${consumer} not found in ${file}`)
  const out: ReplayResult[] = []
  const done = new Set<number>()
  try {
    for (const d of chosen) {
      const h = headers()
      if (d.msgId !== '') h.set(MSG_ID_HEADER, d.msgId)
      h.set(NATS_MSG_ID_HEADER, `replay:${consumer}:${d.id}:${Date.now()}`)
      h.set(DLQ_HEADERS.replayedFrom, d.id)
      const ack = await jetstream(nc).publish(d.subject, bodyBytes(d), { headers: h })
      done.add(d.streamSeq)
      out.push({ seq: d.streamSeq, subject: d.subject, msgId: d.msgId, streamSeq: ack.seq })
    }
  } finally {
    // what was republished leaves the file, also when a later one failed
    if (done.size > 0) removeLocalDeadLetters(file, done)
  }
  return out
}
