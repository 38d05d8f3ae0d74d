// Syntax tree of SCIM filters (RFC 7644 §3.4.2.2) and attribute paths (RFC 7644 §3.5.2 PATCH paths).
// Shared contract between the filter parser/evaluator, the PATCH engine, projection and the core.

export type CompareOp = 'eq' | 'ne' | 'co' | 'sw' | 'ew' | 'gt' | 'ge' | 'lt' | 'le'
export type FilterValue = string | number | boolean | null

/**
 * An attribute reference: `[uri:]attr[.sub]`. Names keep the caller's spelling; comparisons of names
 * are case-insensitive. `uri` is the schema URN when the path was schema-qualified
 * (e.g. `urn:ietf:params:scim:schemas:extension:enterprise:2.0:User`).
 */
export interface AttrPath {
  uri?: string
  attr: string
  sub?: string
}

export type FilterNode =
  | { type: 'compare', path: AttrPath, op: CompareOp, value: FilterValue }
  | { type: 'present', path: AttrPath }
  | { type: 'and', left: FilterNode, right: FilterNode }
  | { type: 'or', left: FilterNode, right: FilterNode }
  | { type: 'not', expr: FilterNode }
  /** `emails[type eq "work" and primary eq true]`: filter applied to the elements of a multi-valued (complex) attribute. */
  | { type: 'valuePath', path: AttrPath, filter: FilterNode }

/**
 * A PATCH / attributes path: `attrPath`, `valuePath` or `valuePath.subAttr`
 * e.g. `members[value eq "x"]`, `emails[type eq "work"].value`, `name.givenName`,
 * `urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value`.
 */
export interface PatchPath {
  /** The attribute (and, without a filter, optionally its sub-attribute). */
  path: AttrPath
  /** Value filter selecting elements of a multi-valued attribute. */
  filter?: FilterNode
  /** Sub-attribute after a value filter (`emails[...].value`). */
  subAttr?: string
}

/** The "simple" filter form that plugins handling one comparison receive (scimgateway's getObj). */
export interface SimpleFilter {
  /** Attribute as written, e.g. `userName`, `emails.value`, `members.value`. */
  attribute: string
  operator: CompareOp | 'pr'
  /** The comparison value as a string ('' for pr). */
  value: string
}
