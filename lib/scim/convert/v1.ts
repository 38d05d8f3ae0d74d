// SCIM 1.1 ⇄ 2.0 conversion: resource bodies (schema URNs, enterprise extension key), ListResponse
// envelopes, and the SCIM 1.1 PATCH form (a partial resource; `meta.attributes` names attributes to
// remove; multi-valued elements with `operation: "delete"` are removed) turned into 2.0 PatchOperations.
// The service works in 2.0 internally; a 1.1 endpoint converts at the edge with these functions.
import type { JsonObject, JsonValue, ScimListResponse, ScimResource } from '../types.ts'
import { isJsonObject } from '../types.ts'
import type { PatchOperation } from '../types.ts'
import { InvalidSyntaxError, InvalidValueError } from '../errors.ts'
import type { ResourceSchema } from '../schema/resolve.ts'
import {
  SCHEMA_CORE_V1, SCHEMA_ENTERPRISE_USER, SCHEMA_ENTERPRISE_V1, SCHEMA_GROUP, SCHEMA_LIST_RESPONSE, SCHEMA_USER
} from '../schema/definitions.ts'

const V2_TO_V1: ReadonlyMap<string, string> = new Map([
  [SCHEMA_USER.toLowerCase(), SCHEMA_CORE_V1],
  [SCHEMA_GROUP.toLowerCase(), SCHEMA_CORE_V1],
  [SCHEMA_ENTERPRISE_USER.toLowerCase(), SCHEMA_ENTERPRISE_V1]
])

/**
 * A 2.0 resource as SCIM 1.1: `schemas` with 1.0 URNs, enterprise data under `urn:scim:schemas:extension:enterprise:1.0`.
 * @example
 * resourceToV1({ schemas: [SCHEMA_USER], userName: 'bjensen' }) // { schemas: ['urn:scim:schemas:core:1.0'], userName: 'bjensen' }
 */
export function resourceToV1 (resource: ScimResource): ScimResource {
  const out: ScimResource = {}
  for (const [k, v] of Object.entries(resource)) {
    if (v === undefined) continue
    if (k === 'schemas' && Array.isArray(v)) {
      out.schemas = dedupe(v.filter((s): s is string => typeof s === 'string').map(s => V2_TO_V1.get(s.toLowerCase()) ?? s))
      continue
    }
    const mapped = k.toLowerCase().startsWith('urn:') ? V2_TO_V1.get(k.toLowerCase()) : undefined
    setKey(out, mapped ?? k, v)
  }
  return out
}

/**
 * A SCIM 1.1 resource as 2.0: `urn:scim:schemas:core:1.0` becomes the resource type's core URN (User or Group),
 * the 1.0 enterprise extension its 2.0 URN; `meta.attributes` (PATCH-only) is dropped.
 */
export function resourceFromV1 (resource: JsonObject, schema: ResourceSchema): ScimResource {
  const coreUrn = schema.resourceType.schema
  const map = (u: string): string => {
    const l = u.toLowerCase()
    if (l === SCHEMA_CORE_V1) return coreUrn
    if (l === SCHEMA_ENTERPRISE_V1) return SCHEMA_ENTERPRISE_USER
    return u
  }
  const out: ScimResource = {}
  for (const [k, v] of Object.entries(resource)) {
    if (v === undefined) continue
    if (k === 'schemas' && Array.isArray(v)) {
      out.schemas = dedupe([coreUrn, ...v.filter((s): s is string => typeof s === 'string').map(map)])
      continue
    }
    if (k === 'meta' && isJsonObject(v)) {
      const m: JsonObject = {}
      for (const [mk, mv] of Object.entries(v)) if (mk !== 'attributes' && mv !== undefined) setKey(m, mk, mv)
      if (Object.keys(m).length > 0) setKey(out, 'meta', m)
      continue
    }
    setKey(out, k.toLowerCase() === SCHEMA_ENTERPRISE_V1 ? SCHEMA_ENTERPRISE_USER : k, v)
  }
  if (out.schemas === undefined) out.schemas = [coreUrn]
  return out
}

/** A 2.0 ListResponse as SCIM 1.1 (`schemas: [urn:scim:schemas:core:1.0]`, resources converted). */
export function listResponseToV1<T extends ScimResource> (list: ScimListResponse<T>): ScimListResponse<ScimResource> {
  return {
    schemas: [SCHEMA_CORE_V1],
    totalResults: list.totalResults,
    itemsPerPage: list.itemsPerPage,
    startIndex: list.startIndex,
    Resources: list.Resources.map(resourceToV1)
  }
}

/** A SCIM 1.1 ListResponse (e.g. from a 1.1 endpoint the gateway forwards to) as 2.0. Not an object → 400 invalidSyntax. */
export function listResponseFromV1 (body: unknown, schema: ResourceSchema): ScimListResponse<ScimResource> {
  if (!isJsonObject(body)) throw new InvalidSyntaxError('ListResponse must be a JSON object')
  const res = Array.isArray(body.Resources) ? body.Resources.filter(isJsonObject) : []
  const num = (v: JsonValue | undefined, d: number): number => typeof v === 'number' && Number.isFinite(v) ? v : d
  return {
    schemas: [SCHEMA_LIST_RESPONSE],
    totalResults: num(body.totalResults, res.length),
    itemsPerPage: num(body.itemsPerPage, res.length),
    startIndex: num(body.startIndex, 1),
    Resources: res.map(r => resourceFromV1(r, schema))
  }
}

/**
 * Turns a SCIM 1.1 PATCH body into 2.0 operations, in the 1.1 processing order: first the removals named in
 * `meta.attributes`, then elements marked `operation: "delete"`, then additions/replacements.
 * Single-valued attributes → `replace`; sub-attributes of a complex attribute → `replace` per sub-attribute
 * (1.1 merges them); multi-valued elements → one `add` (RFC 7644 add merges into the set); deleted elements
 * → `remove` with a `[value eq "..."]` path (or `[type eq "..."]` when the element has no value).
 * @example
 * patchV1ToOperations({ meta: { attributes: ['title'] }, members: [{ value: 'u2', operation: 'delete' }] }, coreResourceSchema('Group'))
 * // [{ op: 'remove', path: 'title' }, { op: 'remove', path: 'members[value eq "u2"]' }]
 */
export function patchV1ToOperations (body: unknown, schema: ResourceSchema): PatchOperation[] {
  if (!isJsonObject(body)) throw new InvalidSyntaxError('A SCIM 1.1 PATCH body must be a JSON object')
  const removals: PatchOperation[] = []
  const deletes: PatchOperation[] = []
  const changes: PatchOperation[] = []
  const coreUrn = schema.resourceType.schema.toLowerCase()

  for (const [key, value] of Object.entries(body)) {
    if (value === undefined) continue
    const lk = key.toLowerCase()
    if (lk === 'schemas' || lk === 'id') continue
    if (lk === 'meta') {
      if (isJsonObject(value) && value.attributes !== undefined) {
        const names = value.attributes
        if (!Array.isArray(names) || !names.every((n): n is string => typeof n === 'string')) {
          throw new InvalidValueError('meta.attributes must be an array of attribute names')
        }
        for (const n of names) if (n.trim() !== '') removals.push({ op: 'remove', path: v2Path(n.trim(), coreUrn) })
      }
      continue
    }
    if (lk === SCHEMA_CORE_V1 || lk === coreUrn) {
      if (!isJsonObject(value)) throw new InvalidValueError(`${key} must be an object`)
      for (const [k, v] of Object.entries(value)) if (v !== undefined) attrOps(k, v, undefined)
      continue
    }
    const extUrn = lk === SCHEMA_ENTERPRISE_V1 ? SCHEMA_ENTERPRISE_USER : schema.isExtension(key) ? schema.schemas.find(s => s.id.toLowerCase() === lk)?.id : undefined
    if (extUrn !== undefined) {
      if (value === null) { removals.push({ op: 'remove', path: extUrn }); continue }
      if (!isJsonObject(value)) throw new InvalidValueError(`${key} must be an object`)
      for (const [k, v] of Object.entries(value)) if (v !== undefined) attrOps(k, v, extUrn)
      continue
    }
    attrOps(key, value, undefined)
  }
  return [...removals, ...deletes, ...changes]

  function attrOps (name: string, value: JsonValue, uri: string | undefined): void {
    const def = schema.attribute(uri === undefined ? { attr: name } : { uri, attr: name })
    const attrName = def?.name ?? name
    const path = uri === undefined ? attrName : `${uri}:${attrName}`
    if (def?.mutability === 'readOnly') return
    if (value === null) { removals.push({ op: 'remove', path }); return }
    if (def?.multiValued === true || (def === undefined && Array.isArray(value))) {
      const items = Array.isArray(value) ? value : [value]
      const adds: JsonValue[] = []
      for (const el of items) {
        if (isJsonObject(el) && typeof el.operation === 'string' && el.operation.toLowerCase() === 'delete') {
          deletes.push({ op: 'remove', path: `${path}${elementFilter(el)}` })
        } else if (el !== null) adds.push(el)
      }
      if (adds.length > 0) changes.push({ op: 'add', path, value: adds })
      return
    }
    if (def?.type === 'complex' && isJsonObject(value)) {
      for (const [sub, sv] of Object.entries(value)) {
        if (sv === undefined) continue
        const sdef = def.subAttributes?.find(s => s.name.toLowerCase() === sub.toLowerCase())
        if (sdef?.mutability === 'readOnly') continue
        const subPath = `${path}.${sdef?.name ?? sub}`
        if (sv === null) removals.push({ op: 'remove', path: subPath })
        else changes.push({ op: 'replace', path: subPath, value: sv })
      }
      return
    }
    changes.push({ op: 'replace', path, value })
  }
}

// ---------------------------------------------------------------------------------------------

/** `[value eq "x"]` (or `[type eq "work"]`, or all set sub-attributes and-ed) selecting a deleted element. */
function elementFilter (el: JsonObject): string {
  const lit = (v: JsonValue): string | undefined =>
    typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' ? JSON.stringify(v) : undefined
  const value = el.value
  if (value !== undefined && value !== null) {
    const l = lit(value)
    if (l !== undefined) return `[value eq ${l}]`
  }
  const conds: string[] = []
  for (const [k, v] of Object.entries(el)) {
    if (k === 'operation' || v === undefined || v === null || !/^[A-Za-z][\w-]*$/.test(k)) continue
    const l = lit(v)
    if (l !== undefined) conds.push(`${k} eq ${l}`)
  }
  if (conds.length === 0) throw new InvalidValueError('An element marked operation "delete" must carry a value to identify it')
  return `[${conds.join(' and ')}]`
}

/** A 1.1 attribute name in meta.attributes as a 2.0 path (1.0 URNs translated). */
function v2Path (name: string, coreUrn: string): string {
  const l = name.toLowerCase()
  if (l.startsWith(`${SCHEMA_ENTERPRISE_V1}:`)) return `${SCHEMA_ENTERPRISE_USER}:${name.slice(SCHEMA_ENTERPRISE_V1.length + 1)}`
  if (l === SCHEMA_ENTERPRISE_V1) return SCHEMA_ENTERPRISE_USER
  if (l.startsWith(`${SCHEMA_CORE_V1}:`)) return name.slice(SCHEMA_CORE_V1.length + 1)
  if (l.startsWith(`${coreUrn}:`)) return name.slice(coreUrn.length + 1)
  return name
}

function dedupe (list: string[]): string[] {
  const seen = new Set<string>()
  return list.filter(s => { const l = s.toLowerCase(); if (seen.has(l)) return false; seen.add(l); return true })
}

function setKey (obj: JsonObject, key: string, value: JsonValue): void {
  if (key === '__proto__') return
  obj[key] = value
}
