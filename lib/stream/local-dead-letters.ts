// Local dead letters of a subscribing entity: when the tenant has no JetStream DLQ (a deployed SCIM
// Stream server has none) or the subscriber user may not publish there, a permanently failed message
// is kept in a JSONL file under the gateway's state directory — body, headers, reason, consumer,
// stream sequence, time — and then terminated. Written with fsync before the term: a dead letter is
// never lost. The `stream-dlq` tooling lists and replays these next to the JetStream ones.
//
// File: `<stateDir>/<consumer>.dead-letters.jsonl`, one JSON object per line (LocalDeadLetter).
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs'
import { dirname, join } from 'node:path'

/** One locally kept dead letter. */
export interface LocalDeadLetter {
  /** When it was dead-lettered (ISO 8601). */
  time: string
  consumer: string
  /** The tenant stream and the message's sequence in it. */
  stream: string
  streamSeq: number
  subject: string
  /** `Msg-Id` ('' when the message had none). */
  msgId: string
  reason: string
  /** Every header of the message (first value of each). */
  headers: Record<string, string>
  /** The body as UTF-8 text, or base64 when it is not valid UTF-8 (`bodyEncoding`). */
  body: string
  bodyEncoding: 'utf8' | 'base64'
}

/** The file of a consumer's local dead letters. */
export function localDeadLetterFile (stateDir: string, consumer: string): string {
  return join(stateDir, `${consumer.replace(/[^A-Za-z0-9_#.-]/g, '_')}.dead-letters.jsonl`)
}

const utf8 = new TextDecoder('utf-8', { fatal: true })

/** Body as stored: text when it is UTF-8. */
export function encodeBody (data: Uint8Array): Pick<LocalDeadLetter, 'body' | 'bodyEncoding'> {
  try {
    return { body: utf8.decode(data), bodyEncoding: 'utf8' }
  } catch {
    return { body: Buffer.from(data).toString('base64'), bodyEncoding: 'base64' }
  }
}

/** The stored body as bytes. */
export function bodyBytes (d: Pick<LocalDeadLetter, 'body' | 'bodyEncoding'>): Uint8Array {
  return d.bodyEncoding === 'base64' ? Buffer.from(d.body, 'base64') : Buffer.from(d.body, 'utf8')
}

/**
 * Appends a dead letter durably (fsync).
 * @throws when the file cannot be written (the caller keeps the message)
 */
export function appendLocalDeadLetter (file: string, d: LocalDeadLetter): void {
  mkdirSync(dirname(file), { recursive: true })
  const fd = openSync(file, 'a')
  try {
    writeSync(fd, `${JSON.stringify(d)}\n`)
    fsyncSync(fd)
  } finally {
    closeSync(fd)
  }
}

/**
 * The dead letters in a file, oldest first; one message dead-lettered twice (a redelivery whose
 * term was lost) is listed once. A missing file is an empty list; unreadable lines are skipped.
 */
export function readLocalDeadLetters (file: string): LocalDeadLetter[] {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return []
    throw err
  }
  const out = new Map<string, LocalDeadLetter>()
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue
    try {
      const d = JSON.parse(line) as LocalDeadLetter
      if (typeof d.streamSeq === 'number' && typeof d.subject === 'string' && typeof d.body === 'string') out.set(`${d.stream}\u0000${d.streamSeq}`, d)
    } catch { /* a torn line */ }
  }
  return [...out.values()]
}

/** Rewrites the file without the dead letters of `streamSeqs` (after they were replayed). */
export function removeLocalDeadLetters (file: string, streamSeqs: ReadonlySet<number>): void {
  const keep = readLocalDeadLetters(file).filter(d => !streamSeqs.has(d.streamSeq))
  const tmp = `${file}.tmp`
  const fd = openSync(tmp, 'w')
  try {
    writeSync(fd, keep.map(d => `${JSON.stringify(d)}\n`).join(''))
    fsyncSync(fd)
  } finally {
    closeSync(fd)
  }
  renameSync(tmp, file)
}
