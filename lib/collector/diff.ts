// Change detection: a channel's previous view of a user (last published) against the current one →
// the activityOperation and SCIM PatchOp `Operations` of the message, or nothing when unchanged.
//
// Decisions (docs/scim-stream.md):
// - first time on a channel → createUser, Operations = adds of every attribute;
// - changed view → modifyUser with the minimal operations (lib/scim diffResources: groups/roles
//   element adds/removes, attribute add/replace/remove); a leaver is a modifyUser with
//   `replace active false` — the mapper/lifecycle sets active, the diff reports it;
// - the user stops qualifying for the channel → modifyUser removing every group/role the channel
//   had given (so `deleteUserOnLastGroupRoleRemoval` works at the subscriber), state forgotten;
// - the person disappears from a complete collection → deleteUser.
import { diffResources } from '../scim/index.ts'
import type { PatchOperation } from '../plugins/types.ts'
import type { JsonObject, ScimResource } from '../scim/types.ts'

/** What a message says about a user on one channel. */
export type ActivityOperation = 'createUser' | 'modifyUser' | 'deleteUser'

/** A change to publish. */
export interface UserChange {
  activityOperation: ActivityOperation
  Operations: PatchOperation[]
  /** The user the message carries. */
  user: JsonObject
  /** What to record as the channel's state after the ack (`undefined` = forget). */
  nextState: string | undefined
  /** Nothing changed for subscribers; only the record is updated (no message). */
  recordOnly?: boolean
}

/**
 * The change from `previous` (JSON text of the last published view, if any) to `current`.
 * @returns undefined when the channel's view did not change
 * @example diffChannelUser(undefined, { userName: 'a' }) // → createUser with add operations
 */
export function diffChannelUser (previous: string | undefined, current: JsonObject): UserChange | undefined {
  const json = JSON.stringify(current)
  if (previous === undefined) {
    return { activityOperation: 'createUser', Operations: diffResources({}, current as ScimResource), user: current, nextState: json }
  }
  if (previous === json) return undefined
  const before = JSON.parse(previous) as ScimResource
  const ops = diffResources(before, current as ScimResource)
  // Same content, other serialisation (key order): nothing to tell subscribers, only the record.
  if (ops.length === 0) return { activityOperation: 'modifyUser', Operations: [], user: current, nextState: json, recordOnly: true }
  return { activityOperation: 'modifyUser', Operations: ops, user: current, nextState: json }
}

/**
 * The user left the channel (no longer qualifies): remove the groups/roles the channel had given.
 * @returns undefined when nothing had been published on the channel
 */
export function leaveChannel (previous: string | undefined): UserChange | undefined {
  if (previous === undefined) return undefined
  const before = JSON.parse(previous) as JsonObject
  const after: JsonObject = { ...before }
  delete after.groups
  delete after.roles
  const ops = diffResources(before as ScimResource, after as ScimResource)
  return { activityOperation: 'modifyUser', Operations: ops, user: after, nextState: undefined }
}

/** The person is gone from the source: deleteUser carrying the last published view. */
export function deleteUser (previous: string): UserChange {
  return { activityOperation: 'deleteUser', Operations: [], user: JSON.parse(previous) as JsonObject, nextState: undefined }
}
