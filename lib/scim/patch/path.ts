// Resolution of PATCH paths against a resource type's schema: which container (the resource or an
// extension object), which attribute definition, which sub-attribute, which element filter.
// Parsing goes through the shared filter parser; results are cached per schema in a bounded map
// (the only cache of the engine; no other state outlives a call).
import { InvalidPathError, MutabilityError, ScimError } from '../errors.ts'
import type { FilterNode, PatchPath } from '../filter/ast.ts'
import { compileValueFilter, parsePatchPath } from '../filter/index.ts'
import type { ResourceSchema } from '../schema/resolve.ts'
import { findSub } from '../schema/resolve.ts'
import { SCHEMA_CORE_V1 } from '../schema/definitions.ts'
import type { AttributeDef, JsonObject, JsonValue } from '../types.ts'
import { putOwn } from './json.ts'

/** How unknown attribute names are treated (see ApplyPatchOptions.allowUnknownAttributes). */
export interface ResolveOptions { allowUnknownAttributes: boolean }

/** A PATCH path resolved against a schema. */
export interface ResolvedPath {
  /** The path as written (for error messages). */
  readonly text: string
  /**
   * 'attr': an attribute, maybe with sub-attribute and filter; 'schemas': the `schemas` attribute;
   * 'extension': a whole extension object (the path is the extension URN); 'resource': the path is
   * the core schema URN, which means the resource itself (as if there were no path).
   */
  readonly kind: 'attr' | 'schemas' | 'extension' | 'resource'
  /** Extension URN (canonical spelling when the schema knows it); undefined = the resource itself. */
  readonly ext: string | undefined
  /** Attribute name: the schema's spelling when known, else as written. */
  readonly attr: string
  /** Attribute definition; undefined for custom (unknown) attributes. */
  readonly def: AttributeDef | undefined
  /** Sub-attribute name (`name.givenName`, `emails[type eq "work"].value`). */
  readonly sub: string | undefined
  readonly subDef: AttributeDef | undefined
  /** Element filter of a valuePath (`emails[type eq "work"]`). */
  readonly filter: ((element: JsonObject) => boolean) | undefined
  /**
   * The element a filter describes when it is a conjunction of `eq` comparisons
   * (`type eq "work" and primary eq true` → `{type:"work", primary:true}`); used to create the
   * element when an `add` finds no match. Undefined when the filter is not of that shape.
   */
  readonly template: JsonObject | undefined
}

const CACHE_LIMIT = 512

/** Resolved paths of one schema and one setting of allowUnknownAttributes (bounded, oldest evicted). */
export type PathCache = Map<string, ResolvedPath>
const caches = new WeakMap<ResourceSchema, [PathCache, PathCache]>()

/** The path cache for `schema` and `opts`; fetch once per applyPatch call, then use resolvePath. */
export function pathCache (schema: ResourceSchema, opts: ResolveOptions): PathCache {
  let pair = caches.get(schema)
  if (pair === undefined) {
    pair = [new Map(), new Map()]
    caches.set(schema, pair)
  }
  return pair[opts.allowUnknownAttributes ? 1 : 0]
}

/**
 * Resolves a path string against `schema`, through `cache` (from pathCache).
 * @throws InvalidPathError for syntax errors, unknown attributes of known schemas (unless allowed),
 *   sub-attributes or filters on attributes that have none.
 */
export function resolvePath (text: string, schema: ResourceSchema, opts: ResolveOptions, cache: PathCache = pathCache(schema, opts)): ResolvedPath {
  const hit = cache.get(text)
  if (hit !== undefined) return hit
  const resolved = resolveUncached(text, schema, opts)
  if (cache.size >= CACHE_LIMIT) {
    const oldest = cache.keys().next()
    if (oldest.done !== true) cache.delete(oldest.value)
  }
  cache.set(text, resolved)
  return resolved
}

function resolveUncached (text: string, schema: ResourceSchema, opts: ResolveOptions): ResolvedPath {
  let parsed: PatchPath
  try {
    parsed = parsePatchPath(text, { schemaUris: schemaUris(schema) })
  } catch (e) {
    if (e instanceof InvalidPathError) throw e
    throw new InvalidPathError(`invalid path "${text}": ${e instanceof Error ? e.message : String(e)}`)
  }
  const { uri, attr } = parsed.path
  if (parsed.path.sub !== undefined && parsed.subAttr !== undefined) throw new InvalidPathError(`invalid path "${text}"`)
  if (attr === '') {
    // The path is a schema URN alone: the resource itself (core schema) or a whole extension object.
    if (uri === undefined) throw new InvalidPathError(`invalid path "${text}"`)
    if (isCoreUri(schema, uri)) return { text, kind: 'resource', ext: undefined, attr: '', def: undefined, sub: undefined, subDef: undefined, filter: undefined, template: undefined }
    return { text, kind: 'extension', ext: canonicalUri(schema, uri), attr: '', def: undefined, sub: undefined, subDef: undefined, filter: undefined, template: undefined }
  }
  const subName = parsed.path.sub ?? parsed.subAttr

  let ext: string | undefined
  let known = true
  if (uri !== undefined && !isCoreUri(schema, uri)) {
    if (schema.isExtension(uri)) ext = canonicalUri(schema, uri)
    else {
      ext = uri
      known = false
    }
  }
  if (ext === undefined && attr.toLowerCase() === 'schemas') {
    if (subName !== undefined || parsed.filter !== undefined) throw new InvalidPathError(`invalid path "${text}": schemas has no sub-attributes`)
    return { text, kind: 'schemas', ext: undefined, attr: 'schemas', def: undefined, sub: undefined, subDef: undefined, filter: undefined, template: undefined }
  }
  const def = known ? schema.attribute(uri === undefined ? { attr } : { uri, attr }) : undefined
  if (def === undefined && known && !opts.allowUnknownAttributes) {
    throw new InvalidPathError(`unknown attribute "${attr}" in path "${text}"`)
  }
  let subDef: AttributeDef | undefined
  if (subName !== undefined && def !== undefined) {
    if (def.type !== 'complex') throw new InvalidPathError(`attribute "${def.name}" has no sub-attributes (path "${text}")`)
    subDef = findSub(def, subName)
    if (subDef === undefined && !opts.allowUnknownAttributes) throw new InvalidPathError(`unknown sub-attribute "${subName}" of "${def.name}" in path "${text}"`)
  }
  if (parsed.filter !== undefined && def !== undefined && !(def.multiValued && def.type === 'complex')) {
    throw new InvalidPathError(`a value filter needs a multi-valued complex attribute; "${def.name}" is not (path "${text}")`)
  }
  const filterFn = parsed.filter === undefined ? undefined : compileElementFilter(parsed.filter, ext, def?.name ?? attr, schema)
  return {
    text,
    kind: 'attr',
    ext,
    attr: def?.name ?? attr,
    def,
    sub: subName === undefined ? undefined : subDef?.name ?? subName,
    subDef,
    filter: filterFn,
    template: parsed.filter === undefined ? undefined : templateOf(parsed.filter, def)
  }
}

/**
 * Throws MutabilityError when the path targets something a client may never write: a readOnly
 * attribute or sub-attribute (`id`, `meta`, `groups`, `meta.created`).
 */
export function assertWritable (p: ResolvedPath): void {
  if (p.def?.mutability === 'readOnly') throw new MutabilityError(`attribute "${p.attr}" is readOnly`)
  if (p.subDef?.mutability === 'readOnly') throw new MutabilityError(`sub-attribute "${p.attr}.${p.subDef.name}" is readOnly`)
}

function compileElementFilter (node: FilterNode, ext: string | undefined, attr: string, schema: ResourceSchema): (element: JsonObject) => boolean {
  // Element filters name sub-attributes (`type eq "work"`) and run on one element; the schema gives
  // their types (caseExact, boolean primary).
  try {
    return compileValueFilter(node, ext === undefined ? { attr } : { uri: ext, attr }, schema)
  } catch (e) {
    // e.g. `emails[primary gt true]`: in a PATCH path that is an invalid path (RFC 7644 §3.5.2)
    if (e instanceof ScimError) throw new InvalidPathError(e.detail)
    throw e
  }
}

function templateOf (node: FilterNode, def: AttributeDef | undefined): JsonObject | undefined {
  const out: JsonObject = {}
  const walk = (n: FilterNode): boolean => {
    if (n.type === 'and') return walk(n.left) && walk(n.right)
    if (n.type !== 'compare' || n.op !== 'eq' || n.path.uri !== undefined || n.path.sub !== undefined) return false
    const name = def === undefined ? n.path.attr : findSub(def, n.path.attr)?.name
    if (name === undefined) return false
    if (Object.hasOwn(out, name) && out[name] !== n.value) return false
    putOwn(out, name, n.value as JsonValue)
    return true
  }
  return walk(node) ? out : undefined
}

const uriLists = new WeakMap<ResourceSchema, readonly string[]>()
function schemaUris (schema: ResourceSchema): readonly string[] {
  let l = uriLists.get(schema)
  if (l === undefined) {
    l = [...schema.schemas.map(s => s.id), SCHEMA_CORE_V1]
    uriLists.set(schema, l)
  }
  return l
}

function isCoreUri (schema: ResourceSchema, uri: string): boolean {
  const l = uri.toLowerCase()
  return l === SCHEMA_CORE_V1 || l === schema.schemas[0]?.id.toLowerCase()
}

function canonicalUri (schema: ResourceSchema, uri: string): string {
  const l = uri.toLowerCase()
  return schema.schemas.find(s => s.id.toLowerCase() === l)?.id ?? uri
}
