// `scim.groupMemberOfUser`: endpoints (LDAP memberOf, many SaaS APIs) keep group membership on the
// user. Member changes of a group are then applied as `groups` changes of each affected user
// (modifyUser), and a group's members are read back from the users whose `groups` name it.
import type { Modification, PatchOperation, PluginContext, ScimPlugin } from '../plugins/types.ts'
import type { JsonValue, ScimResource } from '../scim/types.ts'
import { isJsonObject } from '../scim/types.ts'
import { NotImplementedError } from '../scim/errors.ts'

function memberIds (members: JsonValue | undefined): string[] {
  if (!Array.isArray(members)) return []
  const out: string[] = []
  for (const m of members) if (isJsonObject(m) && typeof m.value === 'string') out.push(m.value)
  return out
}

/** Members added and removed between two states of a group. */
export function memberDelta (before: ScimResource, after: ScimResource): { added: string[], removed: string[] } {
  const b = new Set(memberIds(before.members))
  const a = new Set(memberIds(after.members))
  return { added: [...a].filter(x => !b.has(x)), removed: [...b].filter(x => !a.has(x)) }
}

/** Applies a membership delta as user modifications. */
export async function applyMembershipToUsers (
  plugin: ScimPlugin, group: ScimResource, delta: { added: string[], removed: string[] }, ctx: PluginContext
): Promise<void> {
  if (delta.added.length === 0 && delta.removed.length === 0) return
  const getUsers = plugin.getUsers?.bind(plugin)
  const modifyUser = plugin.modifyUser?.bind(plugin)
  if (getUsers === undefined || modifyUser === undefined) throw new NotImplementedError(`groupMemberOfUser needs getUsers and modifyUser in plugin ${plugin.name}`)
  const gid = group.id ?? ''
  const ref = { value: gid, display: typeof group.displayName === 'string' ? group.displayName : gid }
  const change = async (userId: string, add: boolean): Promise<void> => {
    const found = await getUsers({ simple: { attribute: 'id', operator: 'eq', value: userId }, attributes: [], excludedAttributes: [], startIndex: 1, count: 1 }, ctx)
    const user = found.Resources.find(u => u.id === userId)
    if (user === undefined) return // membership of an unknown id: nothing to store on a user
    const groups = Array.isArray(user.groups) ? user.groups.filter(g => !(isJsonObject(g) && g.value === gid)) : []
    // already as asked (a member delta names members without the gateway reading the group): no change
    if (add === (groups.length < (Array.isArray(user.groups) ? user.groups.length : 0))) return
    if (add) groups.push(ref)
    const op: PatchOperation = add
      ? { op: 'add', path: 'groups', value: [ref] }
      : { op: 'remove', path: `groups[value eq ${JSON.stringify(gid)}]` }
    const mod: Modification = { resource: { ...user, groups }, operations: [op] }
    await modifyUser(userId, mod, ctx)
  }
  for (const id of delta.added) await change(id, true)
  for (const id of delta.removed) await change(id, false)
}

/** The group's members as the users' `groups` attributes say. */
export async function membersFromUsers (plugin: ScimPlugin, groupId: string, ctx: PluginContext): Promise<JsonValue[]> {
  const getUsers = plugin.getUsers?.bind(plugin)
  if (getUsers === undefined) return []
  const r = await getUsers({
    filter: { type: 'compare', path: { attr: 'groups', sub: 'value' }, op: 'eq', value: groupId },
    simple: { attribute: 'groups.value', operator: 'eq', value: groupId },
    attributes: ['id', 'displayName', 'userName'],
    excludedAttributes: [],
    startIndex: 1
  }, ctx)
  return r.Resources
    .filter(u => Array.isArray(u.groups) && u.groups.some(g => isJsonObject(g) && g.value === groupId))
    .map(u => ({ value: u.id ?? '', display: typeof u.displayName === 'string' ? u.displayName : (typeof u.userName === 'string' ? u.userName : '') }))
}
