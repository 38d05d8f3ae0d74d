// The ENTRA/HR message body of the stream contract (docs STREAM-CONTRACT.md "ENTRA/HR messages"):
// the one definition of its fields, used by the SCIM Stream service (lib/collector, publisher) and
// by the gateway subscriber (lib/stream, parser and apply engine).
import type { PatchOperation } from '../../plugins/types.ts'
import type { JsonObject } from '../../scim/types.ts'

/** What a message asks for. */
export type ActivityOperation = 'createUser' | 'modifyUser' | 'deleteUser' | 'createGroup' | 'modifyGroup' | 'deleteGroup'

/** What a user message asks for (the collector publishes only these). */
export type UserActivityOperation = 'createUser' | 'modifyUser' | 'deleteUser'

/** The operations the contract defines, in one list (lookups are case-sensitive, as published). */
export const ACTIVITY_OPERATIONS: readonly ActivityOperation[] = ['createUser', 'modifyUser', 'deleteUser', 'createGroup', 'modifyGroup', 'deleteGroup']

/** True for the user operations (createUser, modifyUser, deleteUser). */
export function isUserOperation (op: ActivityOperation): op is UserActivityOperation {
  return op === 'createUser' || op === 'modifyUser' || op === 'deleteUser'
}

/** A PatchOp operation of a message: `op` lower-case, `path` always a string. */
export interface StreamOperation extends PatchOperation {
  path: string
}

/** The JSON body of an ENTRA/HR message. */
export interface StreamMessageBody {
  activityOperation: ActivityOperation
  /** ISO 8601 time of the change. */
  activityDateTime?: string
  initiatedById?: string
  initiatedByUpn?: string
  targetId?: string
  targetUpn?: string
  /** What changed (removals: see removal.ts); `[]` when nothing but the record changed. */
  Operations: StreamOperation[]
  /**
   * The SCIM user after the change (user operations; `userName` non-empty), filtered by the
   * channel's rules. Only SCIM attributes (+ `onCreate`, `password`, template strings): deployed
   * subscribers write every attribute they get. `groups: []` / `roles: []` when the last one went.
   */
  user?: JsonObject
  /** The group of createGroup/modifyGroup/deleteGroup (`displayName` non-empty). */
  group?: JsonObject
  /** Optional target entity (GW publisher); subscribers decide by their own config. */
  baseEntity?: string
}

/** Message-body keys that are internal to the service and never published inside `user`. */
export const INTERNAL_USER_KEYS: readonly string[] = ['dynamicIds']
