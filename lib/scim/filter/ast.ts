// Syntax tree of SCIM filters (RFC 7644 §3.4.2.2) and attribute paths (RFC 7644 §3.5.2 PATCH paths).
// Shared contract between the filter parser/evaluator, the PATCH engine, projection and the core.

export type CompareOp = 'eq' | 'ne' | 'co' | 'sw' | 'ew' | 'gt' | 'ge' | 'lt' | 'le'
export type FilterValue = string | number | boolean | null

/**
 * An attribute reference: `[uri:]attr[.sub]`. Names keep the caller's spelling; comparisons of names
 * are case-insensitive. `uri` is the schema URN when the path was schema-qualified
 * (e.g. `urn:ietf:params:scim:schemas:extension:enterprise:2.0:User`).
 *
 * A path naming a whole schema extension (`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User`
 * alone, as PATCH and `attributes=` allow) is `{ uri: '<the URN>', attr: '' }`: `attr === ''` always
 * means "the whole extension object", and it only occurs together with `uri`.
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
  /**
   * `emails[type eq "work" and primary eq true]`: filter applied to the elements of a multi-valued (complex)
   * attribute; paths inside `filter` are relative to an element. The parser also accepts the non-RFC filter
   * form `emails[type eq "work"].value eq "x"` and represents it as `emails[type eq "work" and value eq "x"]`.
   */
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

/**
 * How a core resolves a filter with plugins that only understand one comparison ({@link SimpleFilter}),
 * produced by `planFilter()` in lib/scim/filter/plan.ts. In every case the plugin's answer is a SUPERSET
 * of the matching resources or exactly them; the core always re-applies the full filter (or `residual`).
 * - `simple`: the whole filter is this one comparison; pass it through.
 * - `and`: ask the plugin for `pushdown` (the most selective conjunct), then keep the resources that
 *   match `residual` (the other conjuncts).
 * - `or`: resolve every branch by its own plan and union the results by `id` (dropping duplicates).
 * - `scan`: no comparison can be pushed down; fetch all resources and filter in the core.
 */
export type FilterPlan =
  | { kind: 'simple', simple: SimpleFilter }
  | { kind: 'and', pushdown: SimpleFilter, residual: FilterNode }
  | { kind: 'or', branches: FilterPlan[] }
  | { kind: 'scan' }
