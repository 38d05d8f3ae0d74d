// Public API of the SCIM PATCH engine (RFC 7644 §3.5.2): request validation, application of
// operations to a resource, and the diff of two resources as operations.
export { parsePatchRequest } from './request.ts'
export { applyPatch } from './apply.ts'
export type { ApplyPatchOptions } from './apply.ts'
export { diffResources } from './diff.ts'
export type { PatchOperation } from '../../plugins/types.ts'
