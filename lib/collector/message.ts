// The ENTRA/HR message the service publishes, built on the stream contract's body type
// (lib/stream/contract, docs STREAM-CONTRACT.md): body fields, subject and the unique message id
// that travels as `Msg-Id` and `Nats-Msg-Id`.
import { randomUUID } from 'node:crypto'
import type { PatchOperation } from '../plugins/types.ts'
import type { JsonObject } from '../scim/types.ts'
import { subjectOf as contractSubjectOf, type StreamMessageBody, type StreamOperation, type UserActivityOperation } from '../stream/contract/index.ts'
import type { CollectorType } from './sources/types.ts'

/** The body of a user message as the service publishes it: every field of the contract set. */
export type PublishedUserMessage = StreamMessageBody & Required<Pick<StreamMessageBody, 'activityDateTime' | 'initiatedById' | 'initiatedByUpn' | 'targetId' | 'targetUpn' | 'user'>> & {
  activityOperation: UserActivityOperation
}

/** Who the messages say initiated a change (the collector, not a person). */
export interface Initiator { id: string, upn: string }

/**
 * Builds a message body.
 * @example buildMessage('createUser', ops, user, 'emp-1', { id: 'scim-stream', upn: 'scim-stream@acme' }, new Date())
 */
export function buildMessage (
  op: UserActivityOperation, operations: readonly PatchOperation[], user: JsonObject, key: string, by: Initiator, at: Date
): PublishedUserMessage {
  const upn = typeof user.userName === 'string' ? user.userName : key
  const id = typeof user.id === 'string' ? user.id : key
  return {
    activityOperation: op,
    activityDateTime: at.toISOString(),
    initiatedById: by.id,
    initiatedByUpn: by.upn,
    targetId: id,
    targetUpn: upn,
    Operations: operations.map(o => ({ ...o, path: o.path ?? '' })) as StreamOperation[],
    user
  }
}

/**
 * The same body as JSON text, assembled from the user's and the operations' JSON text (no second
 * serialisation of the user). Field order as {@link buildMessage}.
 */
export function messageJson (
  op: UserActivityOperation, operationsJson: string, userJson: string, target: { id: string, upn: string }, by: Initiator, at: Date
): string {
  return `{"activityOperation":"${op}","activityDateTime":"${at.toISOString()}","initiatedById":${JSON.stringify(by.id)},` +
    `"initiatedByUpn":${JSON.stringify(by.upn)},"targetId":${JSON.stringify(target.id)},"targetUpn":${JSON.stringify(target.upn)},` +
    `"Operations":${operationsJson},"user":${userJson}}`
}

/** `ENTRA.<channel>` / `HR.<channel>`. */
export function subjectOf (type: CollectorType, channel: string): string {
  return contractSubjectOf(type, channel)
}

/** A new unique message id (one per change; reused for that change's retries). */
export function newMessageId (): string {
  return randomUUID()
}
