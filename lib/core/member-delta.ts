// Recognises a Group PATCH that only adds and removes members (what Entra ID and the stream
// subscriber send) and turns it into a member delta, so the service can hand the plugin just the
// delta instead of reading, patching and diffing the whole group (O(delta), not O(group size)).
// Anything else — replace, remove of all members, complex filters, unusual sub-attributes — is not
// a delta and takes the general PATCH path, which also reports malformed operations.
import type { MemberDelta, PatchOperation } from '../plugins/types.ts'
import { isJsonObject, type JsonObject, type JsonValue } from '../scim/types.ts'
import { parsePatchPath } from '../scim/filter/index.ts'
import { SCHEMA_GROUP } from '../scim/schema/definitions.ts'

/**
 * The member delta of `ops`, or `undefined` when some operation is not a plain member change.
 * Operations apply in order; the delta's `remove` applies before its `add`, so `remove x, add x`
 * keeps both and `add x, remove x` keeps only the removal.
 * @example memberDeltaOf([{ op: 'remove', path: 'members[value eq "u1"]' }]) // { add: [], remove: ['u1'] }
 */
export function memberDeltaOf (ops: readonly PatchOperation[]): MemberDelta | undefined {
  if (ops.length === 0) return undefined
  const add = new Map<string, JsonObject>()
  const remove = new Map<string, string>()
  for (const op of ops) {
    if (typeof op.path !== 'string') return undefined
    if (op.op === 'add') {
      if (!isMembersPath(op.path) || op.value === undefined) return undefined
      for (const v of Array.isArray(op.value) ? op.value : [op.value]) {
        const el = addElement(v)
        if (el === undefined) return undefined
        const k = String(el.value).toLowerCase()
        const prev = add.get(k)
        // a repeated member: the first element wins, later ones only fill in what it lacks (immutable sub-attributes)
        add.set(k, prev === undefined ? el : { ...el, ...prev })
      }
      continue
    }
    if (op.op !== 'remove') return undefined
    const values = isMembersPath(op.path) ? removeValues(op.value) : filteredValue(op.path)
    if (values === undefined) return undefined
    for (const v of values) {
      const k = v.toLowerCase()
      add.delete(k)
      remove.set(k, v)
    }
  }
  return { add: [...add.values()], remove: [...remove.values()] }
}

/** The delta as PATCH operations (for plugins that forward operations). */
export function deltaOperations (delta: MemberDelta): PatchOperation[] {
  const ops: PatchOperation[] = []
  if (delta.remove.length > 0) ops.push({ op: 'remove', path: 'members', value: delta.remove.map(value => ({ value })) })
  if (delta.add.length > 0) ops.push({ op: 'add', path: 'members', value: delta.add })
  return ops
}

const GROUP_URN = SCHEMA_GROUP.toLowerCase()

/** `members` (or `urn:…:Group:members`) without filter or sub-attribute. */
function isMembersPath (text: string): boolean {
  const p = tryParse(text)
  return p !== undefined && p.filter === undefined && p.subAttr === undefined && isMembersAttr(p.path)
}

/** `members[value eq "x"]` → ['x']; anything else undefined. */
function filteredValue (text: string): string[] | undefined {
  const p = tryParse(text)
  if (p === undefined || p.subAttr !== undefined || !isMembersAttr(p.path)) return undefined
  const f = p.filter
  if (f?.type !== 'compare' || f.op !== 'eq' || typeof f.value !== 'string' || f.value === '') return undefined
  if (f.path.attr.toLowerCase() !== 'value' || f.path.sub !== undefined || f.path.uri !== undefined) return undefined
  return [f.value]
}

/** `remove members` with a value list of `{value}` (or bare ids); without a value it removes every member: not a delta. */
function removeValues (value: JsonValue | undefined): string[] | undefined {
  if (value === undefined || value === null) return undefined
  const out: string[] = []
  for (const v of Array.isArray(value) ? value : [value]) {
    const id = typeof v === 'string' ? v : isJsonObject(v) && Object.keys(v).length === 1 ? v.value : undefined
    if (typeof id !== 'string' || id === '') return undefined
    out.push(id)
  }
  return out
}

/** A member to add: a bare id, or `{value, display?}` with strings. */
function addElement (v: JsonValue): JsonObject | undefined {
  if (typeof v === 'string') return v === '' ? undefined : { value: v }
  if (!isJsonObject(v) || typeof v.value !== 'string' || v.value === '') return undefined
  for (const key of Object.keys(v)) {
    if (key === 'value') continue
    if (key !== 'display' || typeof v.display !== 'string') return undefined
  }
  return v.display === undefined ? { value: v.value } : { value: v.value, display: v.display }
}

function isMembersAttr (path: { uri?: string, attr: string, sub?: string }): boolean {
  return path.attr.toLowerCase() === 'members' && path.sub === undefined && (path.uri === undefined || path.uri.toLowerCase() === GROUP_URN)
}

function tryParse (text: string): ReturnType<typeof parsePatchPath> | undefined {
  try {
    return parsePatchPath(text)
  } catch {
    return undefined
  }
}
