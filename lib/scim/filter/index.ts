// Public API of the SCIM filter engine: parse filters and paths, evaluate, serialise, plan for plugins,
// and the attribute-access helpers shared with PATCH and projection.
export type { AttrPath, CompareOp, FilterNode, FilterPlan, FilterValue, PatchPath, SimpleFilter } from './ast.ts'
export { parseFilter, parseAttrPath, parsePatchPath, MAX_FILTER_LENGTH, MAX_FILTER_DEPTH, type PathOptions } from './parser.ts'
export { compileFilter, compileValueFilter, matchesFilter, type FilterPredicate } from './evaluate.ts'
export { filterToString, attrPathToString, patchPathToString, valueToString } from './serialize.ts'
export { toSimpleFilter, planFilter } from './plan.ts'
export { findKey, getCI, getAttributeValues, getTopValue } from './access.ts'
export { parseInstant, compareInstants, type Instant } from './datetime.ts'
