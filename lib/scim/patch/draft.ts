// Copy-on-write working copy of a resource during applyPatch. The input resource is never mutated:
// the root is copied shallowly, an extension object is copied shallowly the first time it is
// touched, and an attribute value is deep-copied the first time an operation changes it. Attributes
// no operation touches are shared with the input (treat results as immutable).
import type { ResourceSchema } from '../schema/resolve.ts'
import type { PathCache } from './path.ts'
import type { JsonObject, JsonValue, ScimResource } from '../types.ts'
import { isJsonObject } from '../types.ts'
import { cloneJson, deleteCi, getCi, isUnassigned, keyOf, putOwn, setCi } from './json.ts'

/** The mutable working copy of one applyPatch call. */
export class Draft {
  readonly root: JsonObject
  readonly schema: ResourceSchema
  /** Resolved-path cache of the schema (see path.ts). */
  readonly paths: PathCache
  /** Lower-cased extension URNs whose object in `root` is already a private copy. */
  private ownedExt: Set<string> | undefined
  /** Lower-cased names of attribute values that are already private copies, per container ('' = root). */
  private readonly ownedAttr = new Map<string, Set<string>>()
  /** Extension URNs that operations touched: their `schemas` entry is settled in finish(). */
  private touchedExt: Map<string, string> | undefined
  private schemasTouched = false

  constructor (resource: ScimResource, schema: ResourceSchema, paths: PathCache) {
    this.root = { ...resource }
    this.schema = schema
    this.paths = paths
  }

  /** The container of an attribute: the resource, or the object under an extension URN. */
  container (ext: string | undefined, create: boolean): JsonObject | undefined {
    if (ext === undefined) return this.root
    const lext = ext.toLowerCase()
    const owned = this.ownedExt ??= new Set()
    ;(this.touchedExt ??= new Map()).set(lext, ext)
    const k = keyOf(this.root, ext)
    const cur = k === undefined ? undefined : this.root[k]
    if (!isJsonObject(cur)) {
      if (!create) return undefined
      const obj: JsonObject = {}
      this.root[k ?? ext] = obj
      owned.add(lext)
      return obj
    }
    if (owned.has(lext)) return cur
    const copy: JsonObject = { ...cur }
    this.root[k as string] = copy
    owned.add(lext)
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
    const owned = this.ownedSet(ext)
    const lattr = attr.toLowerCase()
    const v = c[k]
    if (v === undefined || owned.has(lattr)) return v
    const copy = cloneJson(v)
    putOwn(c, k, copy)
    owned.add(lattr)
    return copy
  }

  /** Sets an attribute to a value the caller owns (fresh, never shared with the request or input). */
  set (ext: string | undefined, attr: string, value: JsonValue): void {
    const c = this.container(ext, true) as JsonObject
    setCi(c, attr, value)
    this.ownedSet(ext).add(attr.toLowerCase())
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
    ;(this.touchedExt ??= new Map()).set(ext.toLowerCase(), ext)
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
    if (this.touchedExt === undefined && !this.schemasTouched) return this.root as ScimResource
    const had = getCi(this.root, 'schemas') !== undefined
    let list = this.schemas()
    let changed = false
    for (const ext of this.touchedExt?.values() ?? []) {
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

  private ownedSet (ext: string | undefined): Set<string> {
    const key = ext === undefined ? '' : ext.toLowerCase()
    let set = this.ownedAttr.get(key)
    if (set === undefined) {
      set = new Set()
      this.ownedAttr.set(key, set)
    }
    return set
  }

  private coreUri (): string {
    return this.schema.schemas[0]?.id ?? this.schema.resourceType.schema
  }
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
