// Options of plugin-loki (programmatic) and their checks. The config file's `endpoint` section is
// declared and mapped onto these in loki/endpoint.ts.

/** Options of {@link createLokiPlugin}. */
export interface LokiOptions {
  /**
   * `'memory'`: nothing is written, data is lost on stop.
   * `{ file }`: an append-only journal at `file` (absolute, or relative to the working directory);
   * every acknowledged write survives a crash. `fsync` (default true) fdatasyncs each group of
   * writes; `compactThreshold` (default 10000) is the journal length (lines) above which it is
   * rewritten once it holds more than twice the live records.
   */
  persistence: 'memory' | { file: string, fsync?: boolean, compactThreshold?: number }
  /** Seed a new store (per baseEntity) with bjensen, jsmith, Admins and Employees. Default true. */
  demoData?: boolean
  /**
   * baseEntities served besides the default one (requests without a baseEntity). Listed ones are
   * created at start; others answer 404. Default: every baseEntity, its store created on first use.
   */
  entities?: string[]
  /** Refuse a second group with the same displayName (case-insensitive) with 409. Default true. */
  uniqueGroupDisplayName?: boolean
}

/** A bad `endpoint` section; `problems` lists every problem with its path. */
export class LokiOptionsError extends Error {
  constructor (readonly problems: string[]) {
    super(`invalid plugin-loki configuration:\n  ${problems.join('\n  ')}`)
    this.name = 'LokiOptionsError'
  }
}

/** Checks programmatic options (a TypeScript caller can still pass JSON from elsewhere). */
export function checkLokiOptions (opts: LokiOptions): void {
  const problems: string[] = []
  const p: unknown = opts.persistence
  if (p !== 'memory') {
    if (typeof p !== 'object' || p === null || typeof (p as { file?: unknown }).file !== 'string' || (p as { file: string }).file === '') {
      problems.push(`persistence: expected 'memory' or { file: string }, got ${JSON.stringify(p)}`)
    } else {
      const { fsync, compactThreshold } = p as { fsync?: unknown, compactThreshold?: unknown }
      if (fsync !== undefined && typeof fsync !== 'boolean') problems.push(`persistence.fsync: expected a boolean, got ${JSON.stringify(fsync)}`)
      if (compactThreshold !== undefined && (typeof compactThreshold !== 'number' || !Number.isInteger(compactThreshold) || compactThreshold < 1)) {
        problems.push(`persistence.compactThreshold: expected a positive integer, got ${JSON.stringify(compactThreshold)}`)
      }
    }
  }
  for (const k of ['demoData', 'uniqueGroupDisplayName'] as const) {
    const v: unknown = opts[k]
    if (v !== undefined && typeof v !== 'boolean') problems.push(`${k}: expected a boolean, got ${JSON.stringify(v)}`)
  }
  const ents: unknown = opts.entities
  if (ents !== undefined && (!Array.isArray(ents) || ents.some(e => typeof e !== 'string' || e === ''))) {
    problems.push(`entities: expected an array of non-empty strings, got ${JSON.stringify(ents)}`)
  }
  if (problems.length > 0) throw new LokiOptionsError(problems)
}
