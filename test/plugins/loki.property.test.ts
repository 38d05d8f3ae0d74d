// Property test of plugin-loki: random sequences of user/group writes (with colliding userNames,
// restarts and a tiny compaction threshold) run against the plugin and against a plain model; after
// every sequence the plugin's answers (by id, by userName, memberships, counts) must equal the model's.
import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import fc from 'fast-check'
import { createLokiPlugin } from '../../lib/plugins/plugin-loki.ts'
import { isScimError } from '../../lib/scim/errors.ts'
import { silentLogger } from '../../lib/logging/types.ts'
import type { GetQuery, ScimPlugin, ScimResource } from '../../lib/plugins/types.ts'
import { ctx, query } from './contract.ts'

type Cmd =
  | { t: 'createUser', name: string }
  | { t: 'renameUser', i: number, name: string }
  | { t: 'deleteUser', i: number }
  | { t: 'createGroup', name: string, members: number[] }
  | { t: 'setMembers', i: number, members: number[] }
  | { t: 'deleteGroup', i: number }
  | { t: 'restart' }

const USER_NAMES = ['alice', 'ALICE', 'bob', 'carol', 'Dave', 'dave']
const GROUP_NAMES = ['admins', 'Admins', 'staff']

// creates weigh more, so that sequences build up state worth deleting and renaming
const cmdArb: fc.Arbitrary<Cmd> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ t: fc.constant('createUser' as const), name: fc.constantFrom(...USER_NAMES) }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('renameUser' as const), i: fc.nat(9), name: fc.constantFrom(...USER_NAMES) }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('deleteUser' as const), i: fc.nat(9) }) },
  { weight: 3, arbitrary: fc.record({ t: fc.constant('createGroup' as const), name: fc.constantFrom(...GROUP_NAMES), members: fc.array(fc.nat(9), { minLength: 1, maxLength: 4 }) }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('setMembers' as const), i: fc.nat(9), members: fc.array(fc.nat(9), { maxLength: 4 }) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('deleteGroup' as const), i: fc.nat(9) }) },
  { weight: 1, arbitrary: fc.constant({ t: 'restart' as const }) }
)

interface Model {
  users: Map<string, string> // id → userName
  groups: Map<string, { name: string, members: string[] }>
}

type Plugin = Required<Pick<ScimPlugin, 'getUsers' | 'getGroups' | 'createUser' | 'createGroup' | 'modifyUser' | 'modifyGroup' | 'deleteUser' | 'deleteGroup' | 'stop'>>

async function start (file: string): Promise<Plugin> {
  const p = createLokiPlugin({ persistence: { file, compactThreshold: 5, fsync: false }, demoData: false })
  await p.start?.(silentLogger)
  const { getUsers, getGroups, createUser, createGroup, modifyUser, modifyGroup, deleteUser, deleteGroup, stop } = p
  assert.ok(getUsers && getGroups && createUser && createGroup && modifyUser && modifyGroup && deleteUser && deleteGroup && stop)
  return { getUsers, getGroups, createUser, createGroup, modifyUser, modifyGroup, deleteUser, deleteGroup, stop }
}

const pickId = (ids: Iterable<string>, i: number): string | undefined => { const a = [...ids]; return a.length === 0 ? undefined : a[i % a.length] }
const taken = (names: Iterable<string>, name: string): boolean => { for (const n of names) if (n.toLowerCase() === name.toLowerCase()) return true; return false }
const values = (v: unknown): string[] => Array.isArray(v) ? v.map(x => String((x as { value?: unknown }).value)) : []
const is409 = (e: unknown): boolean => isScimError(e) && e.status === 409

async function run (p: Plugin, m: Model, c: Cmd, file: string): Promise<Plugin> {
  switch (c.t) {
    case 'createUser': {
      if (taken(m.users.values(), c.name)) { await assert.rejects(p.createUser({ userName: c.name }, ctx()), is409); return p }
      const u = await p.createUser({ userName: c.name }, ctx())
      m.users.set(String(u.id), c.name)
      return p
    }
    case 'renameUser': {
      const id = pickId(m.users.keys(), c.i)
      if (id === undefined) return p
      const others = [...m.users].filter(([k]) => k !== id).map(([, n]) => n)
      const resource: ScimResource = { id, userName: c.name }
      if (taken(others, c.name)) { await assert.rejects(p.modifyUser(id, { resource, operations: [] }, ctx()), is409); return p }
      await p.modifyUser(id, { resource, operations: [] }, ctx())
      m.users.set(id, c.name)
      return p
    }
    case 'deleteUser': {
      const id = pickId(m.users.keys(), c.i)
      if (id === undefined) return p
      await p.deleteUser(id, ctx())
      m.users.delete(id)
      for (const g of m.groups.values()) g.members = g.members.filter(x => x !== id)
      return p
    }
    case 'createGroup': {
      const members = [...new Set(c.members.map(i => pickId(m.users.keys(), i)).filter((x): x is string => x !== undefined))]
      const body: ScimResource = { displayName: c.name, members: members.map(value => ({ value })) }
      if (taken([...m.groups.values()].map(g => g.name), c.name)) { await assert.rejects(p.createGroup(body, ctx()), is409); return p }
      const g = await p.createGroup(body, ctx())
      m.groups.set(String(g.id), { name: c.name, members })
      return p
    }
    case 'setMembers': {
      const id = pickId(m.groups.keys(), c.i)
      const g = id === undefined ? undefined : m.groups.get(id)
      if (id === undefined || g === undefined) return p
      const members = [...new Set(c.members.map(i => pickId(m.users.keys(), i)).filter((x): x is string => x !== undefined))]
      await p.modifyGroup(id, { resource: { id, displayName: g.name, members: members.map(value => ({ value })) }, operations: [] }, ctx())
      g.members = members
      return p
    }
    case 'deleteGroup': {
      const id = pickId(m.groups.keys(), c.i)
      if (id === undefined) return p
      await p.deleteGroup(id, ctx())
      m.groups.delete(id)
      return p
    }
    case 'restart':
      await p.stop()
      return await start(file)
  }
}

async function check (p: Plugin, m: Model): Promise<void> {
  const all: GetQuery = { attributes: [], excludedAttributes: [], startIndex: 1, count: 1000 }
  const users = await p.getUsers(all, ctx())
  assert.equal(users.exact?.totalResults, m.users.size)
  assert.deepEqual(new Map(users.Resources.map(u => [String(u.id), String(u.userName)])), m.users)
  for (const name of USER_NAMES) {
    const hits = (await p.getUsers(query({ attribute: 'userName', operator: 'eq', value: name }), ctx())).Resources.map(u => u.id)
    const expected = [...m.users].filter(([, n]) => n.toLowerCase() === name.toLowerCase()).map(([id]) => id)
    assert.deepEqual(hits, expected, `userName eq ${name}`)
  }
  for (const u of users.Resources) {
    const expected = [...m.groups].filter(([, g]) => g.members.includes(String(u.id))).map(([gid]) => gid).sort()
    assert.deepEqual(values(u.groups).sort(), expected, `groups of ${String(u.userName)}`)
  }
  const groups = await p.getGroups(all, ctx())
  assert.equal(groups.exact?.totalResults, m.groups.size)
  for (const g of groups.Resources) assert.deepEqual(values(g.members), m.groups.get(String(g.id))?.members)
}

describe('plugin-loki property: random write sequences match a model, across restarts and compactions', () => {
  let dir = ''
  before(async () => { dir = await mkdtemp(join(tmpdir(), 'loki-prop-')) })
  after(async () => { await rm(dir, { recursive: true, force: true }) })

  it('holds for 100 random sequences', async () => {
    let n = 0
    await fc.assert(fc.asyncProperty(fc.array(cmdArb, { minLength: 5, maxLength: 40, size: 'max' }), async cmds => {
      const file = join(dir, `prop-${++n}.jsonl`)
      const m: Model = { users: new Map(), groups: new Map() }
      let p = await start(file)
      try {
        for (const c of cmds) p = await run(p, m, c, file)
        await check(p, m)
        await p.stop()
        p = await start(file) // and once more from disk
        await check(p, m)
      } finally { await p.stop() }
    }), { numRuns: 100 })
  })
})
