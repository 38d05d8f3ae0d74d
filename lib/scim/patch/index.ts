// Public API of the SCIM PATCH engine (RFC 7644 §3.5.2): request validation, application of
// operations to a resource, and the diff of two resources as operations.
//
// Choices where the RFC leaves room or real clients differ from it (each has a fixture case):
// - A request body without `schemas` is accepted; one whose `schemas` lacks the PatchOp URN is not.
// - Unknown attributes of the core or a known extension schema are 400 invalidPath (invalidValue
//   inside a value object) unless `allowUnknownAttributes`; attributes under an extension URN the
//   schema does not know are always accepted as custom attributes and the URN joins `schemas`.
// - `add`/`replace` of `attr[filter].sub` with no matching element create the element the filter
//   describes when it is a conjunction of `eq` (Entra ID sends Add and Replace this way); `replace`
//   of `attr[filter]` without sub-attribute matching nothing is 400 noTarget (RFC).
// - `remove` of something absent (attribute, filter matching nothing) is a no-op; removing a
//   required attribute (userName, Group displayName) or any readOnly one is 400 mutability.
// - Removing the `value` of a filtered element removes the element.
// - `replace`/`add` of a complex attribute merge sub-attributes (RFC 7644 §3.5.2.3); a filtered
//   element replace merges into the matching elements too.
// - immutable: may be set when unassigned; changing or removing a set value is 400 mutability. In an
//   `add` that merges into an existing member, immutable sub-attributes already set are kept.
// - readOnly sub-attributes in values (manager.displayName) are ignored, as for POST; readOnly
//   attributes in a path-less value are ignored when equal to the current value, else mutability.
// - null / [] mean unassigned: `replace` with them removes, `add` with them changes nothing.
export { parsePatchRequest } from './request.ts'
export { applyPatch } from './apply.ts'
export type { ApplyPatchOptions } from './apply.ts'
export { diffResources } from './diff.ts'
export type { PatchOperation } from '../types.ts'
