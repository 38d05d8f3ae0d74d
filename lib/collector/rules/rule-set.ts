// A list of rules (`rules: [{ filter }]`, several rules = OR) compiled once, shared by stream
// channels and dynamics. `-exclude` comparisons are only allowed as top-level conditions joined with
// `and`; they do not decide whether a user qualifies, they name group/role elements to leave out.
import type { ConfigProblem } from '../../config/errors.ts'
import { isJsonObject } from '../../scim/types.ts'
import { RuleSyntaxError, type RuleNode } from './ast.ts'
import { collectionOf, evaluateNode, matchedElements, type RuleMessage, type Selection } from './evaluate.ts'
import { parseRuleFilter } from './parser.ts'

type CompareNode = Extract<RuleNode, { kind: 'compare' }>

/** One compiled rule. */
export interface CompiledRule {
  /** What decides whether the user qualifies. */
  condition: RuleNode
  /** `-exclude` comparisons of this rule. */
  exclusions: CompareNode[]
}

/** Options of compileRuleSet. */
export interface RuleSetOptions {
  /** Allow `-exclude` (stream channels: yes; dynamics: no). */
  allowExclude: boolean
  /** Only `user.…` paths (dynamics see the user, not the message). */
  userOnly: boolean
}

/**
 * Compiles `rules` found at config path `at` (e.g. `streams[2].rules`). Problems are appended to
 * `problems` (path `streams[2].rules[0].filter`, message with the 1-based position).
 */
export function compileRuleSet (rules: unknown, at: string, opts: RuleSetOptions, problems: ConfigProblem[]): CompiledRule[] {
  if (!Array.isArray(rules) || rules.length === 0) {
    problems.push({ path: at, message: 'must be a non-empty list of { filter }' })
    return []
  }
  const out: CompiledRule[] = []
  rules.forEach((r: unknown, i) => {
    const path = `${at}[${i}].filter`
    const filter = isJsonObject(r) ? r.filter : undefined
    if (typeof filter !== 'string' || filter.trim() === '') { problems.push({ path, message: 'must be a non-empty string' }); return }
    try {
      out.push(splitRule(parseRuleFilter(filter), opts))
    } catch (err) {
      if (!(err instanceof RuleSyntaxError)) throw err
      problems.push({ path, message: err.message })
    }
  })
  return out
}

function splitRule (node: RuleNode, opts: RuleSetOptions): CompiledRule {
  const conds: RuleNode[] = []
  const exclusions: CompareNode[] = []
  const conjuncts = (n: RuleNode): void => {
    if (n.kind === 'and') { conjuncts(n.left); conjuncts(n.right) } else if (n.kind === 'compare' && n.exclude) {
      if (!opts.allowExclude) throw new RuleSyntaxError('"-exclude" is not allowed here', n.pos)
      if (collectionOf(n.path) === undefined) throw new RuleSyntaxError('"-exclude" applies to user.groups… and user.roles… paths only', n.pos)
      exclusions.push(n)
    } else conds.push(n)
  }
  conjuncts(node)
  for (const c of conds) check(c, opts)
  // The documented modifier form `(path -match "re" -exclude)` (provision members of a group without
  // sending the group): the comparison must hold, selects nothing, and its matches are left out.
  // `not not` = holds exactly when the comparison does, without selecting its elements.
  for (const x of exclusions) {
    if (x.qualifies === true) conds.push({ kind: 'not', pos: x.pos, expr: { kind: 'not', pos: x.pos, expr: { ...x, exclude: false, qualifies: false } } })
  }
  const first = conds[0]
  if (first === undefined) throw new RuleSyntaxError('a rule needs a condition besides (path -exclude "…")', 0)
  const condition = conds.slice(1).reduce<RuleNode>((l, r) => ({ kind: 'and', left: l, right: r }), first)
  return { condition, exclusions }
}

function check (n: RuleNode, opts: RuleSetOptions): void {
  if (n.kind === 'and' || n.kind === 'or') { check(n.left, opts); check(n.right, opts); return }
  if (n.kind === 'not') { check(n.expr, opts); return }
  if (n.kind !== 'compare') return
  if (n.exclude) throw new RuleSyntaxError('"-exclude" only as a top-level condition joined with "and"', n.pos)
  if (opts.userOnly && (n.path.segments[0] as string).toLowerCase() !== 'user') throw new RuleSyntaxError(`path must start with "user." here, found "${n.path.text}"`, n.path.pos)
  if ((n.path.segments[0] as string).toLowerCase() === 'user' && n.path.segments.length < 2) throw new RuleSyntaxError('"user" needs an attribute (user.department)', n.path.pos)
}

/** The rules that hold and what they select, merged; undefined when no rule holds. */
export function evaluateRuleSet (rules: readonly CompiledRule[], msg: RuleMessage): { selection: Selection, matched: number[] } | undefined {
  let selection: Selection | undefined
  const matched: number[] = []
  for (let i = 0; i < rules.length; i++) {
    const s = evaluateNode((rules[i] as CompiledRule).condition, msg)
    if (s === undefined) continue
    matched.push(i)
    selection = selection === undefined ? s : mergeSel(selection, s)
  }
  return selection === undefined ? undefined : { selection, matched }
}

/** True when at least one rule holds (dynamics). */
export function anyRuleHolds (rules: readonly CompiledRule[], msg: RuleMessage): boolean {
  for (const r of rules) if (evaluateNode(r.condition, msg) !== undefined) return true
  return false
}

/** Group/role indices every `-exclude` of these rules matches. */
export function excludedElements (rules: readonly CompiledRule[], msg: RuleMessage): { groups: Set<number>, roles: Set<number> } {
  const groups = new Set<number>()
  const roles = new Set<number>()
  for (const r of rules) {
    for (const x of r.exclusions) {
      const m = matchedElements(x, msg)
      if (m === undefined) continue
      const into = m.collection === 'groups' ? groups : roles
      for (const i of m.indices) into.add(i)
    }
  }
  return { groups, roles }
}

function mergeSel (a: Selection, b: Selection): Selection {
  return { all: a.all || b.all, groups: unionSets(a.groups, b.groups), roles: unionSets(a.roles, b.roles) }
}

function unionSets (x: ReadonlySet<number> | undefined, y: ReadonlySet<number> | undefined): ReadonlySet<number> | undefined {
  if (x === undefined) return y
  if (y === undefined) return x
  const s = new Set(x)
  for (const v of y) s.add(v)
  return s
}
