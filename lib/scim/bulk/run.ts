// Orchestration of a bulk request (RFC 7644 §3.7.3): runs the operations one at a time in
// dependency order, substitutes created ids for bulkId references, and collects the per-operation
// results into a BulkResponse. What an operation does is the executor's business (the core passes
// one that calls its own service); this file performs no I/O of its own.
//
// Decisions:
// - Operations run sequentially, so a reference is always resolved before it is used.
// - The response lists operations in execution order (clients correlate by bulkId/location).
// - After `failOnErrors` errors nothing more runs and the remaining operations are not reported.
// - An op referencing a bulkId whose POST failed (or reported no id) fails with 409.
// - A blocked op (see order.ts) counts as an error where it occurs in the plan: after all runnable ops.
// - When the signal aborts, runBulk stops and rejects with the signal's reason.
// - Between operations runBulk yields to the event loop: an executor whose work completes in
//   microtasks (an in-memory store) would otherwise hold the process for the whole request, and a
//   Bulk of 1,000 POSTs starved every other client. The yield costs a few µs per operation; the
//   per-operation cost of a Bulk is otherwise that of the single request it stands for (with a
//   journal: one durable write each, since operations run one at a time).
import { ConflictError, ERROR_SCHEMA_V2, ScimError, toScimErrorBody, type ScimErrorBodyV2 } from '../errors.ts'
import { orderBulkOperations } from './order.ts'
import { resolveBulkIds } from './references.ts'
import { yieldToEventLoop } from '../../util/async.ts'
import {
  BULK_RESPONSE_SCHEMA,
  type BulkMethod, type BulkOpResult, type BulkOperation, type BulkRequest, type BulkResponse,
  type BulkResponseOperation, type ResolvedBulkOperation
} from './types.ts'

/** Context handed to the executor with each operation. */
export interface BulkExecutorContext {
  signal?: AbortSignal
}

/**
 * Performs one resolved bulk operation. Throw a ScimError to fail it with that status and scimType;
 * any other exception fails it with 500 and a generic detail (its message is not sent to the client).
 */
export type BulkExecutor = (op: ResolvedBulkOperation, ctx: BulkExecutorContext) => Promise<BulkOpResult>

/** Options of runBulk. */
export interface RunBulkOptions {
  signal?: AbortSignal
  /** Let other work run between operations (default true; see the header). */
  yieldBetween?: boolean
}

/**
 * Runs a parsed bulk request and builds the bulk response.
 * @example
 * const res = await runBulk(parseBulkRequest(body, limits, bytes), async op => {
 *   if (op.method === 'POST') { const u = await service.create(op.path, op.data); return { id: u.id, location: u.meta.location } }
 *   ...
 * })
 */
export async function runBulk (req: BulkRequest, execute: BulkExecutor, opts: RunBulkOptions = {}): Promise<BulkResponse> {
  const { signal } = opts
  const plan = orderBulkOperations(req.operations)
  const created = new Map<string, string>()
  const results: BulkResponseOperation[] = []
  let errors = 0
  const yieldBetween = opts.yieldBetween !== false

  for (const step of plan.steps) {
    if (req.failOnErrors !== undefined && errors >= req.failOnErrors) break
    if (yieldBetween && results.length > 0) await yieldToEventLoop()
    signal?.throwIfAborted()
    const { op } = step
    let entry: BulkResponseOperation
    if (step.blocked !== undefined) {
      entry = errorEntry(op, step.blocked)
    } else {
      const missing = step.dependsOn.find(id => !created.has(id))
      if (missing !== undefined) {
        entry = errorEntry(op, new ConflictError(`Operations[${op.index}]: bulkId:${missing} could not be resolved because the operation that defines it failed`))
      } else {
        entry = await executeOne(resolveOperation(op, created), execute, signal, created)
      }
    }
    if (Number(entry.status) >= 400) errors++
    results.push(entry)
  }
  return { schemas: [BULK_RESPONSE_SCHEMA], Operations: results }
}

function resolveOperation (op: BulkOperation, ids: ReadonlyMap<string, string>): ResolvedBulkOperation {
  const out: ResolvedBulkOperation = { ...op, path: resolveBulkIds(op.path, ids) }
  if (op.data !== undefined) out.data = resolveBulkIds(op.data, ids)
  return out
}

async function executeOne (
  op: ResolvedBulkOperation, execute: BulkExecutor, signal: AbortSignal | undefined, created: Map<string, string>
): Promise<BulkResponseOperation> {
  let result: BulkOpResult
  try {
    result = await execute(op, signal === undefined ? {} : { signal })
  } catch (e) {
    if (signal?.aborted === true) throw signal.reason
    return errorEntry(op, e)
  }
  const status = result.status ?? defaultStatus(op.method)
  const entry: BulkResponseOperation = { method: op.method, status: String(status) }
  if (op.bulkId !== undefined) entry.bulkId = op.bulkId
  if (result.location !== undefined) entry.location = result.location
  if (result.version !== undefined) entry.version = result.version
  if (result.response !== undefined) entry.response = result.response
  else if (status >= 400) entry.response = errorBody(new ScimError(status, undefined, 'Operation failed'))
  if (status < 400 && op.method === 'POST' && op.bulkId !== undefined) {
    const id = createdId(result)
    if (id !== undefined) created.set(op.bulkId, id)
  }
  return entry
}

function defaultStatus (method: BulkMethod): number {
  if (method === 'POST') return 201
  if (method === 'DELETE') return 204
  return 200
}

function createdId (r: BulkOpResult): string | undefined {
  if (typeof r.id === 'string' && r.id !== '') return r.id
  const fromBody = r.response?.id
  if (typeof fromBody === 'string' && fromBody !== '') return fromBody
  if (r.location !== undefined) {
    const last = r.location.replace(/[?#].*$/, '').replace(/\/+$/, '').split('/').pop()
    if (last !== undefined && last !== '') return decodeURIComponent(last)
  }
  return undefined
}

function errorEntry (op: BulkOperation, err: unknown): BulkResponseOperation {
  const body = errorBody(err)
  const entry: BulkResponseOperation = { method: op.method, status: body.status, response: body }
  if (op.bulkId !== undefined) entry.bulkId = op.bulkId
  return entry
}

/** SCIM 2.0 error body; anything but a ScimError becomes a 500 without its message. */
function errorBody (err: unknown): ScimErrorBodyV2 {
  const body = toScimErrorBody(err, '2.0')
  if ('schemas' in body) return body
  // Unreachable: the 2.0 body always has schemas. Kept so the type narrows without a cast.
  return { schemas: [ERROR_SCHEMA_V2], status: '500', detail: 'Internal server error' }
}
