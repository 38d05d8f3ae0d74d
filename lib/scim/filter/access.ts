// Attribute access on SCIM resources: case-insensitive keys, schema extensions stored under their URN,
// multi-valued attributes flattened. Shared by filter evaluation, PATCH, projection and sorting.
import { isJsonObject, type JsonObject, type JsonValue } from '../types.ts'
import type { AttrPath } from './ast.ts'

/**
 * The key of `obj` that equals `name` ignoring case (the exact spelling wins), or undefined.
 * @example findKey({ userName: 'x' }, 'USERNAME') // 'userName'
 */
export function findKey (obj: JsonObject, name: string): string | undefined {
  if (Object.prototype.hasOwnProperty.call(obj, name)) return name
  const lname = name.toLowerCase()
  for (const k in obj) {
    if (k.length === name.length && Object.prototype.hasOwnProperty.call(obj, k) && k.toLowerCase() === lname) return k
  }
  return undefined
}

/** `obj[name]` with a case-insensitive name. */
export function getCI (obj: JsonObject, name: string): JsonValue | undefined {
  const v = obj[name]
  if (v !== undefined && Object.prototype.hasOwnProperty.call(obj, name)) return v
  const k = findKey(obj, name)
  return k === undefined ? undefined : obj[k]
}

/**
 * The value of the top-level attribute `path` names (before any sub-attribute is applied), or undefined.
 * - `uri` given and the resource has an object under that URN key (a schema extension): look inside it;
 *   `attr === ''` returns the extension object itself.
 * - `uri` given but no such object: a top-level key spelled `uri:attr` (flat storage), else the attribute
 *   at top level (the core schema URN qualifies top-level attributes).
 * - no `uri`: the attribute at top level, else (leniency for IdPs) the first extension object
 *   (`urn:` key) that has it.
 */
export function getTopValue (resource: JsonObject, path: AttrPath): JsonValue | undefined {
  if (path.uri !== undefined) {
    const k = findKey(resource, path.uri)
    const ext = k === undefined ? undefined : resource[k]
    if (isJsonObject(ext)) return path.attr === '' ? ext : getCI(ext, path.attr)
    if (path.attr === '') return undefined
    // some stores keep extension attributes flat under their full name
    const flat = getCI(resource, `${path.uri}:${path.attr}`)
    return flat !== undefined ? flat : getCI(resource, path.attr)
  }
  const v = getCI(resource, path.attr)
  return v !== undefined ? v : getFromExtensions(resource, path.attr)
}

/** Looks `attr` up in the schema-extension objects (keys starting with `urn:`) of a resource. */
export function getFromExtensions (resource: JsonObject, attr: string): JsonValue | undefined {
  for (const k in resource) {
    // keys starting with "urn:" in any case, tested without allocating
    if (k.length > 4 && k.charCodeAt(3) === 58 && (k.charCodeAt(0) | 32) === 117 && (k.charCodeAt(1) | 32) === 114 && (k.charCodeAt(2) | 32) === 110) {
      const ext = resource[k]
      if (isJsonObject(ext)) {
        const v = getCI(ext, attr)
        if (v !== undefined) return v
      }
    }
  }
  return undefined
}

/**
 * All values `path` selects in `resource`, flattened: a multi-valued attribute gives its elements,
 * `emails.value` gives the `value` of every email. Absent attributes and `null` values (unassigned,
 * RFC 7643 §2.5) give nothing. Extension attributes live under their schema URN
 * (`resource["urn:...:enterprise:2.0:User"].manager.value`); unqualified names not found at top level are
 * also looked up in extension objects.
 * @example getAttributeValues(user, { attr: 'emails', sub: 'value' }) // ['a@x.org', 'b@x.org']
 */
export function getAttributeValues (resource: JsonObject, path: AttrPath): JsonValue[] {
  const out: JsonValue[] = []
  const top = getTopValue(resource, path)
  if (top === undefined || top === null) return out
  if (path.sub === undefined) {
    pushFlat(out, top)
    return out
  }
  if (Array.isArray(top)) {
    for (const e of top) if (isJsonObject(e)) pushFlat(out, getCI(e, path.sub))
  } else if (isJsonObject(top)) {
    pushFlat(out, getCI(top, path.sub))
  }
  return out
}

function pushFlat (out: JsonValue[], v: JsonValue | undefined): void {
  if (v === undefined || v === null) return
  if (Array.isArray(v)) {
    for (const e of v) if (e !== null && e !== undefined) out.push(e)
  } else {
    out.push(v)
  }
}
