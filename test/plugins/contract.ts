// The plugin contract suite (CONVENTIONS §3): one set of behaviours every plugin must have, run
// against each plugin by its own test file. Each test makes a fresh plugin, starts it, and stops and
// cleans it up afterwards, so tests are independent and may run in any order. The suite never assumes
// an empty store (plugins may seed demo data): it creates uniquely named resources.
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { isScimError } from '../../lib/scim/errors.ts'
import { silentLogger } from '../../lib/logging/types.ts'
import type { GetQuery, GetResult, JsonObject, MemberDelta, PluginContext, ScimPlugin, ScimResource, SimpleFilter } from '../../lib/plugins/types.ts'

/** What a plugin's test file hands to the suite per test. */
export interface PluginUnderTest {
  plugin: ScimPlugin
  /** Removes what the plugin left behind (temp dirs, tables, …); called after `stop()`. */
  cleanup: () => Promise<void>
}

/** Optional behaviours; a plugin declares those it has. */
export interface ContractFeatures {
  /** Separate data per `ctx.baseEntity` (default false). */
  baseEntityIsolation?: boolean
  /** Two baseEntities the plugin accepts when `baseEntityIsolation` is on (default ['tenantA', 'tenantB']). */
  baseEntities?: [string, string]
  /** Groups: create/get/modify/delete (default true). */
  groups?: boolean
  /** Users carry `groups` derived from group membership (default true when groups are on). */
  userGroups?: boolean
  /** Deleting a user removes it from every group's members (default true when groups are on). */
  deleteRemovesMembership?: boolean
}

/**
 * Registers the contract suite for one plugin.
 * @example
 * runPluginContract('plugin-loki (memory)', async () => ({
 *   plugin: createLokiPlugin({ persistence: 'memory' }),
 *   cleanup: async () => {}
 * }), { baseEntityIsolation: true })
 */
export function runPluginContract (name: string, makePlugin: () => Promise<PluginUnderTest>, features: ContractFeatures = {}): void {
  const groups = features.groups ?? true
  const userGroups = groups && (features.userGroups ?? true)
  const deleteRemovesMembership = groups && (features.deleteRemovesMembership ?? true)
  const [entityA, entityB] = features.baseEntities ?? ['tenantA', 'tenantB']

  /** Runs `fn` against a fresh, started plugin; always stops and cleans up. */
  const withPlugin = (fn: (p: Api, t: { skip: (why: string) => void }) => Promise<void>) => async (t: { skip: (why: string) => void }): Promise<void> => {
    const put = await makePlugin()
    try {
      await put.plugin.start?.(silentLogger)
      try { await fn(new Api(put.plugin), t) } finally { await put.plugin.stop?.() }
    } finally { await put.cleanup() }
  }

  describe(`plugin contract: ${name}`, () => {
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

      it('modifyUser can change the userName; the old one no longer matches', withPlugin(async p => {
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

      it('concurrent creates of one userName: exactly one succeeds, the others get 409', withPlugin(async p => {
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
      for (const kind of groups ? ['Users', 'Groups'] as const : ['Users'] as const) {
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

    if (groups) {
      describe('groups', () => {
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
          if (userGroups) assert.ok(groupIds(await p.userById(idOf(c))).includes(idOf(g)))
          assert.equal((await rejection(p.memberDelta(`missing-${randomUUID()}`, { add: [{ value: idOf(a) }], remove: [] }))).status, 404)
        }))

        it('deleteGroup removes it; again is 404', withPlugin(async p => {
          const g = await p.createGroup({ displayName: uniq('del') })
          await p.deleteGroup(idOf(g))
          assert.equal(await p.groupById(idOf(g)), undefined)
          assert.equal((await rejection(p.deleteGroup(idOf(g)))).status, 404)
        }))

        if (userGroups) {
          it('a user\'s groups follow group membership changes', withPlugin(async p => {
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
        }

        if (deleteRemovesMembership) {
          it('deleting a user removes it from the groups it was in', withPlugin(async p => {
            const a = await p.createUser({ userName: uniq('a') })
            const b = await p.createUser({ userName: uniq('b') })
            const g = await p.createGroup({ displayName: uniq('G'), members: [{ value: idOf(a) }, { value: idOf(b) }] })
            await p.deleteUser(idOf(a))
            assert.deepEqual(memberIds(await p.groupById(idOf(g))), [b.id])
          }))
        }
      })
    }

    if (features.baseEntityIsolation === true) {
      describe('baseEntity isolation', () => {
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
    }
  })
}

const BAD_IDS = ['', 'does-not-exist', '../../etc/passwd', '%00', '\u0000', 'x'.repeat(2000), '"); DROP TABLE users;--', '*', '(|(uid=*))', 'ünïcødé', ' ', randomUUID().toUpperCase()]

/** Typed, context-filling wrapper around the plugin methods the suite calls. */
class Api {
  constructor (private readonly plugin: ScimPlugin) {}

  private fn<K extends keyof ScimPlugin> (k: K): NonNullable<ScimPlugin[K]> {
    const f = this.plugin[k]
    assert.ok(typeof f === 'function', `plugin ${this.plugin.name} implements ${String(k)}`)
    return (f as (...args: unknown[]) => unknown).bind(this.plugin) as NonNullable<ScimPlugin[K]>
  }

  async get (kind: 'Users' | 'Groups', simple: SimpleFilter, be?: string): Promise<GetResult> {
    return kind === 'Users' ? await this.getUsers(simple, be) : await this.getGroups(simple, be)
  }

  async getUsers (simple: SimpleFilter, be?: string): Promise<GetResult> { return await this.fn('getUsers')(query(simple), ctx(be)) }
  async getGroups (simple: SimpleFilter, be?: string): Promise<GetResult> { return await this.fn('getGroups')(query(simple), ctx(be)) }
  async list (kind: 'Users' | 'Groups', count: number, be?: string): Promise<GetResult> {
    const q: GetQuery = { attributes: [], excludedAttributes: [], startIndex: 1, count }
    return kind === 'Users' ? await this.fn('getUsers')(q, ctx(be)) : await this.fn('getGroups')(q, ctx(be))
  }

  async userById (id: string, be?: string): Promise<ScimResource | undefined> {
    return (await this.getUsers({ attribute: 'id', operator: 'eq', value: id }, be)).Resources.find(r => r.id === id)
  }

  async groupById (id: string, be?: string): Promise<ScimResource | undefined> {
    return (await this.getGroups({ attribute: 'id', operator: 'eq', value: id }, be)).Resources.find(r => r.id === id)
  }

  async createUser (u: ScimResource, be?: string): Promise<ScimResource> { return await this.fn('createUser')({ schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], ...u }, ctx(be)) }
  async createGroup (g: ScimResource, be?: string): Promise<ScimResource> { return await this.fn('createGroup')({ schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], ...g }, ctx(be)) }
  async modifyUser (id: string, resource: ScimResource | undefined, be?: string): Promise<ScimResource | undefined> {
    assert.ok(resource !== undefined)
    return await this.fn('modifyUser')(id, { resource, operations: [] }, ctx(be))
  }

  async modifyGroup (id: string, resource: ScimResource | undefined, be?: string): Promise<ScimResource | undefined> {
    assert.ok(resource !== undefined)
    return await this.fn('modifyGroup')(id, { resource, operations: [] }, ctx(be))
  }

  /** A member delta as the gateway sends it (see Modification.members). */
  async memberDelta (id: string, delta: MemberDelta, be?: string): Promise<ScimResource | undefined> {
    return await this.fn('modifyGroup')(id, { resource: { id }, operations: [], members: delta }, ctx(be))
  }

  declaresMemberDelta (): boolean { return this.plugin.capabilities?.groupMemberDelta === true }

  async deleteUser (id: string, be?: string): Promise<void> { await this.fn('deleteUser')(id, ctx(be)) }
  async deleteGroup (id: string, be?: string): Promise<void> { await this.fn('deleteGroup')(id, ctx(be)) }
}

/** A request context as the gateway builds it. */
export function ctx (baseEntity?: string): PluginContext {
  return { baseEntity, log: silentLogger, signal: new AbortController().signal, requestId: `contract-${randomUUID()}` }
}

/** A GetQuery for one comparison, with the filter AST the gateway would also pass. */
export function query (simple: SimpleFilter): GetQuery {
  const [attr, sub] = simple.attribute.split('.')
  const path = sub === undefined ? { attr: attr ?? '' } : { attr: attr ?? '', sub }
  const filter = simple.operator === 'pr'
    ? { type: 'present' as const, path }
    : { type: 'compare' as const, path, op: simple.operator, value: simple.value }
  return { filter, simple, rawFilter: `${simple.attribute} ${simple.operator} ${JSON.stringify(simple.value)}`, attributes: [], excludedAttributes: [], startIndex: 1 }
}

/** The ScimError a promise rejects with (fails the test if it resolves or rejects with anything else). */
async function rejection (p: Promise<unknown>): Promise<{ status: number, scimType: string | undefined, detail: string }> {
  try { await p } catch (e) {
    assert.ok(isScimError(e), `expected a ScimError, got ${String(e)}`)
    return e
  }
  assert.fail('expected a rejection')
}

function uniq (prefix: string): string { return `${prefix}-${randomUUID().slice(0, 8)}` }

function idOf (r: ScimResource): string {
  assert.equal(typeof r.id, 'string')
  return r.id ?? ''
}

function pick (v: unknown, keys: string[]): JsonObject {
  const out: JsonObject = {}
  if (typeof v === 'object' && v !== null) for (const k of keys) out[k] = (v as JsonObject)[k]
  return out
}

function values (v: unknown): string[] {
  if (!Array.isArray(v)) return []
  return v.flatMap(x => typeof x === 'object' && x !== null && typeof (x as JsonObject).value === 'string' ? [String((x as JsonObject).value)] : [])
}

function firstValue (v: unknown): string | undefined { return values(v)[0] }
function memberIds (g: ScimResource | undefined): string[] { return values(g?.members) }
function groupIds (u: ScimResource | undefined): string[] { return values(u?.groups) }
