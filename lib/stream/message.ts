// The ENTRA/HR message a gateway subscriber receives (docs STREAM-CONTRACT.md "ENTRA/HR messages"):
// its types and the one validation at the boundary. Everything after `parseStreamMessage` works on a
// typed, checked message; everything it rejects is a PermanentMessageError whose reason goes to the
// dead-letter subject (retrying an invalid message can never succeed).
import { isJsonObject, type JsonObject, type JsonValue } from '../scim/types.ts'
import { ACTIVITY_OPERATIONS, isUserOperation, type ActivityOperation, type StreamMessageBody, type StreamOperation } from './contract/message.ts'
import { parseJsonLimited } from '../util/json.ts'

export { ACTIVITY_OPERATIONS, isUserOperation, type ActivityOperation, type StreamOperation } from './contract/message.ts'

/** A validated ENTRA/HR message (the contract's body) plus the transport facts it arrived with. */
export interface StreamMessage extends StreamMessageBody {
  /** The `Msg-Id` header (unique per change; the same on redelivery). */
  msgId: string
  /** The NATS subject, e.g. `ENTRA.AD.USER` or `HR.Employees`. */
  subject: string
}

/** The NATS headers the parser needs. */
export interface StreamHeaders {
  /** `Msg-Id` header value; absent = the message is rejected (existing subscribers skip it too). */
  msgId?: string
  subject: string
}

/**
 * A message that can never be applied (malformed, incomplete, an invalid template). The transport
 * terminates it and dead-letters it with `reason`; it is never retried.
 */
export class PermanentMessageError extends Error {
  readonly reason: string
  constructor (reason: string, options?: { cause?: unknown }) {
    super(reason, options)
    this.name = 'PermanentMessageError'
    this.reason = reason
  }
}

/** True for a PermanentMessageError (also across module copies, by name). */
export function isPermanentMessageError (e: unknown): e is PermanentMessageError {
  return e instanceof PermanentMessageError || (e instanceof Error && e.name === 'PermanentMessageError' && typeof (e as { reason?: unknown }).reason === 'string')
}

const decoder = new TextDecoder('utf-8', { fatal: true })

/**
 * Parses and validates one message body with its headers.
 * @throws PermanentMessageError with a reason naming the first problem found
 * @example
 * const msg = parseStreamMessage(m.data, { msgId: m.headers?.get('Msg-Id'), subject: m.subject })
 */
export function parseStreamMessage (data: Uint8Array | string, headers: StreamHeaders): StreamMessage {
  const msgId = headers.msgId?.trim()
  if (msgId === undefined || msgId === '') throw new PermanentMessageError('missing Msg-Id header')
  if (typeof headers.subject !== 'string' || !/^(ENTRA|HR)\.[^.\s]/.test(headers.subject)) {
    throw new PermanentMessageError(`subject ${JSON.stringify(headers.subject)} is not an ENTRA.<channel> or HR.<channel> subject`)
  }
  const body = parseBody(data)
  const activityOperation = body.activityOperation
  if (activityOperation === undefined) throw new PermanentMessageError('missing activityOperation')
  if (typeof activityOperation !== 'string' || !(ACTIVITY_OPERATIONS as readonly string[]).includes(activityOperation)) {
    throw new PermanentMessageError(`unknown activityOperation ${JSON.stringify(activityOperation)} (expected one of ${ACTIVITY_OPERATIONS.join(', ')})`)
  }
  const op = activityOperation as ActivityOperation
  const msg: StreamMessage = { msgId, subject: headers.subject, activityOperation: op, Operations: parseOperations(body.Operations) }
  for (const key of ['initiatedById', 'initiatedByUpn', 'targetId', 'targetUpn', 'baseEntity'] as const) {
    const v = body[key]
    if (v === undefined || v === null) continue
    if (typeof v !== 'string') throw new PermanentMessageError(`${key} must be a string`)
    msg[key] = v
  }
  if (body.activityDateTime !== undefined && body.activityDateTime !== null) {
    const at = body.activityDateTime
    if (typeof at !== 'string' || Number.isNaN(Date.parse(at))) throw new PermanentMessageError('activityDateTime must be an ISO 8601 date-time string')
    msg.activityDateTime = at
  }
  if (isUserOperation(op)) msg.user = parseUser(body.user)
  else msg.group = parseGroup(body.group)
  return msg
}

function parseBody (data: Uint8Array | string): JsonObject {
  let text: string
  try {
    text = typeof data === 'string' ? data : decoder.decode(data)
  } catch {
    throw new PermanentMessageError('body is not valid UTF-8')
  }
  let parsed: unknown
  try {
    parsed = parseJsonLimited(text) // nesting-limited: deeper than 64 levels is refused like bad JSON
  } catch (e) {
    throw new PermanentMessageError(`body is not valid JSON: ${(e as Error).message}`)
  }
  if (!isJsonObject(parsed)) throw new PermanentMessageError('body must be a JSON object')
  return parsed
}

function parseOperations (raw: JsonValue | undefined): StreamOperation[] {
  if (raw === undefined || raw === null) return []
  if (!Array.isArray(raw)) throw new PermanentMessageError('Operations must be an array')
  return raw.map((item, i) => {
    if (!isJsonObject(item)) throw new PermanentMessageError(`Operations[${i}] must be an object`)
    const op = typeof item.op === 'string' ? item.op.toLowerCase() : undefined
    if (op !== 'add' && op !== 'remove' && op !== 'replace') throw new PermanentMessageError(`Operations[${i}].op must be add, remove or replace`)
    if (typeof item.path !== 'string' || item.path.trim() === '') throw new PermanentMessageError(`Operations[${i}] has no string path`)
    if (op !== 'remove' && item.value === undefined) throw new PermanentMessageError(`Operations[${i}] (${op}) has no value`)
    const out: StreamOperation = { op, path: item.path.trim() }
    if (item.value !== undefined) out.value = item.value
    return out
  })
}

function parseUser (raw: JsonValue | undefined): JsonObject {
  if (raw === undefined || raw === null) throw new PermanentMessageError('missing user')
  if (!isJsonObject(raw)) throw new PermanentMessageError('user must be an object')
  if (typeof raw.userName !== 'string' || raw.userName.trim() === '') throw new PermanentMessageError('missing user.userName')
  if (raw.onCreate !== undefined && !isJsonObject(raw.onCreate)) throw new PermanentMessageError('user.onCreate must be an object')
  if (raw.password !== undefined && typeof raw.password !== 'string') throw new PermanentMessageError('user.password must be a string')
  if (raw.active !== undefined && typeof raw.active !== 'boolean') throw new PermanentMessageError('user.active must be a boolean')
  checkReferences(raw.groups, 'user.groups', false)
  checkReferences(raw.roles, 'user.roles', true)
  return raw
}

function parseGroup (raw: JsonValue | undefined): JsonObject {
  if (raw === undefined || raw === null) throw new PermanentMessageError('missing group')
  if (!isJsonObject(raw)) throw new PermanentMessageError('group must be an object')
  if (typeof raw.displayName !== 'string' || raw.displayName.trim() === '') throw new PermanentMessageError('missing group.displayName')
  return raw
}

/** groups: `{value, display}`; roles: `{type, display, value}` — each needs something to name a group by. */
function checkReferences (raw: JsonValue | undefined, where: string, roles: boolean): void {
  if (raw === undefined || raw === null) return
  if (!Array.isArray(raw)) throw new PermanentMessageError(`${where} must be an array`)
  raw.forEach((el, i) => {
    if (!isJsonObject(el)) throw new PermanentMessageError(`${where}[${i}] must be an object`)
    const named = (typeof el.value === 'string' && el.value !== '') || (typeof el.display === 'string' && el.display !== '')
    if (!named) throw new PermanentMessageError(`${where}[${i}] has neither value nor display`)
    if (roles && el.type !== undefined && typeof el.type !== 'string') throw new PermanentMessageError(`${where}[${i}].type must be a string`)
  })
}
