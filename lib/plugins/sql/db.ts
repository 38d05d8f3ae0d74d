// The driver-neutral database handle the SQL plugin talks to. Each dialect adapter (dialects/*.ts)
// wraps its driver's pool behind this interface, so the SQL text the plugin builds is the only thing
// that differs between SQL Server, PostgreSQL and MariaDB/MySQL (see dialect.ts).

/** A result row keyed by column name (or alias). */
export type Row = Record<string, unknown>

/** Runs parameterised statements: `sql` contains the dialect's placeholders, `params` their values in order. */
export interface Queryable {
  query (sql: string, params: readonly unknown[]): Promise<Row[]>
  /** Runs a write; resolves to the number of affected rows. */
  exec (sql: string, params: readonly unknown[]): Promise<number>
}

/** A pool of connections to one database (one per baseEntity). */
export interface Db extends Queryable {
  /**
   * Runs `fn` in a transaction on one connection: committed when `fn` resolves, rolled back when it
   * throws. A failure during COMMIT is rethrown wrapped in {@link CommitError} (outcome unknown).
   */
  tx<T> (fn: (q: Queryable) => Promise<T>): Promise<T>
  /** Closes every connection of the pool. */
  close (): Promise<void>
}

/** The commit itself failed: the transaction may or may not have been applied, so it is never retried. */
export class CommitError extends Error {
  constructor (cause: unknown) {
    super(`COMMIT failed: ${cause instanceof Error ? cause.message : String(cause)}`, { cause })
    this.name = 'CommitError'
  }
}

/** Connection settings common to all drivers (a `url` wins over the separate fields it contains). */
export interface ConnectionSettings {
  url?: string
  host?: string
  port?: number
  user?: string
  password?: string
  database?: string
  /** Driver-specific extras passed as they are (pg `ssl`, mysql2 `ssl`, mssql `options.encrypt`, …). */
  options?: Record<string, unknown>
}

export interface PoolSettings {
  /** Most connections the pool opens (default 10). */
  max: number
  /** Idle connections are closed after this many ms (default 30000). */
  idleTimeoutMs: number
  /** Giving up opening a connection after this many ms (default 5000) → 503. */
  connectTimeoutMs: number
}
