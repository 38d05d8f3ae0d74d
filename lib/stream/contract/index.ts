// The stream contract in one module (docs STREAM-CONTRACT.md): message body types, subjects and
// names (tenant stream, durable consumer, GW queue group, dead letters), headers, the removal shapes
// and the JetStream dead-letter convention. The SCIM Stream service (lib/collector) and the gateway
// (lib/stream) both build on it; nothing here depends on either.
export {
  ACTIVITY_OPERATIONS, INTERNAL_USER_KEYS, isUserOperation,
  type ActivityOperation, type UserActivityOperation, type StreamOperation, type StreamMessageBody
} from './message.ts'
export {
  TENANT_STREAM_SUBJECTS, subjectOf, tenantStreamName, durableName, gwQueueGroup, subjectKind,
  deadLetterStreamName, deadLetterSubject, originalSubjectOf, orderKeyOf,
  type SubjectKind, type SubjectPrefix
} from './naming.ts'
export { MSG_ID_HEADER, NATS_MSG_ID_HEADER, DLQ_HEADERS } from './headers.ts'
export { groupRemovalOp, roleRemovalOp, type GroupElement, type RoleElement, type RemovalOp } from './removal.ts'
export { deadLetterHeaders, listDeadLetters, replayDeadLetter, type DeadLetter, type DeadLetterInfo } from './dead-letters.ts'
