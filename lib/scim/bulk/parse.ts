// Validation of a bulk request body (RFC 7644 §3.7): size limits, schema, Operations and their
// attributes. Produces a typed BulkRequest or throws a ScimError naming the offending operation.
import { InvalidSyntaxError, InvalidValueError, PayloadTooLargeError } from '../errors.ts'
import { isJsonObject, type JsonObject } from '../types.ts'
import { BULK_ID_PATTERN } from './references.ts'
import { BULK_REQUEST_SCHEMA, type BulkLimits, type BulkMethod, type BulkOperation, type BulkRequest } from './types.ts'

const METHODS: readonly BulkMethod[] = ['POST', 'PUT', 'PATCH', 'DELETE']

/**
 * Validates a bulk request body.
 *
 * Checks, in this order: `payloadBytes` against `maxPayloadSize` (413), the body shape and `schemas`
 * (400 invalidSyntax), the number of operations against `maxOperations` (413), `failOnErrors`
 * (integer ≥ 1, else 400 invalidValue), then each operation (400; the detail starts with
 * `Operations[i]`), then bulkId uniqueness (400 invalidValue).
 *
 * Per operation: `method` is POST/PUT/PATCH/DELETE in any case; `path` starts with `/`, has no empty
 * segment, query or fragment, and names a resource (≥ 2 segments) for PUT/PATCH/DELETE; `bulkId` is
 * required for POST; `data` is a JSON object, required for POST/PUT/PATCH and dropped for DELETE;
 * `version` is a string when present. The path is kept as given (a baseEntity prefix is allowed).
 * @example
 * const req = parseBulkRequest(body, { maxOperations: 1000, maxPayloadSize: 1048576 }, rawBody.length)
 */
export function parseBulkRequest (body: unknown, limits: BulkLimits, payloadBytes: number): BulkRequest {
  if (payloadBytes > limits.maxPayloadSize) {
    throw new PayloadTooLargeError(`The size of the bulk operation (${payloadBytes} bytes) exceeds the maxPayloadSize (${limits.maxPayloadSize})`)
  }
  if (!isJsonObject(body)) throw new InvalidSyntaxError('Bulk request body must be a JSON object')
  const schemas = body.schemas
  if (!Array.isArray(schemas) || !schemas.includes(BULK_REQUEST_SCHEMA)) {
    throw new InvalidSyntaxError(`Bulk request schemas must include ${BULK_REQUEST_SCHEMA}`)
  }
  const ops = body.Operations
  if (!Array.isArray(ops)) throw new InvalidSyntaxError('Bulk request must have an Operations array')
  if (ops.length === 0) throw new InvalidValueError('Bulk request Operations must not be empty')
  if (ops.length > limits.maxOperations) {
    throw new PayloadTooLargeError(`The number of operations (${ops.length}) exceeds the maxOperations (${limits.maxOperations})`)
  }

  const req: BulkRequest = { operations: [] }
  const foe = body.failOnErrors
  if (foe !== undefined && foe !== null) {
    if (typeof foe !== 'number' || !Number.isInteger(foe) || foe < 1) {
      throw new InvalidValueError('failOnErrors must be an integer greater than or equal to 1')
    }
    req.failOnErrors = foe
  }

  const seen = new Map<string, number>()
  ops.forEach((raw: unknown, i: number) => {
    const op = parseOperation(raw, i)
    if (op.bulkId !== undefined) {
      const first = seen.get(op.bulkId)
      if (first !== undefined) {
        throw new InvalidValueError(`Operations[${i}]: bulkId "${op.bulkId}" is already used by Operations[${first}]`)
      }
      seen.set(op.bulkId, i)
    }
    req.operations.push(op)
  })
  return req
}

function parseOperation (raw: unknown, i: number): BulkOperation {
  const at = `Operations[${i}]`
  if (!isJsonObject(raw)) throw new InvalidSyntaxError(`${at}: operation must be a JSON object`)

  const m = raw.method
  if (typeof m !== 'string') throw new InvalidSyntaxError(`${at}: method is required and must be a string`)
  const method = METHODS.find(x => x === m.toUpperCase())
  if (method === undefined) throw new InvalidValueError(`${at}: method "${m}" is not one of POST, PUT, PATCH, DELETE`)

  const path = raw.path
  if (typeof path !== 'string') throw new InvalidSyntaxError(`${at}: path is required and must be a string`)
  checkPath(path, method, at)

  const op: BulkOperation = { index: i, method, path }

  const bulkId = raw.bulkId
  if (bulkId !== undefined && bulkId !== null) {
    if (typeof bulkId !== 'string' || bulkId === '') throw new InvalidSyntaxError(`${at}: bulkId must be a non-empty string`)
    if (!BULK_ID_PATTERN.test(bulkId)) throw new InvalidValueError(`${at}: bulkId "${bulkId}" must not contain whitespace, '/', '?', '#' or '"'`)
    op.bulkId = bulkId
  } else if (method === 'POST') {
    throw new InvalidSyntaxError(`${at}: bulkId is required for POST`)
  }

  const version = raw.version
  if (version !== undefined && version !== null) {
    if (typeof version !== 'string') throw new InvalidSyntaxError(`${at}: version must be a string`)
    op.version = version
  }

  if (method !== 'DELETE') {
    const data = raw.data
    if (data === undefined || data === null) throw new InvalidSyntaxError(`${at}: data is required for ${method}`)
    if (!isJsonObject(data)) throw new InvalidSyntaxError(`${at}: data must be a JSON object`)
    op.data = data satisfies JsonObject
  }
  return op
}

function checkPath (path: string, method: BulkMethod, at: string): void {
  if (!path.startsWith('/')) throw new InvalidValueError(`${at}: path "${path}" must start with "/"`)
  if (/[?#\s]/.test(path)) throw new InvalidValueError(`${at}: path "${path}" must not contain a query, fragment or whitespace`)
  const segments = path.slice(1).split('/')
  if (segments.some(s => s === '')) throw new InvalidValueError(`${at}: path "${path}" has an empty segment`)
  if (method !== 'POST' && segments.length < 2) {
    throw new InvalidValueError(`${at}: ${method} path "${path}" must name a resource, e.g. /Users/<id>`)
  }
}

