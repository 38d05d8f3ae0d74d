// The GW request/reply protocol (version 1): what a publisher gateway sends on `GW.<channel>` and
// what the subscriber gateway that executed it answers. JSON, UTF-8; bodies travel as text.
//
//   request  {v:1, id, method, origin, path, baseEntity, query, headers, body, chunkedReply?}
//   reply    {v:1, id, status, headers, body}
//
// `chunkedReply: true` (optional, ignored by responders that predate it) says the publisher can
// pull a reply larger than max_payload in chunks (chunking.ts); without it such a reply is a 502.
//
// `path` is the path as the client sent it (it holds the publisher's baseEntity); the responder
// replaces that segment with its own entity. `origin` lets the responder build `meta.location`
// values that point at the publisher, which is the only address the client knows.

import { parseJsonLimited } from '../../util/json.ts'

/** Protocol version this code speaks. */
export const GW_PROTOCOL_VERSION = 1

/** Request headers that travel (everything else — notably Authorization — stays at the publisher). */
export const GW_FORWARDED_HEADERS: readonly string[] = ['content-type', 'if-match', 'if-none-match', 'accept']

/** A GW request. */
export interface GwRequest {
  v: 1
  /** Request id (also the responder's x-request-id). */
  id: string
  method: string
  /** Scheme + host of the publisher as the client addressed it. */
  origin: string
  path: string
  /** The publisher's baseEntity (a segment of `path`), undefined when the path has none. */
  baseEntity: string | undefined
  /** Query string without `?` ('' when none). */
  query: string
  headers: Record<string, string>
  body: string | null
  /** The publisher reads chunked replies (chunking.ts). */
  chunkedReply?: boolean
}

/** A GW reply. */
export interface GwReply {
  v: 1
  id: string
  status: number
  headers: Record<string, string>
  body: string | null
}

/** Thrown for an envelope that is not one (wrong version, missing fields). */
export class EnvelopeError extends Error {
  constructor (message: string) {
    super(message)
    this.name = 'EnvelopeError'
  }
}

const encoder = new TextEncoder()
const decoder = new TextDecoder()

/** Encodes an envelope. */
export function encodeEnvelope (e: GwRequest | GwReply): Uint8Array {
  return encoder.encode(JSON.stringify(e))
}

/** Decodes and checks a GW request. @throws EnvelopeError */
export function decodeRequest (data: Uint8Array): GwRequest {
  const o = decodeObject(data)
  const str = (k: string): string => {
    const v = o[k]
    if (typeof v !== 'string') throw new EnvelopeError(`GW request: "${k}" must be a string`)
    return v
  }
  const baseEntity = o.baseEntity
  if (baseEntity !== undefined && baseEntity !== null && typeof baseEntity !== 'string') throw new EnvelopeError('GW request: "baseEntity" must be a string')
  const path = str('path')
  if (!path.startsWith('/')) throw new EnvelopeError('GW request: "path" must start with /')
  return {
    v: 1,
    id: str('id'),
    method: str('method').toUpperCase(),
    origin: str('origin'),
    path,
    baseEntity: typeof baseEntity === 'string' ? baseEntity : undefined,
    query: typeof o.query === 'string' ? o.query : '',
    headers: headersOf(o.headers),
    body: bodyOf(o.body),
    ...(o.chunkedReply === true ? { chunkedReply: true } : {})
  }
}

/** Decodes and checks a GW reply. @throws EnvelopeError */
export function decodeReply (data: Uint8Array): GwReply {
  const o = decodeObject(data)
  if (typeof o.status !== 'number' || !Number.isInteger(o.status) || o.status < 200 || o.status > 599) {
    throw new EnvelopeError('GW reply: "status" must be an HTTP status')
  }
  return { v: 1, id: typeof o.id === 'string' ? o.id : '', status: o.status, headers: headersOf(o.headers), body: bodyOf(o.body) }
}

function decodeObject (data: Uint8Array): Record<string, unknown> {
  let o: unknown
  try {
    o = parseJsonLimited(decoder.decode(data)) // nesting-limited (lib/util/json.ts)
  } catch (e) {
    throw new EnvelopeError(`GW envelope is not JSON (${(e as Error).message})`)
  }
  if (typeof o !== 'object' || o === null || Array.isArray(o)) throw new EnvelopeError('GW envelope is not a JSON object')
  const rec = o as Record<string, unknown>
  if (rec.v !== GW_PROTOCOL_VERSION) throw new EnvelopeError(`GW envelope version ${JSON.stringify(rec.v)} is not supported (expected ${GW_PROTOCOL_VERSION})`)
  return rec
}

function headersOf (v: unknown): Record<string, string> {
  const out: Record<string, string> = {}
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return out
  for (const [k, val] of Object.entries(v)) if (typeof val === 'string') out[k.toLowerCase()] = val
  return out
}

function bodyOf (v: unknown): string | null {
  if (v === undefined || v === null) return null
  if (typeof v !== 'string') throw new EnvelopeError('GW envelope: "body" must be a string or null')
  return v
}
