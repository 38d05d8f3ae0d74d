// The responder side of GW chunking (chunking.ts): open transfers of one responder — chunked
// requests being received and chunked replies waiting to be pulled — each on its own private
// subject. Bounded: at most `maxTransfers` open at once and `maxBytes` held in memory in total
// (an announced or chunked reply reserves its full size up front); a transfer with no message for
// `idleMs` is dropped, so a publisher that stops midway leaves nothing behind.
import { type Msg, type NatsConnection, type Subscription } from '@nats-io/transport-node'
import type { Logger } from '../../logging/types.ts'
import { EnvelopeError } from './envelope.ts'
import {
  CHUNK_HEADER, GW_CHUNK_VERSION, chunkSizeFor, encodeControl, joinChunks, sha256Hex, splitChunks, transferSubject,
  type ChunkAccept, type ChunkAnnounce, type ChunkedReply
} from './chunking.ts'

/** Limits of the chunked transfers of one responder. */
export interface TransferLimits {
  /** Open transfers (requests being received + replies being pulled) at once (default 8). */
  maxTransfers: number
  /** Bytes held by open transfers and chunked requests being executed (default 64 MiB). */
  maxBytes: number
  /** Largest chunked request accepted (default 32 MiB; the gateway's own limits still apply). */
  maxRequestBytes: number
  /** A transfer without a message for this long is dropped (default 30 000 ms). */
  idleMs: number
}

export const DEFAULT_TRANSFER_LIMITS: Readonly<TransferLimits> = Object.freeze({
  maxTransfers: 8,
  maxBytes: 64 * 1024 * 1024,
  maxRequestBytes: 32 * 1024 * 1024,
  idleMs: 30_000
})

/** Why a transfer cannot be opened: status + detail for a SCIM error reply. */
export interface Refusal { status: number, detail: string }

/** Open transfers of one responder. */
export interface TransferStore {
  /** Open transfers. */
  readonly open: number
  /** Bytes reserved. */
  readonly bytes: number
  /**
   * Opens a chunked request; `complete` gets the message that completed it (answer it with the GW
   * reply) and the verified bytes. The reservation lasts until `complete` settles.
   */
  receive (a: ChunkAnnounce, complete: (msg: Msg, data: Uint8Array) => Promise<void>, fail: (msg: Msg, r: Refusal) => void): ChunkAccept | Refusal
  /** Offers a reply for pulling in chunks. */
  offer (id: string, data: Uint8Array): ChunkedReply | Refusal
  /** Drops every open transfer. */
  close (): void
}

/** Makes the store of a responder on `gwSubject`. */
export function createTransferStore (nc: NatsConnection, gwSubject: string, limits: TransferLimits, log: Logger): TransferStore {
  const open = new Set<() => void>()
  let bytes = 0

  const reserve = (size: number): Refusal | (() => void) => {
    if (open.size >= limits.maxTransfers || bytes + size > limits.maxBytes) {
      return { status: 503, detail: `the responder is busy with other chunked transfers (${open.size} open, ${bytes} bytes); retry later` }
    }
    bytes += size
    let released = false
    return () => { if (!released) { released = true; bytes -= size } }
  }

  /**
   * Subscribes a private subject, dropped after `idleMs` without a message. `end` drops it and
   * releases its bytes; `quiet` only stops listening (the transfer stays counted until `end`).
   */
  const listen = (what: string, onMsg: (msg: Msg, index: number) => void, release: () => void): { subject: string, end: () => void, quiet: () => void } => {
    const subject = transferSubject(gwSubject)
    const quiet = (): void => {
      clearTimeout(timer)
      if (!sub.isClosed()) sub.unsubscribe()
    }
    const end = (): void => {
      quiet()
      if (open.delete(end)) release()
    }
    const timer = setTimeout(() => {
      log.warn(`GW ${what}: no message for ${limits.idleMs} ms; dropped`)
      end()
    }, limits.idleMs)
    timer.unref()
    open.add(end)
    const sub: Subscription = nc.subscribe(subject, {
      callback: (err, msg) => {
        if (err !== null) { log.error(`GW ${what}: ${err.message}`); end(); return }
        timer.refresh()
        onMsg(msg, Number(msg.headers?.get(CHUNK_HEADER) ?? NaN))
      }
    })
    return { subject, end, quiet }
  }

  return {
    get open () { return open.size },
    get bytes () { return bytes },

    receive (a, complete, fail) {
      if (a.size > limits.maxRequestBytes) return { status: 413, detail: `the request of ${a.size} bytes exceeds the responder's limit of ${limits.maxRequestBytes} bytes` }
      const release = reserve(a.size)
      if (typeof release !== 'function') return release
      const parts: Array<Uint8Array | undefined> = new Array<Uint8Array | undefined>(a.chunks)
      let received = 0
      const t = listen(`chunked request ${a.id}`, (msg, i) => {
        if (!Number.isInteger(i) || i < 0 || i >= a.chunks || parts[i] !== undefined) {
          t.end()
          fail(msg, { status: 400, detail: `chunk ${String(msg.headers?.get(CHUNK_HEADER))} of request ${a.id} is out of range or repeated` })
          return
        }
        parts[i] = msg.data.slice()
        received++
        if (received < a.chunks) {
          msg.respond(encodeControl({ v: GW_CHUNK_VERSION, type: 'ack', index: i }))
          return
        }
        // complete: stop listening, keep the reservation while the request executes
        t.quiet()
        let data: Uint8Array
        try {
          data = joinChunks(parts, a.size, a.sha256)
        } catch (err) {
          t.end()
          fail(msg, { status: 400, detail: `chunked request ${a.id}: ${err instanceof EnvelopeError ? err.message : String(err)}` })
          return
        } finally {
          parts.fill(undefined)
        }
        void complete(msg, data).finally(t.end)
      }, release)
      return { v: GW_CHUNK_VERSION, type: 'accept', id: a.id, subject: t.subject }
    },

    offer (id, data) {
      const release = reserve(data.length)
      if (typeof release !== 'function') return { status: 502, detail: `the response of ${data.length} bytes cannot be held for a chunked reply: ${release.detail}` }
      const chunks = splitChunks(data, chunkSizeFor(nc.info?.max_payload ?? 1024 * 1024))
      const served = new Set<number>()
      const t = listen(`chunked reply ${id}`, (msg, i) => {
        const chunk = Number.isInteger(i) ? chunks[i] : undefined
        if (chunk === undefined) { msg.respond(new Uint8Array(0)); return }
        msg.respond(chunk)
        served.add(i)
        if (served.size === chunks.length) t.end()
      }, release)
      return { v: GW_CHUNK_VERSION, type: 'chunked-reply', id, subject: t.subject, size: data.length, chunks: chunks.length, sha256: sha256Hex(data) }
    },

    close () {
      for (const end of [...open]) end()
    }
  }
}
