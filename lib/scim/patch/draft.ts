// Copy-on-write working copy of a resource during applyPatch. The input resource is never mutated:
// the root is copied shallowly, an extension object is copied shallowly the first time it is
// touched, and an attribute value is deep-copied the first time an operation changes it. Attributes
// no operation touches are shared with the input (treat results as immutable).
import type { ResourceSchema } from '../schema/resolve.ts'
import type { JsonObject, JsonValue, ScimResource } from '../types.ts'
import { isJsonObject } from '../types.ts'
import { cloneJson, deleteCi, getCi, isUnassigned, keyOf, setCi } from './json.ts'

/** The mutable working copy of one applyPatch call. */
export class Draft {
  readonly root: JsonObject
  readonly schema: ResourceSchema
  /** Lower-cased extension URNs whose object in `root` is already a private copy. */
  private readonly ownedExt = new Set<string>()
  /** `<ext lower>\n<attr lower>` of attribute values that are already private copies. */
  private readonly ownedAttr = new Set<string>()
  /** Extension URNs that operations touched: their `schemas` entry is settled in finish(). */
  private readonly touchedExt = new Map<string, string>()
  private schemasTouched = false

  constructor (resource: ScimResource, schema: ResourceSchema) {
    this.root = { ...resource }
    this.schema = schema
  }

  /** The container of an attribute: the resource, or the object under an extension URN. */
  container (ext: string | undefined, create: boolean): JsonObject | undefined {
    if (ext === undefined) return this.root
    const lext = ext.toLowerCase()
    this.touchedExt.set(lext, ext)
    const k = keyOf(this.root, ext)
    const cur = k === undefined ? undefined : this.root[k]
    if (!isJsonObject(cur)) {
      if (!create) return undefined
      const obj: JsonObject = {}
      this.root[k ?? ext] = obj
      this.ownedExt.add(lext)
      return obj
    }
    if (this.ownedExt.has(lext)) return cur
    const copy: JsonObject = { ...cur }
    this.root[k as string] = copy
    this.ownedExt.add(lext)
    return copy
  }

  /** Current value of an attribute, read-only (may be shared with the input). */
  read (ext: string | undefined, attr: string): JsonValue | undefined {
    const c = ext === undefined ? this.root : getCi(this.root, ext)
    return isJsonObject(c) ? getCi(c, attr) : undefined
  }

  /** Current value of an attribute as a private copy that may be mutated in place. */
  own (ext: string | undefined, attr: string): JsonValue | undefined {
    const c = this.container(ext, false)
    if (c === undefined) return undefined
    const k = keyOf(c, attr)
    if (k === undefined) return undefined
    const id = ownKey(ext, attr)
    const v = c[k]
    if (v === undefined || this.ownedAttr.has(id)) return v
    const copy = cloneJson(v)
    c[k] = copy
    this.ownedAttr.add(id)
    return copy
  }

  /** Sets an attribute to a value the caller owns (fresh, never shared with the request or input). */
  set (ext: string | undefined, attr: string, value: JsonValue): void {
    const c = this.container(ext, true) as JsonObject
    setCi(c, attr, value)
    this.ownedAttr.add(ownKey(ext, attr))
  }

  /** Removes an attribute. */
  remove (ext: string | undefined, attr: string): void {
    const c = this.container(ext, false)
    if (c !== undefined) deleteCi(c, attr)
  }

  /** Removes the attribute when its value became unassigned ([] or {}). */
  settle (ext: string | undefined, attr: string): void {
    const c = this.container(ext, false)
    if (c === undefined) return
    const k = keyOf(c, attr)
    if (k !== undefined && isUnassigned(c[k])) delete c[k]
  }

  /** Removes a whole extension object (its URN leaves `schemas` in finish()). */
  removeExtension (ext: string): void {
    this.touchedExt.set(ext.toLowerCase(), ext)
    deleteCi(this.root, ext)
  }

  /** Current `schemas` list (strings only). */
  schemas (): string[] {
    const s = getCi(this.root, 'schemas')
    return Array.isArray(s) ? s.filter((x): x is string => typeof x === 'string') : []
  }

  /** Replaces the `schemas` list; the core schema URN is always kept. */
  setSchemas (list: readonly string[]): void {
    this.schemasTouched = true
    setCi(this.root, 'schemas', dedupe([this.coreUri(), ...list]))
  }

  /** The resource after all operations: extension URNs listed in `schemas` exactly when present. */
  finish (): ScimResource {
    if (this.touchedExt.size === 0 && !this.schemasTouched) return this.root as ScimResource
    const had = getCi(this.root, 'schemas') !== undefined
    let list = this.schemas()
    let changed = false
    for (const ext of this.touchedExt.values()) {
      const k = keyOf(this.root, ext)
      const v = k === undefined ? undefined : this.root[k]
      const present = isJsonObject(v) && !isUnassigned(v)
      if (!present && k !== undefined) delete this.root[k]
      const listed = list.some(s => s.toLowerCase() === ext.toLowerCase())
      if (present && !listed) {
        list = [...list, ext]
        changed = true
      } else if (!present && listed) {
        list = list.filter(s => s.toLowerCase() !== ext.toLowerCase())
        changed = true
      }
    }
    if (changed || (this.schemasTouched && !had)) {
      if (!list.some(s => s.toLowerCase() === this.coreUri().toLowerCase())) list = [this.coreUri(), ...list]
      setCi(this.root, 'schemas', list)
    }
    return this.root as ScimResource
  }

  private coreUri (): string {
    return this.schema.schemas[0]?.id ?? this.schema.resourceType.schema
  }
}

function ownKey (ext: string | undefined, attr: string): string {
  return `${ext === undefined ? '' : ext.toLowerCase()}\n${attr.toLowerCase()}`
}

function dedupe (list: readonly string[]): string[] {
  const seen = new Set<string>()
  const out: string[] = []
  for (const s of list) {
    const l = s.toLowerCase()
    if (!seen.has(l)) {
      seen.add(l)
      out.push(s)
    }
  }
  return out
}
