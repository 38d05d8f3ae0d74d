// Loading a plugin-loki journal safely: replays the lines, decides what a damaged end means, and
// keeps the clean-shutdown marker `<file>.state` that makes that decision possible.
//
// Only a genuinely torn final line may be dropped: a last line without its newline, left by a crash
// during a write (that write was never acknowledged, so dropping it loses nothing promised). A tear
// is possible only if the gateway did not shut down cleanly, which `<file>.state` records: `open`
// while the journal is in use, `closed` with the file's length after a clean stop. Everything else
// refuses to start, naming the file, the line and a recovery command:
// - an empty (0-byte) file, or one that ends inside its header line;
// - a complete last line that is not a valid record (valid JSON or not);
// - an unterminated last line after a clean shutdown, or any length other than the recorded one
//   (the file was truncated or altered while the gateway was stopped);
// - damage before the last line (as before).
// What is cut is kept in `<file>.torn-<time>.bak`.
import { readFile, writeFile, rename, open } from 'node:fs/promises'
import { dirname } from 'node:path'
import { JOURNAL_HEADER_LINE, parseRecord, type JournalRecord } from './records.ts'

/** What `<file>.state` says. Missing (journals older than the marker) counts as not clean. */
export interface JournalState { clean: boolean, length?: number }

export async function readState (file: string): Promise<JournalState | undefined> {
  let text: string
  try { text = await readFile(stateFile(file), 'utf8') } catch { return undefined }
  try {
    const v: unknown = JSON.parse(text)
    if (typeof v !== 'object' || v === null) return undefined
    const o = v as { state?: unknown, length?: unknown }
    return o.state === 'closed' && typeof o.length === 'number' ? { clean: true, length: o.length } : { clean: false }
  } catch { return undefined }
}

/** Records `open` (before any append) or `closed` with the final length; durable (tmp + rename + dir sync). */
export async function writeState (file: string, state: JournalState): Promise<void> {
  const body = JSON.stringify(state.clean ? { state: 'closed', length: state.length } : { state: 'open' }) + '\n'
  const tmp = stateFile(file) + '.tmp'
  const fh = await open(tmp, 'w')
  try { await fh.writeFile(body, 'utf8'); await fh.datasync() } finally { await fh.close() }
  await rename(tmp, stateFile(file))
  await syncDirOf(file)
}

export function stateFile (file: string): string { return file + '.state' }

/** A journal that must not be loaded; the message names the file, the line and how to recover. */
export class JournalDamagedError extends Error {
  constructor (readonly file: string, readonly line: number | undefined, problem: string, recovery: string, options?: ErrorOptions) {
    super(`${file}${line !== undefined ? `:${line}` : ''}: ${problem}; refusing to start on a damaged store. To recover: ${recovery}`, options)
    this.name = 'JournalDamagedError'
  }
}

/** The shell command that keeps lines 1..keep (header + valid records) and saves the original. */
export function truncateCommand (file: string, keep: number): string {
  return `cp '${file}' '${file}.bak' && head -n ${keep} '${file}.bak' > '${file}' && rm -f '${file}.state' (or restore the file from a backup)`
}

/** Refuses an empty file or one cut inside its header line. */
export function checkNotEmpty (file: string, text: string): void {
  if (text === '' || (text.length < JOURNAL_HEADER_LINE.length && JOURNAL_HEADER_LINE.startsWith(text))) {
    throw new JournalDamagedError(file, 1, text === '' ? 'the journal is empty (0 bytes), not even its header line' : 'the journal ends inside its header line',
      `restore it from a backup; or, to start a new store and lose what it held, rm -f '${file}' '${file}.state'`)
  }
}

export interface Replayed {
  /** Complete lines replayed (header excluded). */
  lines: number
  /** Byte length of what was replayed; shorter than the file only when a torn last line is dropped. */
  validLength: number
  /** 1-based line number of the dropped torn line. */
  tornLine?: number
}

/**
 * Replays the journal text through `apply`.
 * @throws JournalDamagedError for anything but a torn last line after an unclean shutdown
 */
export function replay (text: string, file: string, state: JournalState | undefined, apply: (rec: JournalRecord) => void): Replayed {
  const headerEnd = text.indexOf('\n')
  if (headerEnd < 0 || text.slice(0, headerEnd + 1) !== JOURNAL_HEADER_LINE) {
    throw new Error(`${file} is not a plugin-loki journal (nor a LokiJS database); move it away or choose another dbname`)
  }
  let pos = headerEnd + 1
  let lines = 0
  let lineNo = 1
  while (pos < text.length) {
    const nl = text.indexOf('\n', pos)
    const line = text.slice(pos, nl < 0 ? text.length : nl)
    lineNo++
    let json: unknown
    let recs: JournalRecord[] | string
    let validJson = true
    try { json = JSON.parse(line) } catch (e) { validJson = false; json = e instanceof Error ? e.message : String(e) }
    recs = validJson ? parseLine(json) : String(json)
    const isLast = nl < 0 || text.slice(nl + 1) === ''
    if (nl < 0) {
      // no newline: the tail of a write that never completed, unless it is valid JSON that is not a record
      if (validJson && typeof recs === 'string') throw new JournalDamagedError(file, lineNo, `the last line is JSON but not a valid record (${recs})`, truncateCommand(file, lineNo - 1))
      if (state?.clean === true) {
        throw new JournalDamagedError(file, lineNo, `the journal was closed cleanly at ${state.length ?? '?'} bytes but now ends inside line ${lineNo} (${Buffer.byteLength(text)} bytes): it was truncated or altered while stopped`, truncateCommand(file, lineNo - 1))
      }
      return { lines, validLength: Buffer.byteLength(text.slice(0, pos)), tornLine: lineNo }
    }
    if (typeof recs === 'string') {
      const where = isLast ? 'the last line, though complete,' : 'a line before the end'
      throw new JournalDamagedError(file, lineNo, `${where} is not a valid journal record (${recs})`, truncateCommand(file, lineNo - 1))
    }
    for (const r of recs) apply(r)
    lines++
    pos = nl + 1
  }
  const size = Buffer.byteLength(text)
  if (state?.clean === true && state.length !== undefined && state.length !== size) {
    throw new JournalDamagedError(file, lineNo, `the journal was closed cleanly at ${state.length} bytes but is now ${size} bytes: it was truncated or altered while stopped`,
      `restore it from a backup; or, if the change was intended, rm -f '${stateFile(file)}'`)
  }
  return { lines, validLength: size }
}

function parseLine (v: unknown): JournalRecord[] | string {
  const items = Array.isArray(v) ? v : [v]
  const out: JournalRecord[] = []
  for (const item of items) {
    const r = parseRecord(item)
    if (typeof r === 'string') return r
    out.push(r)
  }
  return out
}

/** Saves the bytes about to be cut off next to the journal; returns the file name. */
export async function saveCut (file: string, cut: Buffer): Promise<string> {
  const bak = `${file}.torn-${new Date().toISOString().replace(/[:.]/g, '-')}.bak`
  await writeFile(bak, cut)
  return bak
}

async function syncDirOf (file: string): Promise<void> {
  const fh = await open(dirname(file), 'r')
  try { await fh.sync() } finally { await fh.close() }
}
