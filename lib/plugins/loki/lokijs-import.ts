// One-time import of a LokiJS database written by scimgateway's plugin-loki (LokiFsAdapter, the
// "normal" JSON serialisation: `{ filename, collections: [{ name: 'users'|'groups', data: [...] }] }`).
// Resources keep their ids (clients have stored them); LokiJS bookkeeping (`$loki`, its `meta`) is
// dropped and SCIM meta is rebuilt from it. Everything goes to the default store (no baseEntity).
import { isJsonObject, type JsonObject } from '../../scim/types.ts'
import type { Logger } from '../../logging/types.ts'
import type { JournalRecord, ResourceKind } from './records.ts'

/** True when `text` looks like a serialised LokiJS database. */
export function looksLikeLokiJs (text: string): boolean {
  return text.startsWith('{') && text.includes('"collections"')
}

/**
 * Converts a LokiJS database into journal records (an `entity` record, then the resources).
 * @throws Error when the text is not a LokiJS database with a `collections` array.
 */
export function recordsFromLokiJs (text: string, file: string, log: Logger): JournalRecord[] {
  let db: unknown
  try { db = JSON.parse(text) } catch (e) { throw new Error(`${file}: looks like a LokiJS database but is not valid JSON (${String(e)})`) }
  if (!isJsonObject(db) || !Array.isArray(db.collections)) throw new Error(`${file}: not a LokiJS database (no "collections" array)`)
  const out: JournalRecord[] = [{ op: 'entity' }]
  for (const coll of db.collections) {
    if (!isJsonObject(coll) || !Array.isArray(coll.data)) continue
    const kind: ResourceKind | undefined = coll.name === 'users' ? 'User' : coll.name === 'groups' ? 'Group' : undefined
    if (kind === undefined) { log.warn('plugin-loki: LokiJS import skips an unknown collection', { file, collection: String(coll.name) }); continue }
    const uniqueAttr = kind === 'User' ? 'userName' : 'displayName'
    const seenIds = new Set<string>()
    const seenNames = new Set<string>()
    for (const doc of coll.data) {
      if (!isJsonObject(doc)) continue
      const r = convert(doc, kind)
      const name = r[uniqueAttr]
      if (r.id === '' || typeof name !== 'string' || seenIds.has(r.id) || seenNames.has(name.toLowerCase())) {
        log.warn(`plugin-loki: LokiJS import skips a ${kind} without a unique id and ${uniqueAttr}`, { file, id: String(doc.id) })
        continue
      }
      seenIds.add(r.id)
      seenNames.add(name.toLowerCase())
      out.push({ op: 'put', t: kind, r })
    }
  }
  return out
}

function convert (doc: JsonObject, kind: ResourceKind): JsonObject & { id: string } {
  const id = typeof doc.id === 'string' && doc.id !== '' ? doc.id : typeof doc.$loki === 'number' ? String(doc.$loki) : ''
  const r: JsonObject & { id: string } = { id }
  for (const [k, v] of Object.entries(doc)) {
    if (k === 'id' || k === '$loki' || k === 'meta' || k === 'password' || (kind === 'User' && k === 'groups')) continue
    r[k] = v
  }
  const lm = isJsonObject(doc.meta) ? doc.meta : {}
  const created = typeof lm.created === 'number' ? new Date(lm.created).toISOString() : new Date().toISOString()
  const updated = typeof lm.updated === 'number' ? new Date(lm.updated).toISOString() : created
  const revision = typeof lm.revision === 'number' ? lm.revision : 0
  r.meta = { resourceType: kind, created, lastModified: updated, version: `W/"${revision + 1}"` }
  return r
}
