// JSON helpers of the embedded store: one-pass deep copy + freeze of what goes into the store, and
// the cheap "view" copy of what comes out. Stored values are frozen so a caller can never change the
// store behind its back; views copy only the top level and `meta`.
import type { JsonObject, JsonValue, ScimResource } from '../../scim/types.ts'

/** A resource as held by the store: deeply frozen, `id` and `meta` always set. */
export type StoredResource = Readonly<ScimResource> & { readonly id: string }

/**
 * Deep-copies a JSON value and freezes every object and array of the copy. `undefined` members are
 * dropped (they cannot be serialised anyway). Non-JSON values (functions, symbols, bigint) become
 * `null`, so that whatever the store keeps survives a round trip through the journal unchanged.
 */
export function frozenCopy (value: JsonValue | undefined): JsonValue {
  if (value === null || value === undefined) return null
  switch (typeof value) {
    case 'string': case 'boolean': return value
    case 'number': return Number.isFinite(value) ? value : null
    case 'object': break
    default: return null
  }
  if (Array.isArray(value)) {
    const out: JsonValue[] = new Array<JsonValue>(value.length)
    for (let i = 0; i < value.length; i++) out[i] = frozenCopy(value[i])
    return Object.freeze(out) as JsonValue[]
  }
  return Object.freeze(frozenObjectCopy(value))
}

/**
 * Like {@link frozenCopy} for an object, but copies into `out` (default a new object) and leaves the
 * top level unfrozen so callers can add `id`/`meta` first. Keys in `skip` are left out.
 */
export function frozenObjectCopy (obj: JsonObject, skip?: ReadonlySet<string>, out: JsonObject = {}): JsonObject {
  for (const key of Object.keys(obj)) {
    if (skip?.has(key) === true) continue
    const v = obj[key]
    if (v === undefined) continue
    out[key] = frozenCopy(v)
  }
  return out
}

/**
 * Freezes a freshly parsed JSON value in place (journal replay: `JSON.parse` output is already a
 * private copy, so copying it again would only cost time).
 */
export function deepFreeze<T extends JsonValue> (value: T): T {
  if (typeof value === 'object' && value !== null) {
    if (Array.isArray(value)) { for (const v of value) deepFreeze(v) } else { for (const k in value) { const v = value[k]; if (v !== undefined) deepFreeze(v) } }
    Object.freeze(value)
  }
  return value
}

/**
 * The object handed to callers: a fresh top level and a fresh `meta`, everything nested shared with
 * the store and frozen. Costs two small object spreads, independent of the resource's size.
 */
export function view (stored: StoredResource, extra?: JsonObject): ScimResource {
  const out: ScimResource = { ...stored }
  if (stored.meta !== undefined) out.meta = { ...stored.meta }
  if (extra !== undefined) Object.assign(out, extra)
  return out
}

export function isPlainRecord (v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}
