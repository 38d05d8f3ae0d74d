// scim.groupMemberOfUser: group member changes land on the users (modifyUser), and a group's members
// are read from the users. The plugin here stores membership only on users, like an LDAP memberOf.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import type { GetQuery, Modification, ScimPlugin, ScimResource } from '../../lib/plugins/types.ts'
import { NotFoundError } from '../../lib/scim/errors.ts'
import { harness, user } from './support.ts'

function memberOfPlugin (): ScimPlugin & { users: Map<string, ScimResource>, groups: Map<string, ScimResource>, calls: string[] } {
  const users = new Map<string, ScimResource>()
  const groups = new Map<string, ScimResource>()
  const calls: string[] = []
  const byQuery = (store: Map<string, ScimResource>, q: GetQuery): ScimResource[] => {
    if (q.simple?.attribute === 'id') return store.has(q.simple.value) ? [store.get(q.simple.value) as ScimResource] : []
    return [...store.values()]
  }
  return {
    name: 'memberof', users, groups, calls,
    async getUsers (q) { return { Resources: byQuery(users, q) } },
    async createUser (u) { const id = randomUUID(); users.set(id, { ...u, id }); return users.get(id) as ScimResource },
    async modifyUser (id: string, mod: Modification) {
      if (!users.has(id)) throw new NotFoundError(id)
      calls.push(`modifyUser ${id} ${JSON.stringify(mod.operations)}`)
      users.set(id, mod.resource)
      return mod.resource
    },
    async deleteUser (id) { users.delete(id) },
    async getGroups (q) { return { Resources: byQuery(groups, q) } },
    async createGroup (g) {
      if (g.members !== undefined) throw new Error('members must not reach the group with groupMemberOfUser')
      const id = randomUUID(); groups.set(id, { ...g, id }); return groups.get(id) as ScimResource
    },
    async modifyGroup (id: string, mod: Modification) {
      if (mod.resource.members !== undefined) throw new Error('members must not reach the group with groupMemberOfUser')
      calls.push(`modifyGroup ${id}`)
      groups.set(id, mod.resource); return mod.resource
    },
    async deleteGroup (id) { groups.delete(id) }
  }
}

test('group member changes become user groups changes, and members are read from users', async () => {
  const plugin = memberOfPlugin()
  const h = await harness({ plugin, options: { groupMemberOfUser: true } })
  const a = (await h.json<{ id: string }>('POST', '/Users', user('ann'))).body.id
  const b = (await h.json<{ id: string }>('POST', '/Users', user('ben'))).body.id
  const g = await h.json<{ id: string, members: Array<{ value: string }> }>('POST', '/Groups', { displayName: 'Staff', members: [{ value: a }] })
  assert.equal(g.status, 201)
  assert.deepEqual(g.body.members.map(m => m.value), [a])
  assert.deepEqual((plugin.users.get(a)?.groups as Array<{ value: string }>).map(x => x.value), [g.body.id])

  const patch = (ops: unknown[]): Promise<Response> => h.req('PATCH', `/Groups/${g.body.id}`, { schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: ops })
  assert.equal((await patch([{ op: 'add', path: 'members', value: [{ value: b }] }, { op: 'replace', path: 'displayName', value: 'Staff2' }])).status, 204)
  assert.deepEqual((plugin.users.get(b)?.groups as Array<{ value: string }>).map(x => x.value), [g.body.id])
  assert.equal(plugin.groups.get(g.body.id)?.displayName, 'Staff2')
  assert.equal((await patch([{ op: 'remove', path: `members[value eq "${a}"]` }])).status, 204)
  assert.deepEqual(plugin.users.get(a)?.groups, [])
  const got = await h.json<{ members: Array<{ value: string, display: string }> }>('GET', `/Groups/${g.body.id}`)
  assert.deepEqual(got.body.members.map(m => m.value), [b])
  assert.ok(plugin.calls.some(c => c.startsWith(`modifyUser ${a}`) && c.includes('remove')))
})

test('skipTypeConvert false: modifications carry the type-converted attrObj; type-converted results are read back as SCIM', async () => {
  const plugin = memberOfPlugin()
  const seen: Array<Record<string, unknown> | undefined> = []
  const modifyUser = plugin.modifyUser?.bind(plugin)
  plugin.modifyUser = async (id, mod, ctx) => {
    seen.push(mod.typeConverted)
    await modifyUser?.(id, mod, ctx)
    // answer the way a scimgateway plugin stores it: emails keyed by type
    const stored = plugin.users.get(id) as ScimResource
    const emails = Object.fromEntries((stored.emails as Array<{ type: string, value: string }>).map(e => [e.type, e]))
    plugin.users.set(id, { ...stored, emails })
    return undefined
  }
  const h = await harness({ plugin, options: { skipTypeConvert: false } })
  const id = (await h.json<{ id: string }>('POST', '/Users', user('tc', { emails: [{ type: 'work', value: 'w@x.org' }, { type: 'home', value: 'h@x.org' }] }))).body.id
  const r = await h.req('PATCH', `/Users/${id}`, { schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'remove', path: 'emails[type eq "home"]' }, { op: 'replace', path: 'emails[type eq "work"].value', value: 'w2@x.org' }] })
  assert.equal(r.status, 204)
  const attrObj = seen[0] as { emails: Record<string, { value: string, operation?: string }> }
  assert.equal(attrObj.emails.work?.value, 'w2@x.org')
  assert.equal(attrObj.emails.home?.operation, 'delete')
  const got = await h.json<{ emails: Array<{ type: string, value: string }> }>('GET', `/Users/${id}`)
  assert.deepEqual(got.body.emails, [{ type: 'work', value: 'w2@x.org' }])
})
