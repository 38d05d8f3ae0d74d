// The whole embedded store: one EntityStore per baseEntity, optionally backed by a journal file.
// Entities are created on first use (seeded with demo data in the same atomic journal line, but
// never in a store whose journal file existed before this start) or,
// when an explicit list is configured, at start; a baseEntity outside the list is a 404.
import { NotFoundError } from '../../scim/errors.ts'
import type { Logger } from '../../logging/types.ts'
import { seedDemoData } from './demo-data.ts'
import { EntityStore, type WriteResult } from './entity-store.ts'
import { Journal } from './journal.ts'
import { entityOf, type JournalRecord } from './records.ts'

export interface DatabaseOptions {
  persistence: 'memory' | { file: string, fsync: boolean, compactThreshold: number }
  demoData: boolean
  /** baseEntities served besides the default one; `undefined` = any, created lazily. */
  entities: readonly string[] | undefined
  uniqueGroupDisplayName: boolean
}

export class Database {
  private readonly stores = new Map<string, EntityStore>()
  private journal: Journal | undefined
  /** False when the journal file existed before this start: demo data goes only into new stores. */
  private seedDemoData: boolean

  private constructor (private readonly opts: DatabaseOptions, private readonly log: Logger) {
    this.seedDemoData = opts.demoData
  }

  /** Loads the journal (if any), then creates the default and configured entities that are missing. */
  static async open (opts: DatabaseOptions, log: Logger): Promise<Database> {
    const db = new Database(opts, log)
    if (opts.persistence !== 'memory') {
      const p = opts.persistence
      db.journal = await Journal.open({
        file: p.file,
        fsync: p.fsync,
        compactThreshold: p.compactThreshold,
        log,
        snapshot: () => db.snapshot(),
        liveCount: () => db.liveCount()
      }, rec => { db.storeFor(entityOf(rec)).apply(rec) })
      for (const s of db.stores.values()) s.endReplay()
      if (db.journal.existed) db.seedDemoData = false
      log.info('plugin-loki: journal loaded', { file: p.file, lines: db.journal.size, entities: db.stores.size, records: db.liveCount() })
    }
    const creations = ['', ...(opts.entities ?? [])].map(async name => await db.entity(name))
    await Promise.all(creations)
    return db
  }

  /**
   * The store of a baseEntity (`undefined`/'' = default), created and seeded on first use.
   * @throws NotFoundError when `entities` is configured and does not list `baseEntity`.
   */
  async entity (baseEntity: string | undefined): Promise<EntityStore> {
    const name = baseEntity ?? ''
    const existing = this.stores.get(name)
    if (existing !== undefined) return existing
    if (name !== '' && this.opts.entities !== undefined && !this.opts.entities.includes(name)) {
      throw new NotFoundError(`baseEntity ${JSON.stringify(name)} is not configured`)
    }
    const store = this.storeFor(name)
    const records: JournalRecord[] = [name === '' ? { op: 'entity' } : { op: 'entity', e: name }]
    if (this.seedDemoData) records.push(...seedDemoData(store))
    await this.journal?.append(records)
    return store
  }

  /**
   * Runs a synchronous write on a baseEntity's store and resolves with its result once the write is
   * durable. Throws what the write throws (ScimError) without touching the store.
   */
  async write<T> (baseEntity: string | undefined, fn: (s: EntityStore) => WriteResult<T>): Promise<T> {
    const store = await this.entity(baseEntity)
    const { result, records } = fn(store)
    await this.journal?.append(records)
    return result
  }

  /** Flushes and closes the journal (compacting it when it holds superseded lines). */
  async close (): Promise<void> {
    await this.journal?.close()
    this.journal = undefined
  }

  private storeFor (name: string): EntityStore {
    let s = this.stores.get(name)
    if (s === undefined) {
      s = new EntityStore(name, { uniqueGroupDisplayName: this.opts.uniqueGroupDisplayName })
      this.stores.set(name, s)
    }
    return s
  }

  private liveCount (): number {
    let n = 0
    for (const s of this.stores.values()) n += 1 + s.users.size + s.groups.size
    return n
  }

  private snapshot (): JournalRecord[] {
    const out: JournalRecord[] = []
    for (const [name, s] of this.stores) {
      const e = name === '' ? {} : { e: name }
      out.push({ op: 'entity', ...e })
      for (const r of s.users.values()) out.push({ op: 'put', ...e, t: 'User', r })
      for (const r of s.groups.values()) out.push({ op: 'put', ...e, t: 'Group', r })
    }
    return out
  }
}
