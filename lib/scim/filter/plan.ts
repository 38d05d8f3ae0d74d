// Reduces filters to the single comparisons that simple plugins understand (scimgateway's getObj form),
// and plans how a core answers a complex filter with such calls (pushdown + residual, union of branches).
import type { FilterNode, FilterPlan, SimpleFilter } from './ast.ts'
import { operands } from './evaluate.ts'
import { attrPathToString } from './serialize.ts'

/**
 * The filter as one `{ attribute, operator, value }` comparison, or undefined when it is not a single
 * comparison. `attribute` is `attr`, `attr.sub` or `uri:attr.sub` as written; `value` is the constant as a
 * string (`true`, `42`; '' for `pr`). Value filters (`emails[type eq "work"]`), and/or/not and comparisons
 * with `null` are not simple.
 * @example toSimpleFilter(parseFilter('userName eq "bjensen"')) // { attribute: 'userName', operator: 'eq', value: 'bjensen' }
 */
export function toSimpleFilter (node: FilterNode): SimpleFilter | undefined {
  if (node.type === 'present') return { attribute: attrPathToString(node.path), operator: 'pr', value: '' }
  if (node.type !== 'compare' || node.value === null) return undefined
  return { attribute: attrPathToString(node.path), operator: node.op, value: String(node.value) }
}

/**
 * Plans how to resolve `node` with simple (one-comparison) plugin calls. Contract, see {@link FilterPlan}:
 * - `simple`: the filter is one comparison; the plugin's answer is the result.
 * - `and`: call the plugin with `pushdown`, the most selective simple conjunct (eq on id, userName,
 *   externalId, members.value, displayName first; then other eq, sw, ordering, co/ew, pr, ne), then keep
 *   only resources matching `residual` (the remaining conjuncts, in their original order).
 * - `or`: resolve each branch by its own plan, union the results by `id`.
 * - `scan`: fetch everything and apply the filter in the core (not, value filters, and-chains without any
 *   simple conjunct, or an or-branch that needs a scan).
 * The core may always re-apply the complete filter to what the plugin returns; that is never wrong.
 */
export function planFilter (node: FilterNode): FilterPlan {
  const simple = toSimpleFilter(node)
  if (simple !== undefined) return { kind: 'simple', simple }
  if (node.type === 'and') {
    const parts = operands(node, 'and')
    let best = -1
    let bestRank = Infinity
    parts.forEach((p, i) => {
      const s = toSimpleFilter(p)
      if (s === undefined) return
      const r = rank(s)
      if (r < bestRank) { best = i; bestRank = r }
    })
    if (best < 0) return { kind: 'scan' }
    const pushdown = toSimpleFilter(parts[best] as FilterNode) as SimpleFilter
    const rest = parts.filter((_, i) => i !== best)
    const residual = rest.slice(1).reduce<FilterNode>((left, right) => ({ type: 'and', left, right }), rest[0] as FilterNode)
    return { kind: 'and', pushdown, residual }
  }
  if (node.type === 'or') {
    const branches: FilterPlan[] = []
    for (const b of operands(node, 'or')) {
      const p = planFilter(b)
      if (p.kind === 'scan') return p
      branches.push(p)
    }
    return { kind: 'or', branches }
  }
  return { kind: 'scan' }
}

const KEY_RANK: Record<string, number> = { id: 0, username: 1, externalid: 2, 'members.value': 3, displayname: 4 }

/** Lower is more selective. */
function rank (s: SimpleFilter): number {
  const colon = s.attribute.lastIndexOf(':')
  const name = s.attribute.slice(colon + 1).toLowerCase()
  switch (s.operator) {
    case 'eq': return KEY_RANK[name] ?? 10
    case 'sw': return 20
    case 'gt': case 'ge': case 'lt': case 'le': return 30
    case 'co': case 'ew': return 40
    case 'pr': return 50
    default: return 60
  }
}
