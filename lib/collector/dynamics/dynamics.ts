// Dynamics (ABAC/RBAC): `dynamics[]` of { dynamic_id, rules: [{ filter }], assignments } compiled
// once. For a user, every dynamic whose rules hold (several rules = OR, same filter language as
// stream rules, `user.…` paths only, no -exclude) adds its assignments and its id to user.dynamicIds.
//
// Nothing is stored: dynamics are computed from the source user on every evaluation, so when a rule
// stops holding its assignments are simply not added any more, and the change detection downstream
// (previous vs current user) turns that into a removal — that is the revoke.
//
// Choices: dynamics apply in config order and each sees the user as earlier dynamics left it (a
// dynamic may build on `user.dynamicIds` of earlier ones). `user.groups` / `user.roles` assignments
// add elements the user lacks (groups by value, roles by type + value, case-insensitive); any other
// `user.<SCIM path>` (`user.department`, `user.name.givenName`,
// `user.urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:costCenter`) is set, later dynamics
// winning. `user.dynamicIds` is exactly the matched ids (absent when none); ids given in the input are
// replaced. The input user is never modified.
import { ConfigError, type ConfigProblem } from '../../config/errors.ts'
import { cloneJson, compileMapTo, type Setter } from '../mapper/index.ts'
import { compileRuleSet, anyRuleHolds, type CompiledRule } from '../rules/index.ts'
import { findKey } from '../../scim/filter/index.ts'
import { isJsonObject, type JsonObject, type JsonValue } from '../../scim/types.ts'

/** One configured dynamic. */
export interface DynamicDef {
  dynamic_id: string
  rules: Array<{ filter: string }>
  /** `{ "user.groups": [{value, display}], "user.roles": [{type, display, value}], "user.department": "x" }` */
  assignments: Record<string, JsonValue>
}

type Assignment =
  | { kind: 'members', attr: 'groups' | 'roles', elements: JsonObject[] }
  /** `nested`: the setter writes inside an existing object (name.givenName), so the user is deep-copied first. */
  | { kind: 'set', set: Setter, value: JsonValue, nested: boolean }

interface Dynamic { id: string, rules: CompiledRule[], assignments: Assignment[] }

/** Compiled dynamics (opaque; use {@link applyDynamics}). */
export interface CompiledDynamics {
  readonly ids: readonly string[]
  /** @internal */
  readonly list: readonly Dynamic[]
}

/**
 * Compiles `dynamics[]`.
 * @throws ConfigError naming every problem (`dynamics[1].rules[0].filter: unexpected ")" at 17`)
 */
export function compileDynamics (defs: readonly DynamicDef[], opts: { configPath?: string } = {}): CompiledDynamics {
  const base = opts.configPath ?? 'dynamics'
  if (!Array.isArray(defs)) throw new ConfigError(undefined, [{ path: base, message: 'must be a list of { dynamic_id, rules, assignments }' }])
  const problems: ConfigProblem[] = []
  const list: Dynamic[] = []
  const seen = new Set<string>()
  defs.forEach((d: unknown, i) => {
    const at = `${base}[${i}]`
    if (!isJsonObject(d)) { problems.push({ path: at, message: 'must be an object { dynamic_id, rules, assignments }' }); return }
    const id = d.dynamic_id
    if (typeof id !== 'string' || id.trim() === '') problems.push({ path: `${at}.dynamic_id`, message: 'must be a non-empty string' })
    else if (seen.has(id)) problems.push({ path: `${at}.dynamic_id`, message: `duplicate dynamic_id "${id}"` })
    else seen.add(id)
    const rules = compileRuleSet(d.rules, `${at}.rules`, { allowExclude: false, userOnly: true }, problems)
    const assignments = compileAssignments(d.assignments, `${at}.assignments`, problems)
    if (typeof id === 'string') list.push({ id, rules, assignments })
  })
  if (problems.length > 0) throw new ConfigError(undefined, problems)
  return { ids: list.map(x => x.id), list }
}

/**
 * Applies the dynamics whose rules hold to a user.
 * @returns the user with assignments added (a new object when anything changed) and the matched ids
 * @example
 * const dyn = compileDynamics(config.dynamics)
 * const { user, dynamicIds } = applyDynamics(mappedUser, dyn)
 */
export function applyDynamics (user: JsonObject, compiled: CompiledDynamics): { user: JsonObject, dynamicIds: string[] } {
  // Copy on write: a shallow copy on the first match, new group/role arrays when adding, and a deep
  // copy only before a setter writes inside a nested object.
  let cur = user
  let copied = false
  let deep = false
  const ids: string[] = []
  const idsKey = findKey(user, 'dynamicIds')
  for (const d of compiled.list) {
    if (!anyRuleHolds(d.rules, { user: cur })) continue
    // Object.assign, not a spread: adding keys to a spread copy is slow in V8.
    if (!copied) { cur = Object.assign({}, user); copied = true }
    ids.push(d.id)
    cur[idsKey ?? 'dynamicIds'] = [...ids]
    for (const a of d.assignments) {
      if (a.kind === 'members') addMembers(cur, a.attr, a.elements)
      else {
        if (a.nested && !deep) { cur = cloneJson(cur); deep = true }
        a.set(cur, cloneJson(a.value))
      }
    }
  }
  if (idsKey !== undefined && ids.length === 0) {
    cur = Object.assign({}, user)
    delete cur[idsKey]
  }
  return { user: cur, dynamicIds: ids }
}

function compileAssignments (raw: unknown, at: string, problems: ConfigProblem[]): Assignment[] {
  if (!isJsonObject(raw) || Object.keys(raw).length === 0) {
    problems.push({ path: at, message: 'must be an object of "user.<attribute>": value' })
    return []
  }
  const out: Assignment[] = []
  for (const [key, value] of Object.entries(raw)) {
    const path = `${at}.${key}`
    if (value === undefined) continue
    if (!/^user\./i.test(key)) { problems.push({ path, message: 'assignment keys start with "user." (user.groups, user.roles, user.department, …)' }); continue }
    const attr = key.slice(5)
    const lower = attr.toLowerCase()
    if (lower === 'dynamicids') { problems.push({ path, message: 'user.dynamicIds is set by the dynamics themselves' }); continue }
    if (lower === 'groups' || lower === 'roles') {
      const elements = checkMembers(value, lower, path, problems)
      if (elements !== undefined) out.push({ kind: 'members', attr: lower, elements })
      continue
    }
    try {
      out.push({ kind: 'set', set: compileMapTo(attr), value, nested: !/^[A-Za-z_$][\w$-]*$/.test(attr) })
    } catch (err) {
      problems.push({ path, message: (err as Error).message })
    }
  }
  return out
}

function checkMembers (value: JsonValue, attr: 'groups' | 'roles', path: string, problems: ConfigProblem[]): JsonObject[] | undefined {
  const shape = attr === 'groups' ? '{ value, display }' : '{ type, display, value }'
  if (!Array.isArray(value) || value.length === 0) { problems.push({ path, message: `must be a non-empty list of ${shape}` }); return undefined }
  const ok = value.every(e => isJsonObject(e) && typeof e.value === 'string' && e.value !== '' &&
    (attr === 'groups' || (typeof e.type === 'string' && e.type !== '')))
  if (!ok) { problems.push({ path, message: `every element must be ${shape} with a non-empty ${attr === 'groups' ? 'value' : 'type and value'}` }); return undefined }
  return value as JsonObject[]
}

function addMembers (user: JsonObject, attr: 'groups' | 'roles', elements: readonly JsonObject[]): void {
  // Plain loops, no closures: this runs per user and dynamic.
  const k = user[attr] !== undefined ? attr : findKey(user, attr) ?? attr
  const cur = user[k]
  const list: JsonValue[] = Array.isArray(cur) ? cur.slice() : []
  user[k] = list
  const n = list.length
  for (const e of elements) {
    let present = false
    for (let i = 0; i < n && !present; i++) {
      const x = list[i]
      present = isJsonObject(x) && eqCI(x.value, e.value) && (attr === 'groups' || eqCI(x.type, e.type))
    }
    if (!present) list.push({ ...e })
  }
}

function eqCI (a: JsonValue | undefined, b: JsonValue | undefined): boolean {
  return typeof a === 'string' && typeof b === 'string' ? a.toLowerCase() === b.toLowerCase() : a === b
}
