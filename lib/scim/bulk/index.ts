// Public API of SCIM bulk (RFC 7644 §3.7): parse and validate, order by bulkId dependencies,
// resolve bulkId references, run with an executor supplied by the caller.
export { parseBulkRequest } from './parse.ts'
export { orderBulkOperations } from './order.ts'
export { resolveBulkIds, findBulkIdRefs, BULK_ID_PATTERN } from './references.ts'
export { runBulk, type BulkExecutor, type BulkExecutorContext, type RunBulkOptions } from './run.ts'
export {
  BULK_REQUEST_SCHEMA, BULK_RESPONSE_SCHEMA,
  type BulkMethod, type BulkLimits, type BulkOperation, type BulkRequest, type ResolvedBulkOperation,
  type PlanStep, type OrderedPlan, type BulkOpResult, type BulkResponseOperation, type BulkResponse
} from './types.ts'
