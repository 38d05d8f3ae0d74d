// The records of the store's journal, one JSON object per line. A record is the unit of change:
// `entity` (a baseEntity's store was created), `put` (a whole resource, insert or replace), `del`
// and `members` (a group's member delta, so a join of a large group does not rewrite it).
// Replaying the records in order rebuilds the store; replaying a `put` or `del` twice is harmless.
import type { JsonObject } from '../../scim/types.ts'
import { isPlainRecord } from './json.ts'

export type ResourceKind = 'User' | 'Group'

export type JournalRecord =
  | { op: 'entity', e?: string }
  | { op: 'put', e?: string, t: ResourceKind, r: JsonObject & { id: string } }
  | { op: 'del', e?: string, t: ResourceKind, id: string }
  /** A group's member delta (remove first, then add; an added value already present replaces that element). */
  | { op: 'members', e?: string, id: string, add: JsonObject[], remove: string[], meta: JsonObject }

/** First line of every journal file; lets us refuse a foreign file (e.g. an old LokiJS loki.db). */
export const JOURNAL_HEADER = { scimLokiJournal: 1 } as const
export const JOURNAL_HEADER_LINE = JSON.stringify(JOURNAL_HEADER) + '\n'

/** The entity key of a record: '' is the default store (no baseEntity). */
export function entityOf (rec: JournalRecord): string { return rec.e ?? '' }

/** Serialises one record as a journal line (with the trailing newline). */
export function recordLine (rec: JournalRecord): string { return JSON.stringify(rec) + '\n' }

/** Narrows a parsed journal line; returns a reason string when it is not a valid record. */
export function parseRecord (v: unknown): JournalRecord | string {
  if (!isPlainRecord(v)) return 'not an object'
  const e = v.e
  if (e !== undefined && typeof e !== 'string') return '"e" is not a string'
  const base = e === undefined ? {} : { e }
  switch (v.op) {
    case 'entity':
      return { op: 'entity', ...base }
    case 'put': {
      if (v.t !== 'User' && v.t !== 'Group') return '"t" is not User or Group'
      const r = v.r
      if (!isPlainRecord(r) || typeof r.id !== 'string') return '"r" is not a resource with an id'
      return { op: 'put', ...base, t: v.t, r: r as JsonObject & { id: string } }
    }
    case 'del':
      if (v.t !== 'User' && v.t !== 'Group') return '"t" is not User or Group'
      if (typeof v.id !== 'string') return '"id" is not a string'
      return { op: 'del', ...base, t: v.t, id: v.id }
    case 'members': {
      if (typeof v.id !== 'string') return '"id" is not a string'
      if (!Array.isArray(v.add) || !v.add.every(isPlainRecord)) return '"add" is not a list of objects'
      if (!Array.isArray(v.remove) || !v.remove.every(x => typeof x === 'string')) return '"remove" is not a list of strings'
      if (!isPlainRecord(v.meta)) return '"meta" is not an object'
      return { op: 'members', ...base, id: v.id, add: v.add as JsonObject[], remove: v.remove as string[], meta: v.meta as JsonObject }
    }
    default:
      return `unknown op ${JSON.stringify(v.op)}`
  }
}
