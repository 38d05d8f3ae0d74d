// Listing: query parameters of GET /Users|/Groups and POST /.search (RFC 7644 §3.4.2, §3.4.3),
// sorting (§3.4.2.3), paging (§3.4.2.4) and the ListResponse envelope for SCIM 2.0 and 1.1.
import type { AttributeDef, JsonObject, JsonValue, ScimListResponse, ScimResource, ScimVersion } from './types.ts'
import { isJsonObject } from './types.ts'
import { InvalidSyntaxError, InvalidValueError } from './errors.ts'
import type { ResourceSchema } from './schema/resolve.ts'
import { SCHEMA_CORE_V1, SCHEMA_LIST_RESPONSE } from './schema/definitions.ts'
import { getTopValue, parseAttrPath } from './filter/index.ts'
import { parseAttributeList } from './projection.ts'
import type { AttrPath } from './filter/ast.ts'

/** RFC 7644 §3.4.2.3 sort order. */
export type SortOrder = 'ascending' | 'descending'

/** The list parameters of a query, normalised. */
export interface ListParams {
  /** Filter text as sent (not parsed here). */
  filter?: string
  attributes: string[]
  excludedAttributes: string[]
  sortBy?: string
  /** Set when `sortBy` or `sortOrder` was given; `ascending` by default (RFC 7644 §3.4.2.3). */
  sortOrder?: SortOrder
  /** 1-based; values below 1 become 1. */
  startIndex: number
  /** Page size, clamped to [0, maxCount]; `defaultCount` when absent. */
  count: number
}

/** Page-size policy: `count` when the client sends none, and the most it may ask for. */
export interface ListParamsOptions {
  defaultCount: number
  maxCount: number
}

/**
 * Reads list parameters from a query string map. Parameter names are matched case-insensitively.
 * Invalid `sortOrder`, `startIndex` or `count` → 400 invalidValue.
 * @example
 * parseListParams({ filter: 'userName eq "bjensen"', startIndex: '1', count: '10' }, { defaultCount: 100, maxCount: 200 })
 */
export function parseListParams (query: Record<string, string | undefined>, opts: ListParamsOptions): ListParams {
  const q = new Map<string, string>()
  for (const [k, v] of Object.entries(query)) if (v !== undefined) q.set(k.toLowerCase(), v)
  return buildParams({
    filter: q.get('filter'),
    attributes: parseAttributeList(q.get('attributes')),
    excludedAttributes: parseAttributeList(q.get('excludedattributes')),
    sortBy: q.get('sortby'),
    sortOrder: q.get('sortorder'),
    startIndex: q.get('startindex'),
    count: q.get('count')
  }, opts)
}

/**
 * Reads a SearchRequest body (POST /.search, RFC 7644 §3.4.3): `attributes` and `excludedAttributes`
 * as arrays (a comma-separated string is accepted too), numbers as numbers or numeric strings.
 * Not an object → 400 invalidSyntax.
 */
export function searchRequestToParams (body: unknown, opts: ListParamsOptions): ListParams {
  if (!isJsonObject(body)) throw new InvalidSyntaxError('SearchRequest body must be a JSON object')
  const get = (name: string): JsonValue | undefined => {
    const key = Object.keys(body).find(k => k.toLowerCase() === name.toLowerCase())
    return key === undefined ? undefined : body[key]
  }
  return buildParams({
    filter: optString(get('filter'), 'filter'),
    attributes: stringList(get('attributes'), 'attributes'),
    excludedAttributes: stringList(get('excludedAttributes'), 'excludedAttributes'),
    sortBy: optString(get('sortBy'), 'sortBy'),
    sortOrder: optString(get('sortOrder'), 'sortOrder'),
    startIndex: optNumberText(get('startIndex'), 'startIndex'),
    count: optNumberText(get('count'), 'count')
  }, opts)
}

/**
 * Sorts resources by one attribute, stably, per the attribute's schema type: strings case-insensitively
 * unless caseExact, dateTime by instant, numbers numerically, booleans false < true. Resources without a
 * value sort last in both orders. A multi-valued attribute sorts by its primary element, else its first.
 * Returns a new array; `sortBy` undefined returns a copy in the original order.
 */
export function sortResources<T extends ScimResource> (resources: readonly T[], sortBy: string | undefined, sortOrder: SortOrder | undefined, schema: ResourceSchema): T[] {
  if (sortBy === undefined || sortBy.trim() === '') return [...resources]
  const path = parseAttrPath(sortBy.trim(), { schemaUris: schema.schemas.map(s => s.id) })
  // An unqualified name the core schema lacks may be an extension attribute (`department`).
  const uri = path.uri ?? (schema.attribute(path) === undefined
    ? schema.schemas.slice(1).find(s => schema.attribute({ uri: s.id, attr: path.attr }) !== undefined)?.id
    : undefined)
  const qualified: AttrPath = uri === undefined ? path : { ...path, uri }
  const def = schema.attribute(qualified)
  const top = schema.attribute({ ...qualified, sub: undefined })
  const dir = sortOrder === 'descending' ? -1 : 1
  const keyed = resources.map((res, i) => ({ res, i, key: sortKey(extract(res, qualified, top), def) }))
  keyed.sort((a, b) => {
    if (a.key === undefined || b.key === undefined) {
      if (a.key === undefined && b.key === undefined) return a.i - b.i
      return a.key === undefined ? 1 : -1
    }
    const c = compareKeys(a.key, b.key)
    return c === 0 ? a.i - b.i : c * dir
  })
  return keyed.map(k => k.res)
}

/** The page starting at 1-based `startIndex` with at most `count` elements (all remaining when count is undefined). */
export function paginate<T> (resources: readonly T[], startIndex: number, count?: number): T[] {
  const start = Math.max(1, Math.floor(startIndex)) - 1
  if (count === undefined) return resources.slice(start)
  return resources.slice(start, start + Math.max(0, Math.floor(count)))
}

/** Envelope fields of listResponse. */
export interface ListResponseOptions {
  /** Total number of matches (before paging); default `resources.length`. */
  totalResults?: number
  /** 1-based index of the first resource of this page; default 1. */
  startIndex?: number
  /** Default '2.0'. */
  version?: ScimVersion
}

/**
 * Wraps a page in a ListResponse: 2.0 with `schemas: [urn:ietf:params:scim:api:messages:2.0:ListResponse]`,
 * 1.1 with `schemas: [urn:scim:schemas:core:1.0]`.
 */
export function listResponse<T extends JsonObject> (resources: T[], opts: ListResponseOptions = {}): ScimListResponse<T> {
  return {
    schemas: [opts.version === '1.1' ? SCHEMA_CORE_V1 : SCHEMA_LIST_RESPONSE],
    totalResults: opts.totalResults ?? resources.length,
    itemsPerPage: resources.length,
    startIndex: opts.startIndex ?? 1,
    Resources: resources
  }
}

// ---------------------------------------------------------------------------------------------

interface RawParams {
  filter: string | undefined
  attributes: string[]
  excludedAttributes: string[]
  sortBy: string | undefined
  sortOrder: string | undefined
  startIndex: string | undefined
  count: string | undefined
}

function buildParams (raw: RawParams, opts: ListParamsOptions): ListParams {
  const out: ListParams = {
    attributes: raw.attributes,
    excludedAttributes: raw.excludedAttributes,
    startIndex: 1,
    count: Math.max(0, Math.min(opts.defaultCount, opts.maxCount))
  }
  if (raw.filter !== undefined && raw.filter.trim() !== '') out.filter = raw.filter.trim()
  if (raw.sortBy !== undefined && raw.sortBy.trim() !== '') out.sortBy = raw.sortBy.trim()
  const so = raw.sortOrder?.trim()
  if (so !== undefined && so !== '') {
    const l = so.toLowerCase()
    if (l !== 'ascending' && l !== 'descending') throw new InvalidValueError(`sortOrder must be "ascending" or "descending", got "${so}"`)
    out.sortOrder = l
  } else if (out.sortBy !== undefined) out.sortOrder = 'ascending'
  const si = integer(raw.startIndex, 'startIndex')
  if (si !== undefined) out.startIndex = Math.max(1, si)
  const c = integer(raw.count, 'count')
  if (c !== undefined) out.count = Math.min(Math.max(0, c), opts.maxCount)
  return out
}

function integer (text: string | undefined, name: string): number | undefined {
  if (text === undefined || text.trim() === '') return undefined
  const t = text.trim()
  if (!/^[+-]?\d+$/.test(t)) throw new InvalidValueError(`${name} must be an integer, got "${text}"`)
  const n = Number(t)
  if (!Number.isSafeInteger(n)) return n > 0 ? Number.MAX_SAFE_INTEGER : Number.MIN_SAFE_INTEGER
  return n
}

function optString (v: JsonValue | undefined, name: string): string | undefined {
  if (v === undefined || v === null) return undefined
  if (typeof v !== 'string') throw new InvalidValueError(`${name} must be a string`)
  return v
}

function optNumberText (v: JsonValue | undefined, name: string): string | undefined {
  if (v === undefined || v === null) return undefined
  if (typeof v === 'number') {
    if (!Number.isInteger(v)) throw new InvalidValueError(`${name} must be an integer, got ${v}`)
    return String(v)
  }
  if (typeof v === 'string') return v
  throw new InvalidValueError(`${name} must be an integer`)
}

function stringList (v: JsonValue | undefined, name: string): string[] {
  if (v === undefined || v === null) return []
  if (typeof v === 'string') return parseAttributeList(v)
  if (Array.isArray(v)) {
    return v.map(e => {
      if (typeof e !== 'string') throw new InvalidValueError(`${name} must be an array of strings`)
      return e.trim()
    }).filter(e => e !== '')
  }
  throw new InvalidValueError(`${name} must be an array of strings`)
}

function getKey (obj: JsonObject, name: string): JsonValue | undefined {
  if (obj[name] !== undefined) return obj[name]
  const l = name.toLowerCase()
  for (const k of Object.keys(obj)) if (k.toLowerCase() === l) return obj[k]
  return undefined
}

/** The value a resource sorts by (before typing). */
function extract (res: ScimResource, path: AttrPath, top: AttributeDef | undefined): JsonValue | undefined {
  let v = getTopValue(res, path)
  if (Array.isArray(v)) {
    const objs = v.filter(isJsonObject)
    const primary = objs.find(e => getKey(e, 'primary') === true)
    v = primary ?? v[0]
    if (path.sub === undefined && isJsonObject(v) && (top?.type === 'complex' || top === undefined)) v = getKey(v, 'value')
  }
  if (path.sub !== undefined) return isJsonObject(v) ? getKey(v, path.sub) : undefined
  return v
}

type Key = string | number | undefined

/** Numbers before strings when an untyped attribute mixes both; otherwise natural order. */
function compareKeys (a: string | number, b: string | number): number {
  if (typeof a !== typeof b) return typeof a === 'number' ? -1 : 1
  return a < b ? -1 : a > b ? 1 : 0
}

function sortKey (v: JsonValue | undefined, def: AttributeDef | undefined): Key {
  if (v === undefined || v === null || v === '') return undefined
  const type = def?.type === 'complex' ? undefined : def?.type
  if (type === 'dateTime' && typeof v === 'string') {
    const t = Date.parse(v)
    return Number.isNaN(t) ? undefined : t
  }
  if (typeof v === 'boolean') return v ? 1 : 0
  if (typeof v === 'number') return v
  if (typeof v === 'string') {
    if ((type === 'integer' || type === 'decimal') && v.trim() !== '' && !Number.isNaN(Number(v))) return Number(v)
    return def?.caseExact === true ? v : v.toLowerCase()
  }
  return undefined
}
