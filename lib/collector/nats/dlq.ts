// Dead letters of a tenant: what a subscriber publishes when a message fails permanently, and how
// operators list and replay them (with a publisher connection; subscribers may only publish them).
//
// Convention for subscribers (lib/stream): publish the original body with JetStream to
// `DLQ.<original subject>` (deadLetterSubject), headers from deadLetterHeaders(): the original
// Msg-Id, a Nats-Msg-Id that de-duplicates retried dead-lettering, and the reason.
import { headers } from '@nats-io/transport-node'
import type { MsgHdrs, NatsConnection } from '@nats-io/transport-node'
import { jetstream, jetstreamManager, JetStreamApiError } from '@nats-io/jetstream'
import type { JetStreamManager, PubAck, StoredMsg } from '@nats-io/jetstream'
import { deadLetterStreamName } from './permissions.ts'

/** Header names of a dead letter. */
export const DLQ_HEADERS = Object.freeze({
  reason: 'Scim-Dlq-Reason',
  consumer: 'Scim-Dlq-Consumer',
  streamSeq: 'Scim-Dlq-Stream-Seq',
  failedAt: 'Scim-Dlq-Failed-At',
  replayedFrom: 'Scim-Dlq-Replayed-From'
})

/** Why and where a message failed. */
export interface DeadLetterInfo {
  /** `Msg-Id` of the original message (empty when it had none). */
  msgId: string
  reason: string
  /** Durable consumer that gave up on it. */
  consumer: string
  /** Sequence of the original message in the tenant stream. */
  streamSeq: number
}

/** A dead letter as stored in `<tenant>_DLQ`. */
export interface DeadLetter extends DeadLetterInfo {
  /** Sequence in the dead-letter stream (what replay/delete take). */
  seq: number
  /** Subject of the original message (`ENTRA.…`/`HR.…`). */
  originalSubject: string
  failedAt: string
  data: Uint8Array
  /** The body as UTF-8 text. */
  text: string
}

/** Headers for publishing a dead letter (Nats-Msg-Id de-duplicates repeated dead-lettering). */
export function deadLetterHeaders (info: DeadLetterInfo, failedAt = new Date()): MsgHdrs {
  const h = headers()
  if (info.msgId !== '') h.set('Msg-Id', info.msgId)
  h.set('Nats-Msg-Id', `dlq:${info.consumer}:${info.streamSeq}`)
  h.set(DLQ_HEADERS.reason, info.reason.replace(/[\r\n]+/g, ' ').slice(0, 1024))
  h.set(DLQ_HEADERS.consumer, info.consumer)
  h.set(DLQ_HEADERS.streamSeq, String(info.streamSeq))
  h.set(DLQ_HEADERS.failedAt, failedAt.toISOString())
  return h
}

/**
 * Lists dead letters of a tenant, oldest first, starting at `fromSeq`.
 * @example for (const d of await listDeadLetters(nc, 'acme')) console.log(d.seq, d.originalSubject, d.reason)
 */
export async function listDeadLetters (
  nc: NatsConnection, tenant: string, opts: { fromSeq?: number, limit?: number } = {}
): Promise<DeadLetter[]> {
  const jsm = await jetstreamManager(nc)
  const stream = deadLetterStreamName(tenant)
  const { state } = await jsm.streams.info(stream)
  const out: DeadLetter[] = []
  const limit = opts.limit ?? 100
  for (let seq = Math.max(opts.fromSeq ?? 1, state.first_seq); seq <= state.last_seq && out.length < limit; seq++) {
    const m = await getOrNull(jsm, stream, seq)
    if (m === null) continue
    out.push({
      seq,
      originalSubject: m.subject.replace(/^DLQ\./, ''),
      msgId: m.header.get('Msg-Id'),
      reason: m.header.get(DLQ_HEADERS.reason),
      consumer: m.header.get(DLQ_HEADERS.consumer),
      streamSeq: Number(m.header.get(DLQ_HEADERS.streamSeq) || 0),
      failedAt: m.header.get(DLQ_HEADERS.failedAt),
      data: m.data,
      text: m.string()
    })
  }
  return out
}

/**
 * Publishes dead letter `seq` again to its original subject (same Msg-Id, a fresh Nats-Msg-Id so
 * JetStream does not drop it as a duplicate) and removes it from the dead-letter stream unless `keep`.
 */
export async function replayDeadLetter (
  nc: NatsConnection, tenant: string, seq: number, opts: { keep?: boolean } = {}
): Promise<PubAck> {
  const stream = deadLetterStreamName(tenant)
  const jsm = await jetstreamManager(nc)
  const m = await getOrNull(jsm, stream, seq)
  if (m === null) throw new Error(`no dead letter ${seq} in ${stream}`)
  const h = headers()
  const msgId = m.header.get('Msg-Id')
  if (msgId !== '') h.set('Msg-Id', msgId)
  h.set('Nats-Msg-Id', `replay:${tenant}:${seq}`)
  h.set(DLQ_HEADERS.replayedFrom, String(seq))
  const ack = await jetstream(nc).publish(m.subject.replace(/^DLQ\./, ''), m.data, { headers: h })
  if (opts.keep !== true) await jsm.streams.deleteMessage(stream, seq, false)
  return ack
}

async function getOrNull (jsm: JetStreamManager, stream: string, seq: number): Promise<StoredMsg | null> {
  try {
    return await jsm.streams.getMessage(stream, { seq })
  } catch (err) {
    // a deleted sequence: "no message found" (10037)
    if (err instanceof JetStreamApiError && err.code === 10037) return null
    throw err
  }
}
