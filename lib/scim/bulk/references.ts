// bulkId references (RFC 7644 §3.7.2): finding `bulkId:<id>` in an operation's path and data, and
// replacing them with the ids the service provider created.
//
// A reference is `bulkId:<id>` at the start of a string or right after a `/`, ending at the end of
// the string or at `/`, `?` or `#`. That covers a whole value (`"bulkId:qwerty"`), a path
// (`/Groups/bulkId:qwerty`) and a URL (`https://h/v2/Users/bulkId:qwerty`), while prose such as
// `"see bulkId:x here"` is left alone.
import type { JsonValue } from '../types.ts'

const PREFIX = 'bulkId:'
const REF = /(^|\/)bulkId:([^/?#\s"]+)(?=$|[/?#])/g

/** Characters a bulkId may use so that a reference to it is recognised: no whitespace, `/`, `?`, `#`, `"`. */
export const BULK_ID_PATTERN = /^[^/?#\s"]+$/

/**
 * The bulkIds referenced anywhere in `value` (deep: strings in arrays and objects; keys are not
 * references), without the prefix, in first-seen order, each once.
 * @example
 * findBulkIdRefs({ members: [{ value: 'bulkId:qwerty' }] }) // ['qwerty']
 */
export function findBulkIdRefs (value: JsonValue | undefined, out: string[] = []): string[] {
  if (typeof value === 'string') {
    if (!value.includes(PREFIX)) return out
    for (const m of value.matchAll(REF)) {
      const id = m[2]
      if (id !== undefined && !out.includes(id)) out.push(id)
    }
  } else if (Array.isArray(value)) {
    for (const v of value) findBulkIdRefs(v, out)
  } else if (value !== null && typeof value === 'object') {
    for (const k of Object.keys(value)) findBulkIdRefs(value[k], out)
  }
  return out
}

/**
 * Returns a copy of `value` with every `bulkId:<id>` reference whose id is in `ids` replaced by the
 * created resource id. References to ids not in the map are left as they are. The input is not changed.
 * @example
 * resolveBulkIds('/Groups/bulkId:qwerty', new Map([['qwerty', '42']])) // '/Groups/42'
 */
export function resolveBulkIds<T extends JsonValue> (value: T, ids: ReadonlyMap<string, string>): T
export function resolveBulkIds (value: JsonValue, ids: ReadonlyMap<string, string>): JsonValue {
  if (typeof value === 'string') {
    if (!value.includes(PREFIX)) return value
    return value.replace(REF, (whole: string, lead: string, id: string) => {
      const real = ids.get(id)
      return real === undefined ? whole : lead + real
    })
  }
  if (Array.isArray(value)) return value.map(v => resolveBulkIds(v, ids))
  if (value !== null && typeof value === 'object') {
    const out: { [key: string]: JsonValue | undefined } = {}
    for (const k of Object.keys(value)) {
      const v = value[k]
      const r = v === undefined ? undefined : resolveBulkIds(v, ids)
      // A JSON-parsed "__proto__" key is an own property; plain assignment would set the prototype.
      if (k === '__proto__') Object.defineProperty(out, k, { value: r, enumerable: true, writable: true, configurable: true })
      else out[k] = r
    }
    return out
  }
  return value
}
