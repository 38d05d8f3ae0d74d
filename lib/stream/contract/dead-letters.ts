// Dead letters in the tenant's JetStream DLQ (`<tenant>_DLQ` capturing `DLQ.>`, when the tenant has
// one): the headers a subscriber publishes a dead letter with, and how operators list and replay
// them (with a connection that may read the DLQ stream and publish ENTRA/HR: the tenant's publisher
// user). Used by the SCIM Stream service and by the gateway's tooling alike.
import { headers } from '@nats-io/transport-node'
import type { MsgHdrs, NatsConnection } from '@nats-io/transport-node'
import { jetstream, jetstreamManager, JetStreamApiError } from '@nats-io/jetstream'
import type { JetStreamManager, PubAck, StoredMsg } from '@nats-io/jetstream'
import { DLQ_HEADERS, MSG_ID_HEADER, NATS_MSG_ID_HEADER } from './headers.ts'
import { deadLetterStreamName, originalSubjectOf } from './naming.ts'

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
  if (info.msgId !== '') h.set(MSG_ID_HEADER, info.msgId)
  h.set(NATS_MSG_ID_HEADER, `dlq:${info.consumer}:${info.streamSeq}`)
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
      originalSubject: originalSubjectOf(m.subject),
      msgId: m.header.get(MSG_ID_HEADER),
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
  const msgId = m.header.get(MSG_ID_HEADER)
  if (msgId !== '') h.set(MSG_ID_HEADER, msgId)
  h.set(NATS_MSG_ID_HEADER, `replay:${tenant}:${seq}`)
  h.set(DLQ_HEADERS.replayedFrom, String(seq))
  const ack = await jetstream(nc).publish(originalSubjectOf(m.subject), m.data, { headers: h })
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
