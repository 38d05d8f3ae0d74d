// Durable per-user order state of one subscribing entity (docs/stream.md "Crash safety"): for every
// user (order key) the stream sequence of the last message applied, written before the message is
// acknowledged. A delivery whose sequence is not above its user's mark is a redelivery of a message
// already applied (its ack was lost: gateway killed between apply and ack, nats-server killed
// before it stored the ack) or one that a later message of the user already superseded: it is
// skipped and acknowledged, so a message of a user is never applied after a later one.
//
// It also records, per delivery, the ack reply subject: after a crash, the next run gives the
// messages its previous run received back to the server at once (a NAK on their reply subjects)
// instead of waiting the consumer's ack_wait (docs/stream.md "Recovery after a restart"). Every
// receipt since the last compaction is given back, also of messages applied: their ack may have
// been lost with the process; the server ignores a NAK of what is acknowledged, and a redelivered
// applied message is skipped by its mark.
//
// File: one line per record, append-only, compacted when it grows:
//   {"v":1,"stream":"<name>","created":"<stream created>"}  header (another stream → state reset)
//   a <seq> <key>        applied (or dead-lettered) up to <seq> for <key>
//   r <seq> <key> <reply> received, not yet known applied
//   c                    clean stop (everything held was given back)
// Writes are synchronous (the OS has the bytes before the ack is sent; a gateway process killed
// with -9 loses nothing). A power loss may lose the last writes: then at worst a message applied
// just before is applied once more (idempotent), never out of order with a later one.
import { closeSync, mkdirSync, openSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync, writeSync } from 'node:fs'
import { dirname } from 'node:path'

/** Identity of the stream the sequences belong to (a re-created stream restarts at 1). */
export interface StreamIdentity { stream: string, created: string }

/** A delivery the previous run received and did not finish. */
export interface HeldBefore { seq: number, reply: string }

const COMPACT_MIN_LINES = 20_000

/** Journal files open in this process (a second subscriber on the same file would corrupt it). */
const openHere = new Set<string>()

/** The journal file is in use by another subscriber (this process or another live one). */
export class JournalBusyError extends Error {
  constructor (file: string, pid: number) {
    super(`order journal ${file} is in use by ${pid === process.pid ? 'this process' : `process ${pid}`}: give each gateway its own state directory`)
    this.name = 'JournalBusyError'
  }
}

/** Takes `<file>.lock` (pid inside); a lock of a dead process is taken over. */
function lock (file: string): void {
  if (openHere.has(file)) throw new JournalBusyError(file, process.pid)
  const lockFile = `${file}.lock`
  try {
    const pid = Number(readFileSync(lockFile, 'utf8').trim())
    if (Number.isSafeInteger(pid) && pid > 0 && pid !== process.pid && alive(pid)) throw new JournalBusyError(file, pid)
  } catch (err) {
    if (err instanceof JournalBusyError) throw err
  }
  writeFileSync(lockFile, String(process.pid))
  openHere.add(file)
}

function alive (pid: number): boolean {
  try { process.kill(pid, 0); return true } catch (err) { return (err as NodeJS.ErrnoException).code === 'EPERM' }
}

/**
 * @example
 * const j = OrderJournal.open('/var/lib/gw/stream/durable_loki_acme.order', { stream: 'acme', created })
 * if ((j.lastApplied('u:bjensen') ?? 0) >= m.seq) skip(); else { apply(); j.applied('u:bjensen', m.seq); m.ack() }
 */
export class OrderJournal {
  readonly file: string
  readonly #marks = new Map<string, number>()
  readonly #held: HeldBefore[]
  readonly #lastRunClean: boolean
  /** When the previous run last wrote the file (ms since epoch; 0 = no file). */
  readonly lastWriteMs: number
  #fd: number
  #lines = 0
  #buffer = ''
  #flushScheduled = false
  #closed = false
  /** Receipts of the messages held now (kept across a compaction). */
  #heldNow: () => Iterable<{ seq: number, key: string, reply: string }> = () => []

  private constructor (file: string, identity: StreamIdentity, text: string | undefined, lastWriteMs: number) {
    this.file = file
    this.lastWriteMs = lastWriteMs
    const held = new Map<number, { key: string, reply: string }>()
    let clean = true
    const lines = text === undefined ? [] : text.split('\n')
    const header = parseHeader(lines[0])
    if (header !== undefined && header.stream === identity.stream && header.created === identity.created) {
      for (let i = 1; i < lines.length; i++) {
        const line = lines[i] as string
        if (line === '') continue
        const kind = line[0]
        if (kind === 'c') { clean = true; held.clear(); continue }
        const sp1 = line.indexOf(' ', 2)
        if (sp1 < 0) continue // a torn last line
        const seq = Number(line.slice(2, sp1))
        if (!Number.isSafeInteger(seq)) continue
        if (kind === 'a') {
          const key = line.slice(sp1 + 1)
          if ((this.#marks.get(key) ?? 0) < seq) this.#marks.set(key, seq)
        } else if (kind === 'r') {
          const sp2 = line.indexOf(' ', sp1 + 1)
          if (sp2 < 0) continue
          clean = false
          held.set(seq, { key: line.slice(sp1 + 1, sp2), reply: line.slice(sp2 + 1) })
        }
      }
    }
    this.#lastRunClean = clean
    this.#held = [...held].map(([seq, h]) => ({ seq, reply: h.reply })).sort((a, b) => a.seq - b.seq)
    mkdirSync(dirname(file), { recursive: true })
    this.#fd = this.#rewrite(identity)
  }

  /**
   * Reads (or creates) the journal of a consumer; state of another stream identity is discarded.
   * @throws JournalBusyError when another live subscriber has it open; fs errors when it cannot be written
   */
  static open (file: string, identity: StreamIdentity): OrderJournal {
    mkdirSync(dirname(file), { recursive: true })
    lock(file)
    let text: string | undefined
    let mtime = 0
    try {
      mtime = statSync(file).mtimeMs
      text = readFileSync(file, 'utf8')
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
    }
    try {
      return new OrderJournal(file, identity, text, mtime)
    } catch (err) {
      openHere.delete(file)
      throw err
    }
  }

  /** Deliveries the previous run held when it ended without a clean stop (oldest first). */
  heldBefore (): readonly HeldBefore[] { return this.#lastRunClean ? [] : this.#held }

  /** Users (order keys) with a mark. */
  get size (): number { return this.#marks.size }

  /** The stream sequence of the last message applied for `key`. */
  lastApplied (key: string): number | undefined { return this.#marks.get(key) }

  /** Notes a delivery (written with the next applied record, or right after the current burst). */
  received (seq: number, key: string, reply: string): void {
    if (reply === '' || /\s/.test(reply) || /\n/.test(key)) return
    this.#buffer += `r ${seq} ${key} ${reply}\n`
    this.#lines++
    if (!this.#flushScheduled) {
      this.#flushScheduled = true
      setImmediate(() => { this.#flushScheduled = false; if (!this.#closed) this.flush() })
    }
  }

  /** Records that `key` is applied up to `seq`; on disk (OS) when this returns. */
  applied (key: string, seq: number): void {
    this.mark(key, seq)
    this.flush()
  }

  /** Records the mark in memory and the buffer; durable after the next {@link flush}. */
  mark (key: string, seq: number): void {
    if ((this.#marks.get(key) ?? 0) >= seq || /\n/.test(key)) return
    this.#marks.set(key, seq)
    this.#buffer += `a ${seq} ${key}\n`
    this.#lines++
  }

  /** Writes buffered records (one write for all of them). */
  flush (): void {
    if (this.#buffer === '') return
    const b = this.#buffer
    this.#buffer = ''
    writeSync(this.#fd, b)
    if (this.#lines > Math.max(COMPACT_MIN_LINES, this.#marks.size * 4)) this.#compact()
  }

  /** What is held now (re-written as receipts when the file is compacted). */
  trackHeld (heldNow: () => Iterable<{ seq: number, key: string, reply: string }>): void {
    this.#heldNow = heldNow
  }

  /** Marks a clean stop (nothing held any more) and closes the file. */
  close (clean: boolean): void {
    if (this.#closed) return
    if (clean) this.#buffer += 'c\n'
    try { this.flush() } finally {
      this.#closed = true
      closeSync(this.#fd)
      openHere.delete(this.file)
      try { unlinkSync(`${this.file}.lock`) } catch { /* gone already */ }
    }
  }

  #identity: StreamIdentity | undefined

  /** Rewrites the file as header + one mark per key (+ receipts still unresolved); returns its fd. */
  #rewrite (identity: StreamIdentity): number {
    this.#identity = identity
    const tmp = `${this.file}.tmp`
    let text = `${JSON.stringify({ v: 1, stream: identity.stream, created: identity.created })}\n`
    for (const [key, seq] of this.#marks) text += `a ${seq} ${key}\n`
    for (const h of this.#heldNow()) if (h.reply !== '') text += `r ${h.seq} ${h.key} ${h.reply}\n`
    const fd = openSync(tmp, 'w')
    try { writeSync(fd, text) } finally { closeSync(fd) }
    renameSync(tmp, this.file)
    this.#lines = this.#marks.size
    return openSync(this.file, 'a')
  }

  #compact (): void {
    closeSync(this.#fd)
    // receipts are only read after a crash: those of messages still held are kept, the rest dropped
    this.#fd = this.#rewrite(this.#identity as StreamIdentity)
  }
}

function parseHeader (line: string | undefined): StreamIdentity | undefined {
  if (line === undefined || line === '') return undefined
  try {
    const h = JSON.parse(line) as { v?: unknown, stream?: unknown, created?: unknown }
    return h.v === 1 && typeof h.stream === 'string' && typeof h.created === 'string' ? { stream: h.stream, created: h.created } : undefined
  } catch {
    return undefined
  }
}
