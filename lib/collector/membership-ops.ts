// The `Operations` for a channel's groups and roles. Every removal names the elements it removes, in
// the shape deployed subscribers apply (lib/stream/contract/removal.ts): one
// `{"op":"remove","path":"groups","value":[{value,display,id}, …]}` for the groups, one
// `{"op":"remove","path":"roles","value":[{type,display,value}]}` per role — never a whole-attribute
// remove without value: a subscriber takes that as "leave every group this message does not list",
// which would also drop memberships the user has from other channels or from the endpoint itself. Generic diffResources emits exactly that when the last element goes, a whole
// `replace` when elements lack unique values, and `replace groups[…].display`, which subscribers
// treat as a replacement of the whole list; so membership is diffed here, element by element.
//
// An element is identified by its `value` (roles: `value` + `type`, since role values are only unique
// within their application), or its `display` when it has no value. A changed element (same identity,
// e.g. renamed display) is removed and added again, so the subscriber leaves the old group and joins
// the new one.
import { isJsonObject, type JsonObject, type JsonValue } from '../scim/types.ts'
import { groupRemovalOp, roleRemovalOp, type GroupElement } from '../stream/contract/removal.ts'

const MEMBERSHIP = ['groups', 'roles'] as const
type MembershipAttr = typeof MEMBERSHIP[number]

/**
 * Operations turning the membership `before` into `after` (objects holding `groups`/`roles`):
 * per-element removes first, then one `add` per attribute with the new elements.
 * @example
 * membershipChangeOps({ groups: [{ value: 'A' }, { value: 'B' }] }, { groups: [{ value: 'A' }] })
 * // → [{ op: 'remove', path: 'groups', value: [{ value: 'B', display: 'B', id: 'B' }] }]
 */
export function membershipChangeOps (before: JsonObject, after: JsonObject): JsonObject[] {
  const removes: JsonObject[] = []
  const adds: JsonObject[] = []
  for (const attr of MEMBERSHIP) {
    const b = indexed(attr, listOf(before, attr))
    const a = indexed(attr, listOf(after, attr))
    const added: JsonValue[] = []
    const goneGroups: GroupElement[] = []
    for (const [id, el] of b) {
      const now = a.get(id)
      if (now !== undefined && sameJson(now, el)) continue
      if (attr === 'groups') goneGroups.push(groupElement(el))
      else removes.push(roleRemovalOp(roleElement(el)))
    }
    if (goneGroups.length > 0) removes.push(groupRemovalOp(goneGroups))
    for (const [id, el] of a) {
      const was = b.get(id)
      if (was === undefined || !sameJson(was, el)) added.push(el)
    }
    if (added.length > 0) adds.push({ op: 'add', path: attr, value: added })
  }
  return [...removes, ...adds]
}

/** Per-element removes of every group/role in `before` (the user left the channel). */
export function removeAllMembershipOps (before: JsonObject): JsonObject[] {
  return membershipChangeOps(before, {})
}

/** A group as its removal names it: value (else display) and display (else value). */
function groupElement (el: JsonObject): GroupElement {
  const value = field(el, 'value') ?? field(el, 'display') ?? ''
  return { value, display: field(el, 'display') ?? value }
}

/** A role as its removal names it (`{type, display, value}`; value falls back to display). */
function roleElement (el: JsonObject): { type?: string, display?: string, value: string } {
  const value = field(el, 'value') ?? field(el, 'display') ?? ''
  const type = field(el, 'type')
  const display = field(el, 'display')
  return { ...(type !== undefined ? { type } : {}), ...(display !== undefined ? { display } : {}), value }
}

/** Elements by identity (lower-cased); elements that can be named neither by value nor by display are left out. */
function indexed (attr: MembershipAttr, list: readonly JsonValue[]): Map<string, JsonObject> {
  const m = new Map<string, JsonObject>()
  for (const el of list) {
    if (!isJsonObject(el)) continue
    const value = field(el, 'value')
    const display = field(el, 'display')
    if (value === undefined && display === undefined) continue
    const type = attr === 'roles' ? field(el, 'type') ?? '' : ''
    const id = `${value !== undefined ? 'v' : 'd'}\u0000${(value ?? display ?? '').toLowerCase()}\u0000${type.toLowerCase()}`
    if (!m.has(id)) m.set(id, el)
  }
  return m
}

function listOf (o: JsonObject, attr: MembershipAttr): readonly JsonValue[] {
  for (const k in o) {
    if (k.toLowerCase() !== attr) continue
    const v = o[k]
    if (Array.isArray(v)) return v
  }
  return []
}

function field (el: JsonObject, name: string): string | undefined {
  for (const k in el) {
    if (k.toLowerCase() !== name) continue
    const v = el[k]
    if (typeof v === 'string' && v !== '') return v
    if (typeof v === 'number' || typeof v === 'boolean') return String(v)
  }
  return undefined
}

/** Deep equality that ignores the order of object keys (not of array elements). */
function sameJson (a: JsonValue | undefined, b: JsonValue | undefined): boolean {
  if (a === b) return true
  if (Array.isArray(a)) return Array.isArray(b) && a.length === b.length && a.every((x, i) => sameJson(x, b[i]))
  if (!isJsonObject(a) || !isJsonObject(b)) return false
  const ka = Object.keys(a).filter(k => a[k] !== undefined)
  const kb = Object.keys(b).filter(k => b[k] !== undefined)
  return ka.length === kb.length && ka.every(k => sameJson(a[k], b[k]))
}
