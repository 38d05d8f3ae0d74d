// Types of SCIM bulk (RFC 7644 §3.7): the parsed request, the execution plan, what an executor
// returns for one operation and the bulk response. Shared by parse, order, references and run.
import type { JsonObject } from '../types.ts'
import type { ScimError, ScimErrorBodyV2 } from '../errors.ts'

export const BULK_REQUEST_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:BulkRequest'
export const BULK_RESPONSE_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:BulkResponse'

/** The HTTP methods a bulk operation may use (RFC 7644 §3.7), normalised to upper case. */
export type BulkMethod = 'POST' | 'PUT' | 'PATCH' | 'DELETE'

/** Limits advertised in ServiceProviderConfig `bulk` (RFC 7643 §5). */
export interface BulkLimits {
  maxOperations: number
  /** Maximum request body size in bytes. */
  maxPayloadSize: number
}

/** One validated operation of a bulk request. */
export interface BulkOperation {
  /** Position in the request's `Operations` array (0-based); identifies the op in plans and errors. */
  index: number
  method: BulkMethod
  /** Resource path as the client sent it, e.g. `/Users`, `/Groups/bulkId:qwerty`, `/tenant/Users/42`. */
  path: string
  /** Client-chosen transient id; always present on POST. */
  bulkId?: string
  /** ETag the client expects the resource to have (If-Match semantics for this op). */
  version?: string
  /** Resource (POST/PUT) or PatchOp message (PATCH); absent on DELETE. */
  data?: JsonObject
}

/** A validated bulk request. */
export interface BulkRequest {
  /** Stop after this many failed operations; absent = run everything. */
  failOnErrors?: number
  operations: BulkOperation[]
}

/** A bulk operation whose `bulkId:<id>` references (in path and data) were replaced by real ids. */
export interface ResolvedBulkOperation extends BulkOperation {}

/** One entry of an execution plan: the op, the bulkIds it waits for, and why it cannot run, if so. */
export interface PlanStep {
  op: BulkOperation
  /** bulkIds (without the `bulkId:` prefix) referenced in path or data, in first-seen order. */
  dependsOn: string[]
  /** Set when the op cannot run at all (cycle, unknown bulkId, depends on such an op). */
  blocked?: ScimError
}

/**
 * Execution order for a bulk request. Runnable steps come first in dependency order (client order
 * wherever dependencies allow); blocked steps follow in client order.
 */
export interface OrderedPlan {
  steps: PlanStep[]
}

/** What an executor reports for one operation that did not throw. */
export interface BulkOpResult {
  /** HTTP status; defaults to 201 for POST, 204 for DELETE, 200 otherwise. A status ≥ 400 counts as an error. */
  status?: number
  /** Id of the created resource (POST); falls back to `response.id`, then the last segment of `location`. */
  id?: string
  location?: string
  version?: string
  /** Body to include in the bulk response for this op (RFC 7644: required for non-2xx). */
  response?: JsonObject
}

/** One entry of a bulk response (RFC 7644 §3.7.3); `status` is a string. */
export interface BulkResponseOperation {
  method: BulkMethod
  bulkId?: string
  version?: string
  location?: string
  status: string
  response?: JsonObject | ScimErrorBodyV2
}

/** The bulk response message. */
export interface BulkResponse {
  schemas: [typeof BULK_RESPONSE_SCHEMA]
  Operations: BulkResponseOperation[]
}
