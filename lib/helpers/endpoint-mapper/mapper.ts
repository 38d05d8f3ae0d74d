// endpointMapper: SCIM resources ⇄ endpoint objects, driven by `endpoint.map` (scimgateway's shape,
// see config.ts). Inbound (endpoint → SCIM) for reads, outbound (SCIM → endpoint) for writes and
// filters. A `valueMap` renames values AND allowlists them:
// - inbound, a value not in the valueMap is invisible: dropped from a list (a user's groups); a
//   resource whose identity (id, userName, a group's displayName) is not mapped is not returned at all;
//   any other unmapped single value is left out;
// - outbound, a SCIM value not in the valueMap is refused with 400 invalidValue (never written);
// - a filter on an unmapped value matches nothing (no backend call is needed).
import { InvalidValueError } from '../../scim/errors.ts'
import type { SimpleFilter } from '../../scim/filter/ast.ts'
import type { JsonObject, JsonValue, ScimResource } from '../../scim/types.ts'
import { isJsonObject } from '../../scim/types.ts'
import type { MapConfig, MapEntry, MapType } from './config.ts'
import { addresses, getAt, parseTarget, setAt, type Kind, type Target } from './paths.ts'

/** One endpoint attribute and where it goes on the SCIM side. */
export interface Mapping {
  endpointAttr: string
  type: MapType
  targets: Target[]
  /** endpoint value → SCIM value, and its reverse (keys lower-cased when SCIM compares case-insensitively). */
  inbound?: Map<string, string>
  outbound?: Map<string, string>
}

/** What a SCIM filter becomes on the endpoint side. */
export type EndpointFilter =
  | { kind: 'filter', attribute: string, operator: SimpleFilter['operator'], value: string }
  /** The value is not in the valueMap: nothing can match. */
  | { kind: 'none' }
  /** The attribute is not mapped (or the operator cannot cross a valueMap): read all, the gateway filters. */
  | { kind: 'scan' }

const IDENTITY: Record<Kind, string[]> = { user: ['id', 'username'], group: ['id', 'displayname'] }

/**
 * @example
 * const m = new EndpointMapper({ group: { displayName: { mapTo: 'displayName', type: 'string', valueMap: { Employees: 'Admins' } } } })
 * m.toScim('group', { displayName: 'Employees' }) // { displayName: 'Admins' }
 * m.toScim('group', { displayName: 'Other' })     // undefined (invisible)
 * m.toEndpoint('group', { displayName: 'Admins' }) // { displayName: 'Employees' }
 * m.toEndpoint('group', { displayName: 'Other' })  // throws 400 invalidValue
 */
export class EndpointMapper {
  readonly mappings: Record<Kind, Mapping[]>

  constructor (readonly config: MapConfig) {
    this.mappings = { user: compile('user', config.user), group: compile('group', config.group) }
  }

  /** Whether `kind` has a map (without one, resources pass through unchanged). */
  has (kind: Kind): boolean { return this.mappings[kind].length > 0 }

  /** The endpoint attributes of a kind (for `$select`, LDAP attribute lists, SQL columns). */
  endpointAttributes (kind: Kind): string[] { return this.mappings[kind].map(m => m.endpointAttr) }

  /** An endpoint object as SCIM; undefined when the valueMap hides it (see the file header). */
  toScim (kind: Kind, obj: JsonObject): ScimResource | undefined {
    if (!this.has(kind)) return { ...obj }
    const out: ScimResource = {}
    for (const m of this.mappings[kind]) {
      const raw = getEndpoint(obj, m.endpointAttr)
      if (raw === undefined || raw === null) continue
      let value = fromEndpoint(raw, m.type)
      if (value === undefined) continue
      if (m.inbound !== undefined) {
        value = mapValue(value, m.inbound)
        if (value === undefined) {
          if (m.targets.some(t => t.urn === undefined && IDENTITY[kind].includes(t.attr.toLowerCase()))) return undefined
          continue
        }
      }
      // each target gets its own copy of a list or object; scalars are immutable
      for (const t of m.targets) setAt(out, t, m.targets.length === 1 ? value : copy(value))
    }
    return out
  }

  /**
   * A SCIM resource as an endpoint object: every mapped attribute the resource has. `only`: just these
   * endpoint attributes, and null for those the resource lacks (= clear them).
   * @throws InvalidValueError (400) for a value its valueMap does not list
   */
  toEndpoint (kind: Kind, r: ScimResource, only?: ReadonlySet<string>): JsonObject {
    if (!this.has(kind)) return { ...r }
    const out: JsonObject = {}
    for (const m of this.mappings[kind]) {
      if (only !== undefined && !only.has(m.endpointAttr)) continue
      let value: JsonValue | undefined
      for (const t of m.targets) { value = getAt(r, t); if (value !== undefined) break }
      if (value === undefined) {
        if (only !== undefined) setEndpoint(out, m.endpointAttr, m.type === 'array' ? [] : null)
        continue
      }
      if (m.outbound !== undefined) value = refuseUnmapped(value, m, kind)
      setEndpoint(out, m.endpointAttr, toEndpointType(value, m.type))
    }
    return out
  }

  /**
   * The endpoint attributes a modification changes, with their new values (null = cleared): the
   * mappings whose SCIM attributes the operations touch, read from the resource after the change.
   * @example m.endpointChanges('user', mod.operations, mod.resource) // { mail: 'new@example.com' }
   */
  endpointChanges (kind: Kind, operations: ReadonlyArray<{ path?: string, value?: JsonValue }>, after: ScimResource): JsonObject {
    if (!this.has(kind)) return { ...after }
    const paths: string[] = []
    for (const op of operations) {
      if (op.path !== undefined && op.path !== '') paths.push(op.path)
      else if (isJsonObject(op.value)) paths.push(...Object.keys(op.value))
    }
    const touched = new Set(this.mappings[kind].filter(m => m.targets.some(t => paths.some(p => addresses(t, p)))).map(m => m.endpointAttr))
    return touched.size === 0 ? {} : this.toEndpoint(kind, after, touched)
  }

  /**
   * A SCIM comparison as an endpoint comparison.
   * @example m.endpointFilter('group', { attribute: 'displayName', operator: 'eq', value: 'Admins' }) // { kind: 'filter', attribute: 'displayName', value: 'Employees', … }
   */
  endpointFilter (kind: Kind, f: SimpleFilter): EndpointFilter {
    if (!this.has(kind)) return { kind: 'filter', attribute: f.attribute, operator: f.operator, value: f.value }
    const m = this.mappings[kind].find(x => x.targets.some(t => addresses(t, f.attribute) && filterable(t, f.attribute)))
    if (m === undefined) return { kind: 'scan' }
    if (m.outbound === undefined || f.operator === 'pr') return { kind: 'filter', attribute: m.endpointAttr, operator: f.operator, value: f.value }
    if (f.operator !== 'eq' && f.operator !== 'ne') return { kind: 'scan' }
    const mapped = m.outbound.get(f.value.toLowerCase())
    if (mapped === undefined) return f.operator === 'eq' ? { kind: 'none' } : { kind: 'scan' }
    return { kind: 'filter', attribute: m.endpointAttr, operator: f.operator, value: mapped }
  }
}

function copy (v: JsonValue): JsonValue {
  if (Array.isArray(v)) return v.map(copy)
  if (isJsonObject(v)) { const o: JsonObject = {}; for (const [k, x] of Object.entries(v)) if (x !== undefined) o[k] = copy(x); return o }
  return v
}

function compile (kind: Kind, entries: Record<string, MapEntry> | undefined): Mapping[] {
  return Object.entries(entries ?? {}).map(([endpointAttr, e]) => {
    const m: Mapping = { endpointAttr, type: e.type, targets: e.mapTo.split(',').map(t => t.trim()).filter(t => t !== '').map(t => parseTarget(kind, t)) }
    if (e.valueMap !== undefined) {
      // SCIM string values compare case-insensitively unless caseExact (endpoints like LDAP do too)
      m.inbound = new Map(Object.entries(e.valueMap).map(([from, to]) => [from.toLowerCase(), to]))
      m.outbound = new Map(Object.entries(e.valueMap).map(([from, to]) => [to.toLowerCase(), from]))
    }
    return m
  })
}

/** A filter on `emails.value` may use the work-email mapping; one on `name` cannot use `name.givenName`. */
function filterable (t: Target, path: string): boolean {
  const depth = path.split('.').length
  return t.form === 'plain' || t.form === 'elements' ? depth === 1 || t.urn !== undefined : depth >= 2 || t.urn !== undefined
}

function mapValue (value: JsonValue, map: ReadonlyMap<string, string>): JsonValue | undefined {
  const one = (v: JsonValue): JsonValue | undefined => {
    if (isJsonObject(v)) {
      const mapped = typeof v.value === 'string' || typeof v.value === 'number' ? map.get(String(v.value).toLowerCase()) : undefined
      return mapped === undefined ? undefined : { ...v, value: mapped }
    }
    return v === null ? undefined : map.get(String(v).toLowerCase())
  }
  if (Array.isArray(value)) return value.flatMap(v => { const m = one(v); return m === undefined ? [] : [m] })
  return one(value)
}

function refuseUnmapped (value: JsonValue, m: Mapping, kind: Kind): JsonValue {
  const map = m.outbound ?? new Map<string, string>()
  const one = (v: JsonValue): JsonValue => {
    const key = isJsonObject(v) ? v.value : v
    const mapped = key === null || key === undefined || isJsonObject(key) || Array.isArray(key) ? undefined : map.get(String(key).toLowerCase())
    if (mapped === undefined) {
      const allowed = valuesOf(m)
      const hint = allowed.length <= 10 ? `; allowed: ${allowed.length > 0 ? allowed.join(', ') : 'none'}` : ''
      throw new InvalidValueError(`${JSON.stringify(key)} is not an allowed value of ${m.targets[0]?.raw ?? m.endpointAttr} (map.${kind}.${m.endpointAttr}.valueMap)${hint}`)
    }
    return isJsonObject(v) ? { ...v, value: mapped } : mapped
  }
  return Array.isArray(value) ? value.map(one) : one(value)
}

function valuesOf (m: Mapping): string[] {
  return [...(m.inbound?.values() ?? [])]
}

function fromEndpoint (raw: JsonValue, type: MapType): JsonValue | undefined {
  const first = Array.isArray(raw) ? raw[0] : raw
  switch (type) {
    case 'array': return Array.isArray(raw) ? raw : [raw]
    case 'string': return first === undefined || first === null ? undefined : isJsonObject(first) ? first : String(first)
    case 'boolean': {
      if (typeof first === 'boolean') return first
      const t = String(first).toLowerCase()
      return t === 'true' || t === '1' ? true : t === 'false' || t === '0' ? false : undefined
    }
    case 'integer':
    case 'number': {
      const n = typeof first === 'number' ? first : Number(first)
      return Number.isFinite(n) && (type === 'number' || Number.isInteger(n)) ? n : undefined
    }
  }
}

function toEndpointType (value: JsonValue, type: MapType): JsonValue {
  if (type === 'array') return Array.isArray(value) ? value.map(v => isJsonObject(v) && v.value !== undefined && Object.keys(v).length === 1 ? v.value : v) as JsonValue : [value]
  const first = Array.isArray(value) ? (value[0] ?? null) : value
  if (type === 'string') return first === null || isJsonObject(first) ? first : String(first)
  if (type === 'boolean') return typeof first === 'boolean' ? first : String(first).toLowerCase() === 'true'
  return typeof first === 'number' ? first : Number(first)
}

/** Endpoint attribute access: an exact key, a key differing in case, or a dotted path into objects. */
function getEndpoint (obj: JsonObject, attr: string): JsonValue | undefined {
  if (obj[attr] !== undefined) return obj[attr]
  const lower = attr.toLowerCase()
  for (const [k, v] of Object.entries(obj)) if (k.toLowerCase() === lower) return v
  if (!attr.includes('.')) return undefined
  let cur: JsonValue | undefined = obj
  for (const part of attr.split('.')) {
    if (!isJsonObject(cur)) return undefined
    cur = getEndpoint(cur, part)
  }
  return cur
}

function setEndpoint (obj: JsonObject, attr: string, value: JsonValue): void {
  if (!attr.includes('.')) { obj[attr] = value; return }
  const parts = attr.split('.')
  let cur = obj
  for (const part of parts.slice(0, -1)) {
    const next = cur[part]
    if (isJsonObject(next)) cur = next
    else { const made: JsonObject = {}; cur[part] = made; cur = made }
  }
  cur[parts[parts.length - 1] ?? attr] = value
}
