// Retention of the service's rotated log files (`log.max_age`, `log.max_backups`), next to the
// size-based rotation the logger does itself (lib/logging/rotating-file.ts: `app.log` is current,
// `app.log.1` … the older ones). The logger only ever drops the oldest numbered file when it rotates;
// this removes rotated files older than max_age days (by modification time, which is the time of a
// file's last line: the moment it was rotated) and numbered files beyond max_backups (left over when
// max_backups was lowered). The current file is never touched. Runs at start and then periodically,
// because files age also while nothing is logged.
import { readdir, stat, unlink } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'
import type { Logger } from '../logging/types.ts'

const DAY_MS = 86_400_000

/** What {@link pruneRotatedLogs} keeps. */
export interface RetentionPolicy {
  /** Days a rotated file is kept; 0 = no age limit. */
  maxAgeDays: number
  /** Rotated files kept (`.1` … `.<maxBackups>`); higher numbers are removed. Undefined = no limit. */
  maxBackups?: number
  /** Clock (tests). */
  now?: () => number
}

/**
 * Removes rotated files of the log file `path` (`<path>.<n>`) that the policy does not keep.
 * Files that vanish meanwhile are ignored.
 * @returns the removed file paths
 * @example await pruneRotatedLogs('logs/scim-stream.log', { maxAgeDays: 30, maxBackups: 5 })
 */
export async function pruneRotatedLogs (path: string, policy: RetentionPolicy): Promise<string[]> {
  const dir = dirname(path)
  const prefix = `${basename(path)}.`
  let names: string[]
  try {
    names = await readdir(dir)
  } catch (err) {
    if (isNotFound(err)) return []
    throw err
  }
  const cutoff = policy.maxAgeDays > 0 ? (policy.now ?? Date.now)() - policy.maxAgeDays * DAY_MS : undefined
  const removed: string[] = []
  for (const name of names) {
    if (!name.startsWith(prefix)) continue
    const suffix = name.slice(prefix.length)
    if (!/^[1-9]\d*$/.test(suffix)) continue
    const file = join(dir, name)
    let drop = policy.maxBackups !== undefined && Number(suffix) > policy.maxBackups
    if (!drop && cutoff !== undefined) {
      try {
        drop = (await stat(file)).mtimeMs < cutoff
      } catch (err) {
        if (isNotFound(err)) continue
        throw err
      }
    }
    if (!drop) continue
    try {
      await unlink(file)
      removed.push(file)
    } catch (err) {
      if (!isNotFound(err)) throw err
    }
  }
  return removed
}

/** Options of {@link startLogRetention}. */
export interface LogRetentionOptions extends RetentionPolicy {
  path: string
  log: Logger
  /** Between sweeps (default one hour). */
  intervalMs?: number
}

/** A running retention sweep. */
export interface LogRetention {
  /** Sweeps now (also what the timer does); resolves with the removed files. */
  sweep (): Promise<string[]>
  /** Stops the timer and waits for a sweep in progress. */
  stop (): Promise<void>
}

/**
 * Sweeps at once and then every `intervalMs` (the timer does not keep the process alive).
 * Failures are logged, never thrown from the timer.
 * @example const r = startLogRetention({ path, maxAgeDays: 30, maxBackups: 5, log }); … await r.stop()
 */
export function startLogRetention (opts: LogRetentionOptions): LogRetention {
  let running: Promise<string[]> = Promise.resolve([])
  let stopped = false
  const sweep = async (): Promise<string[]> => {
    const p = running.then(async () => await pruneRotatedLogs(opts.path, opts)).then((removed) => {
      if (removed.length > 0) opts.log.info(`log retention removed ${removed.length} rotated log file(s)`, { files: removed.map(f => basename(f)) })
      return removed
    }, (err: unknown) => {
      opts.log.warn(`log retention failed: ${err instanceof Error ? err.message : String(err)}`)
      return []
    })
    running = p
    return await p
  }
  void sweep()
  const timer = setInterval(() => { if (!stopped) void sweep() }, opts.intervalMs ?? 3_600_000)
  timer.unref()
  return {
    sweep,
    async stop () {
      stopped = true
      clearInterval(timer)
      await running
    }
  }
}

function isNotFound (err: unknown): boolean {
  return err instanceof Error && 'code' in err && err.code === 'ENOENT'
}
