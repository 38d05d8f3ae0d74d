// What differs between SQL dialects: placeholders, identifier quoting, paging, how a driver reports
// unique violations / lost connections / bad data, and the DDL. The plugin builds all SQL through
// this interface; everything else (filters, CRUD, transactions) is shared.
import type { ConnectionSettings, Db, PoolSettings } from './db.ts'
import type { Tables } from './mapping.ts'

export type DialectName = 'mssql' | 'postgres' | 'mysql'

export interface Dialect {
  readonly name: DialectName
  /** The placeholder of the i-th (1-based) parameter: `$1`, `?`, `@p1`. */
  param (i: number): string
  /** A quoted identifier; `schema.table` is quoted part by part. Names are validated by the options. */
  ident (name: string): string
  /** The paging clause following an ORDER BY (offset and limit are validated integers). */
  page (offset: number, limit: number): string
  /** `FOR UPDATE`-style row lock suffix of a SELECT, or '' (SQL Server uses table hints instead). */
  readonly lockSuffix: string
  /**
   * A scalar subquery yielding a JSON array of objects `{key: expr, …}` over the rows of `fromWhere`
   * (`<tables> WHERE <condition>`), or NULL/empty when there are none. Lets a user's emails and
   * groups come back in the same statement as the user (one round trip).
   */
  jsonArray (fields: Array<[string, string]>, fromWhere: string): string
  /** Classifies a driver error. */
  classify (err: unknown): ErrorClass
  /** Statements creating the tables and indexes when they do not exist. */
  ddl (t: Tables, opts: { uniqueGroupDisplayName: boolean }): string[]
  /** Opens a pool (no connection is made until the first query). */
  open (conn: ConnectionSettings, pool: PoolSettings): Db
}

/**
 * - unique: a unique index / primary key refused the row
 * - data: the database refused a value (too long, bad encoding, out of range)
 * - connection: the database is unreachable or the connection was lost (→ 503, retried once)
 * - retry: deadlock or serialisation failure (the transaction is retried)
 */
export type ErrorClass = 'unique' | 'data' | 'connection' | 'retry' | 'other'

const NET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'ENOTFOUND', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'ESOCKET', 'ECONNCLOSED', 'ETIMEOUT', 'PROTOCOL_CONNECTION_LOST', 'PROTOCOL_SEQUENCE_TIMEOUT', 'ER_SERVER_SHUTDOWN', 'ER_CON_COUNT_ERROR'])

/** Network-level failures every driver reports through a Node `code`. */
export function isNetworkError (err: unknown): boolean {
  if (!(err instanceof Error)) return false
  const code = (err as { code?: unknown }).code
  if (typeof code === 'string' && NET_CODES.has(code)) return true
  if (/Connection terminated|connection is closed|Client has encountered a connection error|Cannot enqueue|pool is closed|Connection lost/i.test(err.message)) return true
  const cause = (err as { cause?: unknown }).cause
  return cause !== undefined && cause !== err && isNetworkError(cause)
}

/** Quotes each dot-separated part of a validated name with `open`/`close`. */
export function quoteParts (name: string, open: string, close: string): string {
  return name.split('.').map(p => `${open}${p}${close}`).join('.')
}
