// The `Operations` for a channel's groups and roles. Every removal names the element it removes
// (`remove groups[value eq "B"]`, `remove roles[value eq "r1" and type eq "CRM"]`), never the whole
// attribute: a subscriber takes a whole-attribute `remove groups` as "leave every group this message
// does not list", which would also drop memberships the user has from other channels or from the
// endpoint itself. Generic diffResources emits exactly that when the last element goes, a whole
// `replace` when elements lack unique values, and `replace groups[…].display`, which subscribers
// treat as a replacement of the whole list; so membership is diffed here, element by element.
//
// An element is identified by its `value` (roles: `value` + `type`, since role values are only unique
// within their application), or its `display` when it has no value. A changed element (same identity,
// e.g. renamed display) is removed and added again, so the subscriber leaves the old group and joins
// the new one.
import { isJsonObject, type JsonObject, type JsonValue } from '../scim/types.ts'

const MEMBERSHIP = ['groups', 'roles'] as const
type MembershipAttr = typeof MEMBERSHIP[number]

/**
 * Operations turning the membership `before` into `after` (objects holding `groups`/`roles`):
 * per-element removes first, then one `add` per attribute with the new elements.
 * @example
 * membershipChangeOps({ groups: [{ value: 'A' }, { value: 'B' }] }, { groups: [{ value: 'A' }] })
 * // → [{ op: 'remove', path: 'groups[value eq "B"]' }]
 */
export function membershipChangeOps (before: JsonObject, after: JsonObject): JsonObject[] {
  const removes: JsonObject[] = []
  const adds: JsonObject[] = []
  for (const attr of MEMBERSHIP) {
    const b = indexed(attr, listOf(before, attr))
    const a = indexed(attr, listOf(after, attr))
    const added: JsonValue[] = []
    for (const [id, el] of b) {
      const now = a.get(id)
      if (now === undefined || !sameJson(now, el)) removes.push(removeOp(attr, el))
    }
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

/** The `remove` naming one element: `groups[value eq "x"]`, `roles[value eq "x" and type eq "app"]`, or by display. */
function removeOp (attr: MembershipAttr, el: JsonObject): JsonObject {
  const value = field(el, 'value')
  const type = attr === 'roles' ? field(el, 'type') : undefined
  const display = field(el, 'display')
  let filter: string
  if (value !== undefined) filter = `value eq ${JSON.stringify(value)}`
  else filter = `display eq ${JSON.stringify(display ?? '')}`
  if (type !== undefined) filter += ` and type eq ${JSON.stringify(type)}`
  return { op: 'remove', path: `${attr}[${filter}]` }
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
