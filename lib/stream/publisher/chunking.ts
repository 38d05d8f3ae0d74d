// GW chunking (protocol version 2): how a GW request or reply larger than the NATS server's
// max_payload travels. The v1 envelope (envelope.ts) is encoded as usual and its bytes are cut into
// chunks; small control messages, versioned 2, set up and describe the transfer:
//
//   announce        publisher → GW.<channel> (queue group)   {v:2, type:'announce', id, size, chunks, sha256}
//   accept          responder → publisher (reply)            {v:2, type:'accept', id, subject}
//   chunk i         publisher → <subject> (request, header Gw-Chunk: i), raw bytes; answered by
//   ack             responder → publisher                    {v:2, type:'ack', index}
//                   (the chunk that completes the set is answered by the GW reply instead)
//   chunked-reply   responder → publisher (reply)            {v:2, type:'chunked-reply', id, subject, size, chunks, sha256}
//   pull i          publisher → <subject> (request, header Gw-Chunk: i, empty), answered by chunk i
//
// `<subject>` is `GW.<channel>.chunk.<random>`: inside the GW.> namespace both gateway users may use
// (the publisher user publishes GW.>, the responder user subscribes GW.> and answers what it
// received), so no permission changes. Every chunk travels as a request, so each gets exactly one
// answer: that is the flow control, and it keeps the responder within its allow_responses limit.
import { createHash, randomBytes } from 'node:crypto'
import { EnvelopeError } from './envelope.ts'
import { parseJsonLimited } from '../../util/json.ts'

/** Version of the chunking control messages (the request/reply envelope itself stays version 1). */
export const GW_CHUNK_VERSION = 2

/** NATS header carrying the chunk index of a chunk or pull message. */
export const CHUNK_HEADER = 'Gw-Chunk'

/** Bytes of max_payload kept free for the headers and protocol overhead of a chunk message. */
const CHUNK_HEADROOM = 1024

/** Chunk requests a side keeps in flight at once (a window: a slow peer is not flooded). */
export const CHUNK_WINDOW = 4

/** Announces a chunked request. */
export interface ChunkAnnounce { v: 2, type: 'announce', id: string, size: number, chunks: number, sha256: string }
/** A responder accepts an announced request: send the chunks to `subject`. */
export interface ChunkAccept { v: 2, type: 'accept', id: string, subject: string }
/** A chunk was stored. */
export interface ChunkAck { v: 2, type: 'ack', index: number }
/** The reply is chunked: pull its chunks from `subject`. */
export interface ChunkedReply { v: 2, type: 'chunked-reply', id: string, subject: string, size: number, chunks: number, sha256: string }

export type ChunkControl = ChunkAnnounce | ChunkAccept | ChunkAck | ChunkedReply

const encoder = new TextEncoder()
const decoder = new TextDecoder()
/** How every control message starts (encodeControl writes `v` first). */
const CONTROL_PREFIX = encoder.encode(`{"v":${GW_CHUNK_VERSION},`)

/** Encodes a control message. */
export function encodeControl (m: ChunkControl): Uint8Array {
  return encoder.encode(JSON.stringify(m))
}

/**
 * The control message in `data`, or undefined when `data` is not a version-2 message (a v1
 * envelope, or anything else: the caller decodes it as such).
 * @throws EnvelopeError for a version-2 message with missing or wrong fields
 */
export function decodeControl (data: Uint8Array): ChunkControl | undefined {
  // cheap test first: v1 envelopes are the common case and may be large
  if (data.length > 64 * 1024 || !startsWith(data, CONTROL_PREFIX)) return undefined
  let o: Record<string, unknown>
  try {
    o = parseJsonLimited(decoder.decode(data)) as Record<string, unknown> // nesting-limited (lib/util/json.ts)
  } catch {
    return undefined
  }
  if (typeof o !== 'object' || o === null || o.v !== GW_CHUNK_VERSION) return undefined
  const str = (k: string): string => {
    const v = o[k]
    if (typeof v !== 'string' || v === '') throw new EnvelopeError(`GW ${String(o.type)}: "${k}" must be a non-empty string`)
    return v
  }
  const count = (k: string, min: number): number => {
    const v = o[k]
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min) throw new EnvelopeError(`GW ${String(o.type)}: "${k}" must be an integer >= ${min}`)
    return v
  }
  switch (o.type) {
    case 'announce': return { v: 2, type: 'announce', id: str('id'), size: count('size', 1), chunks: count('chunks', 1), sha256: str('sha256') }
    case 'accept': return { v: 2, type: 'accept', id: str('id'), subject: str('subject') }
    case 'ack': return { v: 2, type: 'ack', index: count('index', 0) }
    case 'chunked-reply': return { v: 2, type: 'chunked-reply', id: str('id'), subject: str('subject'), size: count('size', 1), chunks: count('chunks', 1), sha256: str('sha256') }
    default: throw new EnvelopeError(`GW message type ${JSON.stringify(o.type)} is not supported`)
  }
}

function startsWith (data: Uint8Array, prefix: Uint8Array): boolean {
  if (data.length < prefix.length) return false
  for (let i = 0; i < prefix.length; i++) if (data[i] !== prefix[i]) return false
  return true
}

/** Chunk size for a server's max_payload. */
export function chunkSizeFor (maxPayload: number): number {
  return Math.max(1024, maxPayload - CHUNK_HEADROOM)
}

/** Cuts `data` into chunks of at most `size` bytes (views, no copies). */
export function splitChunks (data: Uint8Array, size: number): Uint8Array[] {
  const out: Uint8Array[] = []
  for (let i = 0; i < data.length; i += size) out.push(data.subarray(i, Math.min(data.length, i + size)))
  return out
}

/** Hex SHA-256 of `data`. */
export function sha256Hex (data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex')
}

/** A fresh private transfer subject under the GW subject (`GW.<channel>.chunk.<random>`). */
export function transferSubject (gwSubject: string): string {
  return `${gwSubject}.chunk.${randomBytes(12).toString('hex')}`
}

/**
 * Joins chunks and checks them against the announced size and hash.
 * @throws EnvelopeError when a chunk is missing or size/hash differ
 */
export function joinChunks (chunks: ReadonlyArray<Uint8Array | undefined>, size: number, sha256: string): Uint8Array {
  const out = new Uint8Array(size)
  let at = 0
  for (const [i, c] of chunks.entries()) {
    if (c === undefined) throw new EnvelopeError(`chunk ${i} is missing`)
    if (at + c.length > size) throw new EnvelopeError(`chunks exceed the announced size of ${size} bytes`)
    out.set(c, at)
    at += c.length
  }
  if (at !== size) throw new EnvelopeError(`chunks hold ${at} bytes, ${size} announced`)
  if (sha256Hex(out) !== sha256) throw new EnvelopeError('chunks do not match the announced sha256')
  return out
}

/** Runs `task(i)` for i in [0, n) with at most `window` running at once; rejects on the first failure. */
export async function windowed (n: number, window: number, task: (i: number) => Promise<void>): Promise<void> {
  let next = 0
  let failed = false
  const worker = async (): Promise<void> => {
    while (!failed && next < n) {
      const i = next++
      try {
        await task(i)
      } catch (err) {
        failed = true
        throw err
      }
    }
  }
  await Promise.all(Array.from({ length: Math.min(window, n) }, worker))
}
