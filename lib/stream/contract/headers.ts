// NATS header names of the stream contract: the message id (`Msg-Id`, which existing subscribers
// require, and `Nats-Msg-Id` with the same value for JetStream de-duplication) and the headers of a
// dead letter (shared by the JetStream DLQ and the subscriber's local dead-letter file).

/** Message id header; deployed subscribers skip messages without it. */
export const MSG_ID_HEADER = 'Msg-Id'
/** JetStream de-duplication header (same value as Msg-Id on publish). */
export const NATS_MSG_ID_HEADER = 'Nats-Msg-Id'

/** Header names of a dead letter. */
export const DLQ_HEADERS = Object.freeze({
  reason: 'Scim-Dlq-Reason',
  consumer: 'Scim-Dlq-Consumer',
  streamSeq: 'Scim-Dlq-Stream-Seq',
  failedAt: 'Scim-Dlq-Failed-At',
  replayedFrom: 'Scim-Dlq-Replayed-From',
  originalSubject: 'Scim-Dlq-Original-Subject'
})
