// The user side of applying a message: which parts of the message user are attributes to write,
// which are create-only, and how an update is computed as soft sync (absent attributes kept;
// removals only from `Operations`).
import type { PatchOperation } from '../../plugins/types.ts'
import type { ScimResource, JsonObject } from '../../scim/types.ts'
import { isJsonObject } from '../../scim/types.ts'
import type { ResourceSchema } from '../../scim/schema/resolve.ts'
import { applyPatch, diffResources } from '../../scim/patch/index.ts'
import { isScimError } from '../../scim/errors.ts'
import { parsePatchPath } from '../../scim/filter/index.ts'
import { softSyncMerge } from '../../core/soft-sync.ts'
import { PermanentMessageError, type StreamOperation } from '../message.ts'
import { membershipAttr } from './groups.ts'

/** Message-only keys that are never written as user attributes. */
const NOT_ATTRIBUTES = new Set(['id', 'meta', 'schemas', 'oncreate', 'password', 'groups'])

/** The parts of a (resolved) message user. */
export interface MessageUserParts {
  /** Attributes to write (create and update). */
  attributes: ScimResource
  /** Attributes written only when the user is created. */
  onCreate: JsonObject
  /** Initial password from the message (create only). */
  password: string | undefined
}

/**
 * Splits a resolved message user. `groups` are memberships, never attributes; `roles` are
 * memberships too unless `keepRoles` (skipConvertRolesToGroups), then an ordinary attribute.
 */
export function splitMessageUser (user: JsonObject, keepRoles: boolean): MessageUserParts {
  const attributes: ScimResource = {}
  let onCreate: JsonObject = {}
  let password: string | undefined
  for (const [key, value] of Object.entries(user)) {
    const lower = key.toLowerCase()
    if (lower === 'oncreate' && isJsonObject(value)) onCreate = value
    else if (lower === 'password' && typeof value === 'string') password = value
    else if (NOT_ATTRIBUTES.has(lower) || (lower === 'roles' && !keepRoles)) continue
    else attributes[key] = value
  }
  return { attributes, onCreate, password }
}

/** The create payload: attributes with onCreate laid over them, plus the password. */
export function createPayload (parts: MessageUserParts, password: string | undefined, keepRoles: boolean): ScimResource {
  const onCreate = splitMessageUser(parts.onCreate, keepRoles).attributes
  const out = deepMerge(parts.attributes, onCreate) as ScimResource
  if (password !== undefined) out.password = password
  return out
}

/**
 * The user after applying the message to the endpoint's `current` user: the attribute removals of
 * `Operations` first, then the message's attributes laid over (soft sync). A `replace` of a whole
 * attribute makes the message's value of it authoritative (not merged).
 */
export function nextUser (current: ScimResource, attributes: ScimResource, ops: readonly StreamOperation[], schema: ResourceSchema, keepRoles: boolean): ScimResource {
  let base = current
  for (const op of ops) {
    if (op.op !== 'remove' || isMembershipPath(op.path, keepRoles)) continue
    base = removeQuietly(base, op, schema)
  }
  const replaced = new Set<string>()
  for (const op of ops) {
    if (op.op !== 'replace' || isMembershipPath(op.path, keepRoles)) continue
    const p = parse(op.path)
    if (p.filter === undefined && p.path.sub === undefined && p.path.uri === undefined) replaced.add(p.path.attr.toLowerCase())
  }
  const merged = softSyncMerge(base, attributes, schema)
  for (const [key, value] of Object.entries(attributes)) {
    if (replaced.has(key.toLowerCase())) merged[key] = value
  }
  return merged
}

/**
 * The update payload: attributes without those the message marks create-only (`onCreate`), so a
 * later message (or a redelivered createUser) does not overwrite what was set at creation.
 */
export function updatePayload (parts: MessageUserParts): ScimResource {
  return subtract(parts.attributes, parts.onCreate) as ScimResource
}

/** Minimal PATCH operations from `current` to `next`. */
export function userChanges (current: ScimResource, next: ScimResource, schema: ResourceSchema): PatchOperation[] {
  return diffResources(current, next, schema)
}

function isMembershipPath (path: string, keepRoles: boolean): boolean {
  const attr = membershipAttr(path)
  return attr === 'groups' || (attr === 'roles' && !keepRoles)
}

function parse (path: string): ReturnType<typeof parsePatchPath> {
  try {
    return parsePatchPath(path)
  } catch (e) {
    throw new PermanentMessageError(`Operations path ${JSON.stringify(path)} is invalid: ${(e as Error).message}`)
  }
}

/** Applies one removal; removing what is not there is no error (idempotent redelivery). */
function removeQuietly (r: ScimResource, op: StreamOperation, schema: ResourceSchema): ScimResource {
  parse(op.path)
  try {
    return applyPatch(r, [{ op: 'remove', path: op.path, ...(op.value !== undefined ? { value: op.value } : {}) }], schema, { allowUnknownAttributes: true })
  } catch (e) {
    if (isScimError(e) && e.scimType === 'noTarget') return r
    if (isScimError(e) && e.status === 400) throw new PermanentMessageError(`Operations remove ${JSON.stringify(op.path)}: ${e.detail}`)
    throw e
  }
}

function subtract (a: JsonObject, b: JsonObject): JsonObject {
  const out: JsonObject = {}
  for (const [k, v] of Object.entries(a)) {
    const key = Object.keys(b).find(x => x.toLowerCase() === k.toLowerCase())
    if (key === undefined) { out[k] = v; continue }
    const other = b[key]
    if (isJsonObject(v) && isJsonObject(other)) {
      const rest = subtract(v, other)
      if (Object.keys(rest).length > 0) out[k] = rest
    }
  }
  return out
}

function deepMerge (a: JsonObject, b: JsonObject): JsonObject {
  const out: JsonObject = { ...a }
  for (const [k, v] of Object.entries(b)) {
    const key = Object.keys(out).find(x => x.toLowerCase() === k.toLowerCase()) ?? k
    const cur = out[key]
    out[key] = isJsonObject(cur) && isJsonObject(v) ? deepMerge(cur, v) : v
  }
  return out
}
