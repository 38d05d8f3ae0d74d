// Reads and parses a SCIM request body: content type check (415), size limit (413), JSON syntax and
// nesting depth (400; lib/util/json.ts checks the depth before anything walks the body).
// Why not Hono's bodyLimit (hono/body-limit, checked in 4.13): as a middleware it would run before the
// route is parsed and the client authenticated, so an unauthenticated client could make the gateway
// buffer a body up to the limit, and it could not pick the limit per route (`payloadSize` for
// resources and /api, `bulk.maxPayloadSize` for /Bulk). Its 413 is thrown outside our handler, so
// its onError would have to rebuild the SCIM error (version from the route), the `connection: close`
// header and the access-log line that our handler's error path gives every answer. Without a
// Content-Length it reads through `req.body`, the web stream that @hono/node-server builds from the
// Node stream, which is what readIncoming avoids for speed (see readBodyText), and then copies the
// body into a new Request.
import { InvalidSyntaxError, PayloadTooLargeError, ScimError } from '../../scim/errors.ts'
import type { JsonValue } from '../../scim/types.ts'
import { DEFAULT_JSON_MAX_DEPTH, JsonInputError, parseJsonLimited } from '../../util/json.ts'

/** True for application/json, application/scim+json and any `+json` type. A missing type is accepted. */
export function isJsonContentType (ct: string | null): boolean {
  if (ct === null || ct.trim() === '') return true
  const type = (ct.split(';')[0] ?? '').trim().toLowerCase()
  return type === 'application/json' || type.endsWith('+json') || type === 'text/json' || type === '*/*'
}

/** The Node request behind @hono/node-server's Request, when there is one. */
export interface NodeIncoming {
  on (event: 'data', cb: (chunk: Buffer) => void): unknown
  on (event: 'end' | 'close', cb: () => void): unknown
  on (event: 'error', cb: (err: Error) => void): unknown
  removeAllListeners (): unknown
  pause (): unknown
  readableEnded?: boolean
  complete?: boolean
}

/**
 * Reads at most `limit` bytes of the body; more → 413 (without buffering the rest).
 * With `incoming` (Node), reads the socket stream directly: touching `req.body` on @hono/node-server
 * converts the Node stream into a web stream, which costs more than the rest of a small request.
 */
export async function readBodyText (req: Request, limit: number, incoming?: NodeIncoming): Promise<string> {
  const declared = req.headers.get('content-length')
  if (declared !== null && Number(declared) > limit) throw new PayloadTooLargeError(`request body of ${declared} bytes exceeds the limit of ${limit} bytes`)
  if (incoming !== undefined && incoming.readableEnded !== true) return await readIncoming(incoming, limit)
  if (req.body === null) return ''
  const reader = req.body.getReader()
  const chunks: Uint8Array[] = []
  let size = 0
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    size += value.byteLength
    if (size > limit) {
      await reader.cancel().catch(() => {})
      throw new PayloadTooLargeError(`request body exceeds the limit of ${limit} bytes`)
    }
    chunks.push(value)
  }
  return Buffer.concat(chunks).toString('utf8')
}

async function readIncoming (incoming: NodeIncoming, limit: number): Promise<string> {
  return await new Promise<string>((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    incoming.on('data', (chunk: Buffer) => {
      size += chunk.length
      if (size > limit) {
        incoming.removeAllListeners()
        incoming.pause()
        reject(new PayloadTooLargeError(`request body exceeds the limit of ${limit} bytes`))
        return
      }
      chunks.push(chunk)
    })
    incoming.on('end', () => { resolve(chunks.length === 1 ? (chunks[0] as Buffer).toString('utf8') : Buffer.concat(chunks).toString('utf8')) })
    incoming.on('error', reject)
    incoming.on('close', () => { if (incoming.complete === false) reject(new InvalidSyntaxError('request body was cut off')) })
  })
}

/**
 * Parses a request body's JSON with the nesting limit; deeper or invalid → 400 invalidSyntax.
 * `what` names the body in the message ("request body", "bulk request body").
 */
export function parseJsonBody (text: string, maxDepth: number = DEFAULT_JSON_MAX_DEPTH, what = 'request body'): JsonValue {
  try {
    return parseJsonLimited(text, maxDepth) as JsonValue
  } catch (e) {
    if (e instanceof JsonInputError && e.kind === 'depth') throw new InvalidSyntaxError(`${what} is ${e.message}`, { cause: e })
    throw new InvalidSyntaxError(`${what} is not valid JSON: ${e instanceof Error ? e.message : 'invalid JSON'}`, { cause: e })
  }
}

/** Reads the body as JSON (nested at most `maxDepth` levels). Empty body → undefined. */
export async function readJsonBody (req: Request, limit: number, incoming?: NodeIncoming, maxDepth: number = DEFAULT_JSON_MAX_DEPTH): Promise<JsonValue | undefined> {
  if (!isJsonContentType(req.headers.get('content-type'))) {
    throw new ScimError(415, undefined, `unsupported content type "${req.headers.get('content-type') ?? ''}": use application/scim+json or application/json`)
  }
  const text = await readBodyText(req, limit, incoming)
  if (text.trim() === '') return undefined
  return parseJsonBody(text, maxDepth)
}
