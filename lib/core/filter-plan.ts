// Resolves a list query against a plugin. A plugin with `capabilities.filter: 'full'` gets the whole
// filter once; a 'simple' plugin gets single comparisons: an `and` pushes down its most selective
// conjunct, an `or` calls once per branch and unions the results by id, anything else fetches all.
// The service re-applies the full filter afterwards unless the plugin answered `exact`.
import { createLimiter } from '../util/async.ts'
import type { GetQuery, GetResult, PluginContext } from '../plugins/types.ts'
import type { ScimResource } from '../scim/types.ts'
import { planFilter, type FilterPlan } from '../scim/filter/index.ts'

export type PluginGet = (q: GetQuery, ctx: PluginContext) => Promise<GetResult>

export interface Fetched {
  resources: ScimResource[]
  exact?: { totalResults: number }
}

/** Bound on `or` branches fetched separately; wider filters fall back to one unfiltered fetch. */
const MAX_BRANCHES = 16
const BRANCH_CONCURRENCY = 4

export async function fetchWithPlan (get: PluginGet, base: GetQuery, mode: 'simple' | 'full', ctx: PluginContext): Promise<Fetched> {
  if (base.filter === undefined || mode === 'full') {
    const r = await get(base, ctx)
    return r.exact !== undefined ? { resources: r.Resources, exact: r.exact } : { resources: r.Resources }
  }
  return { resources: await runPlan(get, base, planFilter(base.filter), ctx) }
}

function countBranches (plan: FilterPlan): number {
  return plan.kind === 'or' ? plan.branches.reduce((n, b) => n + countBranches(b), 0) : 1
}

async function runPlan (get: PluginGet, base: GetQuery, plan: FilterPlan, ctx: PluginContext): Promise<ScimResource[]> {
  // the plugin must not page candidates: the service filters after it
  const q: GetQuery = { ...base, startIndex: 1 }
  delete q.count
  switch (plan.kind) {
    case 'simple':
      return (await get({ ...q, simple: plan.simple }, ctx)).Resources
    case 'and':
      return (await get({ ...q, simple: plan.pushdown }, ctx)).Resources
    case 'or': {
      if (countBranches(plan) > MAX_BRANCHES) return await runPlan(get, base, { kind: 'scan' }, ctx)
      // at most BRANCH_CONCURRENCY plugin queries at once: an OR of 16 terms must not hit the backend 16-wide
      const limit = createLimiter(BRANCH_CONCURRENCY)
      const parts = await Promise.all(plan.branches.map(async b => await limit.run(async () => await runPlan(get, base, b, ctx))))
      const seen = new Set<string>()
      const out: ScimResource[] = []
      for (const part of parts) {
        for (const r of part) {
          const key = r.id ?? JSON.stringify(r)
          if (!seen.has(key)) { seen.add(key); out.push(r) }
        }
      }
      return out
    }
    case 'scan': {
      const noFilter: GetQuery = { ...q }
      delete noFilter.simple
      return (await get(noFilter, ctx)).Resources
    }
  }
}
