// The plugin contract suite (CONVENTIONS §3): one set of behaviours every plugin must have, run
// against each plugin by its own test file with ONE call: registerPluginContract({ name, factory,
// capabilities }). Each test makes a fresh plugin, starts it, and stops and cleans it up afterwards,
// so tests are independent and may run in any order. The suite never assumes an empty store (plugins
// may seed demo data): it creates uniquely named resources.
// A plugin that cannot do something declares it with the reason as a string; the tests that need it
// are skipped and the runner prints the reason (`# SKIP groups: …`). docs/plugins.md describes each
// capability.
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { isScimError } from '../../lib/scim/errors.ts'
import { silentLogger } from '../../lib/logging/types.ts'
import type { ScimPlugin, ScimResource } from '../../lib/plugins/types.ts'
import { Api, BAD_IDS, firstValue, groupIds, idOf, memberIds, opt, pick, rejection, uniq, type Capability } from './contract-api.ts'

export { ctx, query, Api } from './contract-api.ts'

/** What a plugin's factory hands to the suite per test. */
export interface PluginUnderTest {
  plugin: ScimPlugin
  /** Removes what the plugin left behind (temp dirs, tables, …); called after `stop()`. */
  cleanup: () => Promise<void>
}

export type { Capability } from './contract-api.ts'

/** What a plugin declares; every key has a default (see docs/plugins.md, "The contract suite"). */
export interface ContractCapabilities {
  /** Groups: create/get/modify/delete, filter on displayName and members.value (default true). */
  groups?: Capability
  /** Users carry `groups` derived from group membership (default: like `groups`). */
  userGroups?: Capability
  /** Deleting a user removes it from every group's members (default: like `groups`). */
  deleteRemovesMembership?: Capability
  /** modifyUser may change the userName (default true). */
  renameUser?: Capability
  /** Concurrent creates of one userName: exactly one wins (default true). */
  atomicUniqueness?: Capability
  /** externalId is stored and `externalId eq` finds it (default true). */
  externalId?: Capability
  /** `userName eq` matches regardless of case, as SCIM's userName is caseExact false (default true). */
  caseInsensitiveUserName?: Capability
  /**
   * Separate data per baseEntity: give two baseEntities the plugin serves (`true` = tenantA and
   * tenantB), or why not (default: not declared → skipped).
   */
  baseEntityIsolation?: [string, string] | true | string
  /** A baseEntity the plugin has no config for is a 404 (default: not declared → skipped). */
  unknownBaseEntity404?: Capability
  /** `health()` reports every configured baseEntity (default: not declared → skipped). */
  health?: Capability
}

export interface PluginContractDefinition {
  /** Shown in the test names: `plugin contract: <name>`. */
  name: string
  /** A fresh, not yet started plugin per test, plus its cleanup. */
  factory: () => Promise<PluginUnderTest>
  capabilities?: ContractCapabilities
}

/** The old options of runPluginContract (kept so existing test files keep working). */
export interface ContractFeatures {
  baseEntityIsolation?: boolean
  baseEntities?: [string, string]
  groups?: boolean
  userGroups?: boolean
  deleteRemovesMembership?: boolean
}

/**
 * Registers the contract suite for one plugin (one call per plugin and configuration).
 * @example
 * registerPluginContract({
 *   name: 'plugin-ldap (slapd)',
 *   factory: async () => ({ plugin: createLdapPlugin(opts), cleanup: async () => {} }),
 *   capabilities: { atomicUniqueness: 'LDAP has no transaction over the uniqueness check and the add', health: true }
 * })
 */
export function registerPluginContract (def: PluginContractDefinition): void {
  suite(def)
}

/** @deprecated use registerPluginContract; kept for existing test files. */
export function runPluginContract (name: string, factory: () => Promise<PluginUnderTest>, features: ContractFeatures = {}): void {
  const no = 'not declared by the plugin'
  suite({
    name,
    factory,
    capabilities: {
      groups: features.groups === false ? no : true,
      userGroups: features.userGroups === false ? no : true,
      deleteRemovesMembership: features.deleteRemovesMembership === false ? no : true,
      baseEntityIsolation: features.baseEntityIsolation === true ? (features.baseEntities ?? true) : no
    }
  })
}

function suite (def: PluginContractDefinition): void {
  const cap = def.capabilities ?? {}
  const notDeclared = 'not declared by the plugin'
  const groups: Capability = cap.groups ?? true
  const dependent = (c: Capability | undefined): Capability => groups !== true ? `needs groups (${groups})` : c ?? true
  const userGroups = dependent(cap.userGroups)
  const deleteRemovesMembership = dependent(cap.deleteRemovesMembership)
  const iso = cap.baseEntityIsolation ?? notDeclared
  const isolation: Capability = typeof iso === 'string' ? iso : true
  const [entityA, entityB] = Array.isArray(iso) ? iso : ['tenantA', 'tenantB']

  /** Runs `fn` against a fresh, started plugin; always stops and cleans up. */
  const withPlugin = (fn: (p: Api, t: { skip: (why: string) => void }) => Promise<void>) => async (t: { skip: (why: string) => void }): Promise<void> => {
    const put = await def.factory()
    try {
      await put.plugin.start?.(silentLogger)
      try { await fn(new Api(put.plugin), t) } finally { await put.plugin.stop?.() }
    } finally { await put.cleanup() }
  }

  describe(`plugin contract: ${def.name}`, () => {
    describe('users', () => {
      it('createUser assigns an id; get by id returns what was stored', withPlugin(async p => {
        const userName = uniq('user')
        const created = await p.createUser({ userName, name: { givenName: 'Ada', familyName: 'Lovelace' }, emails: [{ value: `${userName}@example.com`, type: 'work' }], active: true })
        assert.equal(typeof created.id, 'string')
        assert.notEqual(created.id, '')
        const got = await p.userById(idOf(created))
        assert.ok(got, 'created user is found by id')
        assert.equal(got.userName, userName)
        assert.deepEqual(pick(got.name, ['givenName', 'familyName']), { givenName: 'Ada', familyName: 'Lovelace' })
        assert.equal(firstValue(got.emails), `${userName}@example.com`)
        assert.deepEqual(JSON.parse(JSON.stringify(got)), got, 'returned resources are plain JSON')
      }))

      it('get by userName eq finds the user; a userName nobody has gives an empty result', withPlugin(async p => {
        const userName = uniq('user')
        const u = await p.createUser({ userName })
        const hits = await p.getUsers({ attribute: 'userName', operator: 'eq', value: userName })
        assert.ok(hits.Resources.some(r => r.id === u.id))
        const none = await p.getUsers({ attribute: 'userName', operator: 'eq', value: uniq('nobody') })
        assert.deepEqual(none.Resources, [])
      }))

      it('get by id eq of an unknown id gives an empty result', withPlugin(async p => {
        assert.deepEqual((await p.getUsers({ attribute: 'id', operator: 'eq', value: randomUUID() })).Resources, [])
      }))

      it('a list without filter contains created users (or is an exact page)', withPlugin(async p => {
        const a = await p.createUser({ userName: uniq('list') })
        const b = await p.createUser({ userName: uniq('list') })
        const all = await p.list('Users', 1000)
        if (all.exact !== undefined) {
          assert.ok(all.exact.totalResults >= 2)
          assert.ok(all.Resources.length <= 1000)
        }
        const ids = new Set(all.Resources.map(r => r.id))
        assert.ok(ids.has(a.id) && ids.has(b.id))
        const page = await p.list('Users', 1)
        if (page.exact !== undefined) assert.equal(page.Resources.length, 1)
      }))

      it('modifyUser stores the new resource and keeps the id', withPlugin(async p => {
        const u = await p.createUser({ userName: uniq('mod'), displayName: 'Before', active: true })
        const cur = await p.userById(idOf(u))
        assert.ok(cur)
        const returned = await p.modifyUser(idOf(u), { ...cur, displayName: 'After', active: false })
        if (returned !== undefined) { assert.equal(returned.id, u.id); assert.equal(returned.displayName, 'After') }
        const got = await p.userById(idOf(u))
        assert.equal(got?.displayName, 'After')
        assert.equal(got?.active, false)
      }))

      it('modifyUser can change the userName; the old one no longer matches', opt(cap.renameUser), withPlugin(async p => {
        const oldName = uniq('old')
        const newName = uniq('new')
        const u = await p.createUser({ userName: oldName })
        await p.modifyUser(idOf(u), { ...(await p.userById(idOf(u))), userName: newName })
        const byNew = await p.getUsers({ attribute: 'userName', operator: 'eq', value: newName })
        assert.ok(byNew.Resources.some(r => r.id === u.id))
        const byOld = await p.getUsers({ attribute: 'userName', operator: 'eq', value: oldName })
        assert.ok(!byOld.Resources.some(r => r.userName === oldName))
      }))

      it('a duplicate userName is refused with 409 uniqueness, naming the userName', withPlugin(async p => {
        const userName = uniq('dup')
        await p.createUser({ userName })
        const err = await rejection(p.createUser({ userName }))
        assert.equal(err.status, 409)
        assert.equal(err.scimType, 'uniqueness')
        assert.match(err.detail, new RegExp(userName))
        const hits = await p.getUsers({ attribute: 'userName', operator: 'eq', value: userName })
        assert.equal(hits.Resources.filter(r => r.userName === userName).length, 1)
      }))

      it('concurrent creates of one userName: exactly one succeeds, the others get 409', opt(cap.atomicUniqueness), withPlugin(async p => {
        const userName = uniq('race')
        const results = await Promise.allSettled(Array.from({ length: 10 }, async () => await p.createUser({ userName })))
        assert.equal(results.filter(r => r.status === 'fulfilled').length, 1)
        for (const r of results) if (r.status === 'rejected') assert.ok(isScimError(r.reason) && r.reason.status === 409)
      }))

      it('modifyUser to another user\'s userName is refused with 409 and changes nothing', withPlugin(async p => {
        const a = await p.createUser({ userName: uniq('a') })
        const b = await p.createUser({ userName: uniq('b'), displayName: 'B' })
        const cur = await p.userById(idOf(b))
        const err = await rejection(p.modifyUser(idOf(b), { ...cur, userName: String(a.userName), displayName: 'changed' }))
        assert.equal(err.status, 409)
        const after = await p.userById(idOf(b))
        assert.equal(after?.userName, b.userName)
        assert.equal(after?.displayName, 'B')
      }))

      it('deleteUser removes the user; deleting or modifying it again is 404', withPlugin(async p => {
        const u = await p.createUser({ userName: uniq('del') })
        const cur = await p.userById(idOf(u))
        await p.deleteUser(idOf(u))
        assert.equal(await p.userById(idOf(u)), undefined)
        assert.equal((await rejection(p.deleteUser(idOf(u)))).status, 404)
        assert.equal((await rejection(p.modifyUser(idOf(u), { ...cur, displayName: 'x' }))).status, 404)
      }))
    })

    describe('bad ids never cause anything but a ScimError', () => {
      for (const kind of groups === true ? ['Users', 'Groups'] as const : ['Users'] as const) {
        it(`${kind}: get/modify/delete with malformed or unknown ids`, withPlugin(async p => {
          for (const id of BAD_IDS) {
            try {
              const r = await p.get(kind, { attribute: 'id', operator: 'eq', value: id })
              assert.ok(!r.Resources.some(x => x.id === id), `no resource with id ${JSON.stringify(id)}`)
            } catch (e) {
              assert.ok(isScimError(e), `get with id ${JSON.stringify(id)} threw a non-ScimError: ${String(e)}`)
            }
            const body: ScimResource = kind === 'Users' ? { id, userName: uniq('bad') } : { id, displayName: uniq('bad') }
            const m = await rejection(kind === 'Users' ? p.modifyUser(id, body) : p.modifyGroup(id, body))
            assert.ok(m.status === 404 || m.status === 400, `modify ${JSON.stringify(id)}: status ${m.status}`)
            const d = await rejection(kind === 'Users' ? p.deleteUser(id) : p.deleteGroup(id))
            assert.ok(d.status === 404 || d.status === 400, `delete ${JSON.stringify(id)}: status ${d.status}`)
          }
        }))
      }
    })

    describe('groups', opt(groups), () => {
        it('createGroup with a member; get by id, displayName eq and members.value eq find it', withPlugin(async p => {
          const u = await p.createUser({ userName: uniq('member') })
          const displayName = uniq('Group')
          const g = await p.createGroup({ displayName, members: [{ value: idOf(u) }] })
          assert.equal(typeof g.id, 'string')
          const got = await p.groupById(idOf(g))
          assert.equal(got?.displayName, displayName)
          assert.deepEqual(memberIds(got), [u.id])
          const byName = await p.getGroups({ attribute: 'displayName', operator: 'eq', value: displayName })
          assert.ok(byName.Resources.some(r => r.id === g.id))
          const byMember = await p.getGroups({ attribute: 'members.value', operator: 'eq', value: idOf(u) })
          assert.ok(byMember.Resources.some(r => r.id === g.id))
          const none = await p.getGroups({ attribute: 'displayName', operator: 'eq', value: uniq('nogroup') })
          assert.deepEqual(none.Resources, [])
        }))

        it('modifyGroup replaces members and displayName', withPlugin(async p => {
          const a = await p.createUser({ userName: uniq('a') })
          const b = await p.createUser({ userName: uniq('b') })
          const g = await p.createGroup({ displayName: uniq('G'), members: [{ value: idOf(a) }] })
          const cur = await p.groupById(idOf(g))
          const newName = uniq('G2')
          await p.modifyGroup(idOf(g), { ...cur, displayName: newName, members: [{ value: idOf(b) }] })
          const got = await p.groupById(idOf(g))
          assert.equal(got?.displayName, newName)
          assert.deepEqual(memberIds(got), [b.id])
        }))

        it('member deltas (plugins declaring capabilities.groupMemberDelta): add/remove by value, no-ops, other attributes kept, 404', withPlugin(async (p, t) => {
          if (!p.declaresMemberDelta()) {
            t.skip('the plugin does not declare capabilities.groupMemberDelta: the gateway never sends it deltas')
            return
          }
          const [a, b, c] = [await p.createUser({ userName: uniq('a') }), await p.createUser({ userName: uniq('b') }), await p.createUser({ userName: uniq('c') })]
          const g = await p.createGroup({ displayName: uniq('D'), externalId: uniq('x'), members: [{ value: idOf(a) }, { value: idOf(b) }] })
          await p.memberDelta(idOf(g), { add: [{ value: idOf(c), display: 'C' }], remove: [idOf(a).toUpperCase()] })
          let got = await p.groupById(idOf(g))
          assert.deepEqual(memberIds(got).sort(), [idOf(b), idOf(c)].sort())
          assert.equal(got?.displayName, g.displayName)
          assert.equal(got?.externalId, g.externalId)
          const version = got?.meta?.version
          await p.memberDelta(idOf(g), { add: [{ value: idOf(b) }], remove: [idOf(a)] }) // already so: nothing changes
          got = await p.groupById(idOf(g))
          assert.deepEqual(memberIds(got).sort(), [idOf(b), idOf(c)].sort())
          if (version !== undefined) assert.equal(got?.meta?.version, version)
          await p.memberDelta(idOf(g), { add: [{ value: idOf(a) }], remove: [idOf(a)] }) // remove applies before add
          assert.deepEqual(memberIds(await p.groupById(idOf(g))).sort(), [idOf(a), idOf(b), idOf(c)].sort())
          if (userGroups === true) assert.ok(groupIds(await p.userById(idOf(c))).includes(idOf(g)))
          assert.equal((await rejection(p.memberDelta(`missing-${randomUUID()}`, { add: [{ value: idOf(a) }], remove: [] }))).status, 404)
        }))

        it('deleteGroup removes it; again is 404', withPlugin(async p => {
          const g = await p.createGroup({ displayName: uniq('del') })
          await p.deleteGroup(idOf(g))
          assert.equal(await p.groupById(idOf(g)), undefined)
          assert.equal((await rejection(p.deleteGroup(idOf(g)))).status, 404)
        }))

        it('a user\'s groups follow group membership changes', opt(userGroups), withPlugin(async p => {
            const u = await p.createUser({ userName: uniq('m') })
            const g = await p.createGroup({ displayName: uniq('G'), members: [{ value: idOf(u) }] })
            assert.ok(groupIds(await p.userById(idOf(u))).includes(idOf(g)))
            await p.modifyGroup(idOf(g), { ...(await p.groupById(idOf(g))), members: [] })
            assert.ok(!groupIds(await p.userById(idOf(u))).includes(idOf(g)))
            await p.modifyGroup(idOf(g), { ...(await p.groupById(idOf(g))), members: [{ value: idOf(u) }] })
            assert.ok(groupIds(await p.userById(idOf(u))).includes(idOf(g)))
            await p.deleteGroup(idOf(g))
            assert.ok(!groupIds(await p.userById(idOf(u))).includes(idOf(g)))
          }))

        it('deleting a user removes it from the groups it was in', opt(deleteRemovesMembership), withPlugin(async p => {
            const a = await p.createUser({ userName: uniq('a') })
            const b = await p.createUser({ userName: uniq('b') })
            const g = await p.createGroup({ displayName: uniq('G'), members: [{ value: idOf(a) }, { value: idOf(b) }] })
            await p.deleteUser(idOf(a))
            assert.deepEqual(memberIds(await p.groupById(idOf(g))), [b.id])
          }))
      })

    describe('baseEntity isolation', opt(isolation), () => {
        it('data of one baseEntity is invisible in another; the same userName may exist in each', withPlugin(async p => {
          const userName = uniq('tenant')
          const inA = await p.createUser({ userName }, entityA)
          assert.equal(await p.userById(idOf(inA), entityB), undefined)
          assert.equal(await p.userById(idOf(inA)), undefined)
          const byName = await p.getUsers({ attribute: 'userName', operator: 'eq', value: userName }, entityB)
          assert.ok(!byName.Resources.some(r => r.userName === userName))
          const inB = await p.createUser({ userName }, entityB)
          assert.notEqual(inB.id, inA.id)
          assert.equal((await rejection(p.deleteUser(idOf(inA), entityB))).status, 404)
          assert.ok(await p.userById(idOf(inA), entityA))
        }))
      })
    describe('query.simple is applied exactly (the gateway trusts an eq on these attributes)', () => {
      it('Users: id eq and userName eq return exactly the matching user', withPlugin(async p => {
        const a = await p.createUser({ userName: uniq('exact') })
        const b = await p.createUser({ userName: uniq('exact') })
        for (const [attribute, value] of [['id', idOf(a)], ['userName', String(a.userName)]] as const) {
          const r = await p.getUsers({ attribute, operator: 'eq', value })
          assert.deepEqual(r.Resources.map(x => x.id), [a.id], `${attribute} eq returns only the match`)
          assert.ok(!r.Resources.some(x => x.id === b.id))
        }
      }))

      it('Users: externalId eq returns exactly the matching user', opt(cap.externalId), withPlugin(async p => {
        const externalId = uniq('ext')
        const a = await p.createUser({ userName: uniq('exact'), externalId })
        await p.createUser({ userName: uniq('exact'), externalId: uniq('ext') })
        const r = await p.getUsers({ attribute: 'externalId', operator: 'eq', value: externalId })
        assert.deepEqual(r.Resources.map(x => x.id), [a.id])
        assert.equal(r.Resources[0]?.externalId, externalId)
      }))

      it('Users: userName eq ignores case', opt(cap.caseInsensitiveUserName), withPlugin(async p => {
        const a = await p.createUser({ userName: uniq('CaseUser') })
        const r = await p.getUsers({ attribute: 'userName', operator: 'eq', value: String(a.userName).toUpperCase() })
        assert.deepEqual(r.Resources.map(x => x.id), [a.id])
      }))

      it('Groups: id, displayName and members.value eq return exactly the matching groups', opt(groups), withPlugin(async p => {
        const u = await p.createUser({ userName: uniq('m') })
        const g1 = await p.createGroup({ displayName: uniq('Exact'), members: [{ value: idOf(u) }] })
        const g2 = await p.createGroup({ displayName: uniq('Exact') })
        for (const [attribute, value] of [['id', idOf(g1)], ['displayName', String(g1.displayName)], ['members.value', idOf(u)]] as const) {
          const r = await p.getGroups({ attribute, operator: 'eq', value })
          assert.deepEqual(r.Resources.map(x => x.id), [g1.id], `${attribute} eq returns only the match`)
        }
        assert.ok((await p.groupById(idOf(g2))) !== undefined)
      }))

      it('an exact page (GetResult.exact) honours startIndex and count', withPlugin(async p => {
        await p.createUser({ userName: uniq('page') })
        await p.createUser({ userName: uniq('page') })
        const first = await p.page('Users', 1, 2)
        if (first.exact === undefined) return // the gateway pages this plugin's lists itself
        assert.ok(first.Resources.length <= 2)
        const second = await p.page('Users', 2, 1)
        assert.equal(second.exact?.totalResults, first.exact.totalResults)
        assert.equal(second.Resources[0]?.id, first.Resources[1]?.id, 'startIndex 2 starts at the second resource')
      }))
    })

    describe('baseEntities', () => {
      it('a baseEntity the plugin has no config for is a 404', opt(cap.unknownBaseEntity404 ?? notDeclared), withPlugin(async p => {
        const be = `no-such-entity-${randomUUID().slice(0, 8)}`
        assert.equal((await rejection(p.getUsers({ attribute: 'userName', operator: 'eq', value: 'x' }, be))).status, 404)
        assert.equal((await rejection(p.createUser({ userName: uniq('x') }, be))).status, 404)
      }))

      it('health() reports each configured baseEntity as up, down or idle', opt(cap.health ?? notDeclared), withPlugin(async p => {
        await p.getUsers({ attribute: 'userName', operator: 'eq', value: uniq('touch') })
        const h = await p.plugin.health?.()
        assert.ok(h !== undefined, 'the plugin implements health()')
        const entries = Object.entries(h.entities)
        assert.ok(entries.length > 0)
        for (const [key, e] of entries) assert.ok(['up', 'down', 'idle'].includes(e.state), `${key}: ${e.state}`)
        assert.equal(h.entities.undefined?.state, 'up', 'the entity just used is up')
      }))
    })
  })
}
