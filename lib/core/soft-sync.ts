// PUT soft sync (`scim.usePutSoftSync`) and the stream's soft-sync application: attributes absent from
// the incoming resource are left as they are; multi-valued attributes gain the incoming elements
// (matched by `value`, else by `type`, else by equality) without losing the existing ones.
import type { JsonObject, JsonValue, ScimResource } from '../scim/types.ts'
import { isJsonObject } from '../scim/types.ts'
import type { ResourceSchema } from '../scim/schema/resolve.ts'

function sameElement (a: JsonValue, b: JsonValue): boolean {
  if (isJsonObject(a) && isJsonObject(b)) {
    if (a.value !== undefined || b.value !== undefined) return a.value === b.value && (a.type === undefined || b.type === undefined || a.type === b.type)
    if (a.type !== undefined || b.type !== undefined) return a.type === b.type
  }
  return JSON.stringify(a) === JSON.stringify(b)
}

function mergeMulti (current: JsonValue[], incoming: JsonValue[]): JsonValue[] {
  const out = [...current]
  for (const el of incoming) {
    const i = out.findIndex(c => sameElement(c, el))
    if (i < 0) out.push(el)
    else out[i] = isJsonObject(out[i]) && isJsonObject(el) ? { ...(out[i] as JsonObject), ...el } : el
  }
  return out
}

function mergeObject (current: JsonObject, incoming: JsonObject): JsonObject {
  const out: JsonObject = { ...current }
  for (const [key, value] of Object.entries(incoming)) {
    if (value === undefined) continue
    const cur = out[key]
    if (Array.isArray(value) && Array.isArray(cur)) out[key] = mergeMulti(cur, value)
    else if (isJsonObject(value) && isJsonObject(cur)) out[key] = mergeObject(cur, value)
    else out[key] = value
  }
  return out
}

/** `incoming` laid over `current`: absent attributes kept, multi-valued attributes merged. */
export function softSyncMerge (current: ScimResource, incoming: ScimResource, schema: ResourceSchema): ScimResource {
  const out = mergeObject(current, incoming) as ScimResource
  if (current.id !== undefined) out.id = current.id
  if (current.meta !== undefined) out.meta = current.meta
  const schemas = new Set([...(current.schemas ?? []), ...(incoming.schemas ?? [])])
  if (schemas.size > 0) out.schemas = [...schemas]
  for (const key of Object.keys(current)) {
    if (schema.attribute({ attr: key })?.mutability === 'readOnly' && key !== 'id' && key !== 'meta') out[key] = current[key]
  }
  return out
}
