// An in-memory collection of stored resources keyed by id, with secondary indexes from a lower-cased
// key to the ids holding it. Indexes are maintained on every put/delete, so lookups by userName,
// externalId, displayName, emails.value or members.value are O(1). Uniqueness is decided by the
// caller (entity-store.ts) before a put; the collection itself never refuses a write, which keeps
// journal replay simple and order-independent within an index.
import type { StoredResource } from './json.ts'

/** Extracts the index keys of a resource (already lower-cased / normalised). */
export type KeyFn = (r: StoredResource) => readonly string[]

/** key → one id (the common case, no Set allocated) or several ids. */
class MultiIndex {
  private readonly map = new Map<string, string | Set<string>>()

  add (key: string, id: string): void {
    const cur = this.map.get(key)
    if (cur === undefined) this.map.set(key, id)
    else if (typeof cur === 'string') { if (cur !== id) this.map.set(key, new Set([cur, id])) } else cur.add(id)
  }

  remove (key: string, id: string): void {
    const cur = this.map.get(key)
    if (cur === undefined) return
    if (typeof cur === 'string') { if (cur === id) this.map.delete(key); return }
    cur.delete(id)
    if (cur.size === 1) { const [only] = cur; if (only !== undefined) this.map.set(key, only) } else if (cur.size === 0) this.map.delete(key)
  }

  has (key: string, id: string): boolean {
    const cur = this.map.get(key)
    return cur === undefined ? false : typeof cur === 'string' ? cur === id : cur.has(id)
  }

  /** The ids under `key` (empty array when none). */
  get (key: string): readonly string[] {
    const cur = this.map.get(key)
    if (cur === undefined) return []
    return typeof cur === 'string' ? [cur] : [...cur]
  }
}

export class Collection {
  private readonly byId = new Map<string, StoredResource>()
  private readonly indexes = new Map<string, { keys: KeyFn, index: MultiIndex }>()

  /** @param indexes index name → key extractor, e.g. `{ username: r => [lower(r.userName)] }` */
  constructor (indexes: Record<string, KeyFn>) {
    for (const [name, keys] of Object.entries(indexes)) this.indexes.set(name, { keys, index: new MultiIndex() })
  }

  get size (): number { return this.byId.size }

  get (id: string): StoredResource | undefined { return this.byId.get(id) }

  /** Insertion order (creation order; a replace keeps the position). */
  values (): IterableIterator<StoredResource> { return this.byId.values() }

  /** Inserts or replaces by `r.id`, re-indexing. */
  put (r: StoredResource): void {
    const old = this.byId.get(r.id)
    if (old !== undefined) this.unindex(old)
    this.byId.set(r.id, r)
    for (const { keys, index } of this.indexes.values()) for (const k of keys(r)) index.add(k, r.id)
  }

  /** Removes by id; returns the removed resource. */
  delete (id: string): StoredResource | undefined {
    const old = this.byId.get(id)
    if (old === undefined) return undefined
    this.unindex(old)
    this.byId.delete(id)
    return old
  }

  /**
   * Replaces a resource whose index keys changed only in index `name`, by `added`/`removed` keys
   * (removed first): O(delta) instead of re-indexing every key (a group's members).
   */
  replaceDelta (r: StoredResource, name: string, added: readonly string[], removed: readonly string[]): void {
    if (!this.byId.has(r.id)) throw new Error(`no resource ${r.id} to replace`)
    const ix = this.index(name)
    this.byId.set(r.id, r)
    for (const k of removed) ix.remove(k, r.id)
    for (const k of added) ix.add(k, r.id)
  }

  /** True when index `name` maps `key` to `id` (O(1)). */
  indexHas (name: string, key: string, id: string): boolean {
    return this.index(name).has(key, id)
  }

  /** Ids whose index `name` holds `key` (key as the KeyFn produces it). */
  idsBy (name: string, key: string): readonly string[] {
    const ix = this.indexes.get(name)
    if (ix === undefined) throw new Error(`no index ${name}`)
    return ix.index.get(key)
  }

  /** Resources whose index `name` holds `key`. */
  findBy (name: string, key: string): StoredResource[] {
    const out: StoredResource[] = []
    for (const id of this.idsBy(name, key)) { const r = this.byId.get(id); if (r !== undefined) out.push(r) }
    return out
  }

  private index (name: string): MultiIndex {
    const ix = this.indexes.get(name)
    if (ix === undefined) throw new Error(`no index ${name}`)
    return ix.index
  }

  private unindex (r: StoredResource): void {
    for (const { keys, index } of this.indexes.values()) for (const k of keys(r)) index.remove(k, r.id)
  }
}

/** Lower-cases a string attribute value for an index key; non-strings give no key. */
export function lowerKeys (v: unknown): string[] {
  return typeof v === 'string' ? [v.toLowerCase()] : []
}

/** Keys of a multi-valued complex attribute's sub-attribute (e.g. emails[].value), lower-cased unless `exact`. */
export function subValueKeys (v: unknown, sub: string, exact = false): string[] {
  if (!Array.isArray(v)) return []
  const out: string[] = []
  for (const el of v) {
    if (typeof el !== 'object' || el === null || Array.isArray(el)) continue
    const s = (el as Record<string, unknown>)[sub]
    if (typeof s === 'string') out.push(exact ? s : s.toLowerCase())
  }
  return out
}
