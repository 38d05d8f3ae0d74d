// A size-rotating log file (the logger puts it behind a winston Stream transport).
// winston's own File transport (3.19) was tried first: with maxsize set, a burst of lines left
// empty files and `end()` never finished (reproduced with 400 lines / 2 KB). This one counts
// bytes as they are queued, so rotation is deterministic: `app.log` is always the newest file,
// older ones are `app.log.1` … `app.log.<maxFiles-1>`. Renames happen synchronously (once per
// maxSize bytes); the old stream keeps writing to its already-open descriptor, so no line is lost.

import { Writable } from 'node:stream'
import { createWriteStream, openSync, renameSync, statSync, unlinkSync, type WriteStream } from 'node:fs'

/** Options for {@link RotatingFile}. */
export interface RotatingFileOptions {
  path: string
  /** Rotate before a write would make the file exceed this many bytes. */
  maxSize: number
  /** Files kept, the current one included (≥ 1). */
  maxFiles: number
  /** Called for file system errors (the file keeps going where it can). */
  onError?: (err: unknown) => void
}

/** Appends lines to a file, rotating by size. */
export class RotatingFile {
  readonly #opts: RotatingFileOptions
  #stream: WriteStream | undefined
  #size = 0
  #pending: Array<Promise<void>> = []
  #closed = false

  constructor (opts: RotatingFileOptions) {
    this.#opts = { ...opts, maxSize: Math.max(1, opts.maxSize), maxFiles: Math.max(1, Math.floor(opts.maxFiles)) }
  }

  /** A Writable over this file, for winston's Stream transport (ending it does not close the file). */
  writable (): Writable {
    return new Writable({
      decodeStrings: false,
      write: (chunk: unknown, _enc, cb) => {
        this.write(typeof chunk === 'string' ? chunk : Buffer.isBuffer(chunk) ? chunk.toString('utf8') : String(chunk))
        cb()
      }
    })
  }

  /** Appends `text` (the caller adds the newline). */
  write (text: string): void {
    if (this.#closed) return
    const bytes = Buffer.byteLength(text)
    if (this.#stream === undefined) this.#open()
    if (this.#size > 0 && this.#size + bytes > this.#opts.maxSize) this.#rotate()
    this.#stream?.write(text)
    this.#size += bytes
  }

  /** Flushes and closes; resolves when everything is on disk. */
  async close (): Promise<void> {
    this.#closed = true
    if (this.#stream !== undefined) this.#pending.push(this.#end(this.#stream))
    this.#stream = undefined
    await Promise.all(this.#pending)
  }

  #open (): void {
    try {
      const fd = openSync(this.#opts.path, 'a')
      const stream = createWriteStream('', { fd })
      stream.on('error', err => { this.#opts.onError?.(err) })
      this.#stream = stream
      this.#size = statSync(this.#opts.path).size
    } catch (err) {
      this.#opts.onError?.(err)
    }
  }

  #rotate (): void {
    const old = this.#stream
    this.#stream = undefined
    if (old !== undefined) this.#pending.push(this.#end(old))
    const { path, maxFiles } = this.#opts
    const name = (i: number): string => i === 0 ? path : `${path}.${i}`
    let rotated = true
    try {
      // Make room: drop the oldest, shift the rest up by one, current → .1 (or away when maxFiles is 1).
      tryUnlink(name(maxFiles - 1))
      for (let i = maxFiles - 2; i >= 0; i--) tryRename(name(i), name(i + 1))
    } catch (err) {
      rotated = false
      this.#opts.onError?.(err)
    }
    this.#open()
    // When renaming failed we keep appending to the same file and try again after maxSize more bytes.
    if (!rotated) this.#size = 0
  }

  #end (stream: WriteStream): Promise<void> {
    return new Promise(resolve => {
      stream.once('close', () => { resolve() })
      stream.end()
    })
  }
}

function tryUnlink (p: string): void {
  try { unlinkSync(p) } catch (err) { if (!isNotFound(err)) throw err }
}

function tryRename (from: string, to: string): void {
  try { renameSync(from, to) } catch (err) { if (!isNotFound(err)) throw err }
}

function isNotFound (err: unknown): boolean {
  return err instanceof Error && 'code' in err && err.code === 'ENOENT'
}
