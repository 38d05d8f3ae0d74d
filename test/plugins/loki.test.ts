// plugin-loki: the plugin contract (memory and file persistence) plus what is specific to the
// embedded store: demo data, persistence across restarts, crash safety of the journal, compaction,
// indexes, options.
import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, rm, readFile, appendFile, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import Loki from 'lokijs'
import { createLokiPlugin, lokiOptionsFromEndpoint, LokiOptionsError, type LokiOptions } from '../../lib/plugins/plugin-loki.ts'
import { isScimError } from '../../lib/scim/errors.ts'
import { silentLogger } from '../../lib/logging/types.ts'
import type { GetQuery, ScimPlugin, ScimResource, SimpleFilter } from '../../lib/plugins/types.ts'
import { registerPluginContract, ctx, query } from './contract.ts'

const noBackend = 'plugin-loki is an embedded store: there is no backend whose health could change'

registerPluginContract({
  name: 'plugin-loki (memory)',
  factory: async () => ({ plugin: createLokiPlugin({ persistence: 'memory' }), cleanup: async () => {} }),
  capabilities: {
    baseEntityIsolation: true,
    unknownBaseEntity404: 'without endpoint.entity plugin-loki serves every baseEntity (see the "listed entities" run)',
    health: noBackend
  }
})

registerPluginContract({
  name: 'plugin-loki (listed entities)',
  factory: async () => ({ plugin: createLokiPlugin({ persistence: 'memory', entities: ['tenantA', 'tenantB'] }), cleanup: async () => {} }),
  capabilities: { baseEntityIsolation: true, unknownBaseEntity404: true, health: noBackend }
})

registerPluginContract({
  name: 'plugin-loki (file)',
  factory: async () => {
    const dir = await mkdtemp(join(tmpdir(), 'loki-contract-'))
    return {
      plugin: createLokiPlugin({ persistence: { file: join(dir, 'loki.db') } }),
      cleanup: async () => { await rm(dir, { recursive: true, force: true }) }
    }
  },
  capabilities: { baseEntityIsolation: true, unknownBaseEntity404: 'without endpoint.entity plugin-loki serves every baseEntity', health: noBackend }
})

describe('plugin-loki', () => {
  let dir = ''
  before(async () => { dir = await mkdtemp(join(tmpdir(), 'loki-test-')) })
  after(async () => { await rm(dir, { recursive: true, force: true }) })
  let n = 0
  const newFile = (): string => join(dir, `db-${++n}.jsonl`)

  async function started (opts: LokiOptions): Promise<Required<Pick<ScimPlugin, 'getUsers' | 'getGroups' | 'createUser' | 'createGroup' | 'modifyUser' | 'modifyGroup' | 'deleteUser' | 'deleteGroup' | 'stop'>>> {
    const p = createLokiPlugin(opts)
    await p.start?.(silentLogger)
    const { getUsers, getGroups, createUser, createGroup, modifyUser, modifyGroup, deleteUser, deleteGroup, stop } = p
    assert.ok(getUsers && getGroups && createUser && createGroup && modifyUser && modifyGroup && deleteUser && deleteGroup && stop)
    return { getUsers, getGroups, createUser, createGroup, modifyUser, modifyGroup, deleteUser, deleteGroup, stop }
  }
  const eq = (attribute: string, value: string): GetQuery => query({ attribute, operator: 'eq', value } satisfies SimpleFilter)
  const all: GetQuery = { attributes: [], excludedAttributes: [], startIndex: 1 }
  type P = Awaited<ReturnType<typeof started>>
  const user = async (p: P, userName: string, be?: string): Promise<ScimResource | undefined> => (await p.getUsers(eq('userName', userName), ctx(be))).Resources[0]
  const group = async (p: P, name: string): Promise<ScimResource | undefined> => (await p.getGroups(eq('displayName', name), ctx())).Resources[0]
  const values = (v: unknown): unknown[] => Array.isArray(v) ? v.map(x => (x as { value?: unknown }).value) : []

  describe('demo data', () => {
    it('seeds bjensen, jsmith, Admins and Employees with memberships and the enterprise extension', async () => {
      const p = await started({ persistence: 'memory' })
      const bj = await user(p, 'bjensen')
      const js = await user(p, 'jsmith')
      assert.ok(bj && js)
      assert.equal(bj.displayName, 'Barbara Jensen')
      assert.equal(js.displayName, 'John Smith')
      assert.ok(values(bj.emails).includes('bjensen@example.com'))
      assert.ok(Array.isArray(bj.phoneNumbers) && bj.phoneNumbers.length > 0)
      const ent = bj['urn:ietf:params:scim:schemas:extension:enterprise:2.0:User'] as Record<string, unknown>
      assert.equal(ent.employeeNumber, '701984')
      assert.equal(typeof ent.department, 'string')
      assert.equal((ent.manager as { value: string }).value, js.id)
      const admins = await group(p, 'Admins')
      const employees = await group(p, 'Employees')
      assert.deepEqual(values(admins?.members), [bj.id])
      assert.deepEqual(new Set(values(employees?.members)), new Set([bj.id, js.id]))
      assert.deepEqual(new Set(values(bj.groups)), new Set([admins?.id, employees?.id]))
      assert.deepEqual(values(js.groups), [employees?.id])
      assert.deepEqual((bj.groups as Array<{ type: string }>).map(g => g.type), ['direct', 'direct'])
      await p.stop()
    })

    it('is seeded once per store: not again after a restart, even when deleted', async () => {
      const file = newFile()
      let p = await started({ persistence: { file } })
      const bj = await user(p, 'bjensen')
      await p.deleteUser(String(bj?.id), ctx())
      await p.stop()
      p = await started({ persistence: { file } })
      assert.equal(await user(p, 'bjensen'), undefined)
      assert.equal((await p.getUsers(all, ctx())).Resources.length, 1)
      await p.stop()
    })

    it('is seeded per baseEntity, and not at all with demoData: false', async () => {
      const p = await started({ persistence: 'memory' })
      const a = await user(p, 'bjensen', 'a')
      const b = await user(p, 'bjensen', 'b')
      assert.ok(a && b)
      assert.notEqual(a.id, b.id)
      await p.stop()
      const empty = await started({ persistence: 'memory', demoData: false })
      assert.deepEqual((await empty.getUsers(all, ctx())).Resources, [])
      assert.deepEqual((await empty.getGroups(all, ctx())).Resources, [])
      await empty.stop()
    })
  })

  describe('persistence', () => {
    it('restores users, groups, memberships, modifications and deletions after a restart', async () => {
      const file = newFile()
      let p = await started({ persistence: { file }, demoData: false })
      const a = await p.createUser({ userName: 'alice', emails: [{ value: 'Alice@Example.com' }] }, ctx())
      const b = await p.createUser({ userName: 'bob' }, ctx())
      const c = await p.createUser({ userName: 'carol' }, ctx('tenant'))
      await p.modifyUser(String(a.id), { resource: { ...a, displayName: 'Alice A' }, operations: [] }, ctx())
      const g = await p.createGroup({ displayName: 'Team', members: [{ value: String(a.id) }, { value: String(b.id) }] }, ctx())
      await p.deleteUser(String(b.id), ctx())
      const before = { users: (await p.getUsers(all, ctx())).Resources, groups: (await p.getGroups(all, ctx())).Resources, tenant: (await p.getUsers(all, ctx('tenant'))).Resources }
      await p.stop()

      p = await started({ persistence: { file }, demoData: false })
      const afterRestart = { users: (await p.getUsers(all, ctx())).Resources, groups: (await p.getGroups(all, ctx())).Resources, tenant: (await p.getUsers(all, ctx('tenant'))).Resources }
      assert.deepEqual(afterRestart, before)
      assert.equal((await user(p, 'alice'))?.displayName, 'Alice A')
      assert.deepEqual(values((await p.getGroups(eq('id', String(g.id)), ctx())).Resources[0]?.members), [a.id])
      assert.equal((await p.getUsers(eq('emails.value', 'alice@example.COM'), ctx())).Resources[0]?.id, a.id)
      assert.equal((await user(p, 'carol', 'tenant'))?.id, c.id)
      await assert.rejects(p.createUser({ userName: 'ALICE' }, ctx()), (e: unknown) => isScimError(e) && e.status === 409)
      await p.stop()
    })

    it('ignores a torn last journal line, cuts it off, and keeps appending cleanly', async () => {
      const file = newFile()
      let p = await started({ persistence: { file }, demoData: false })
      await p.createUser({ userName: 'kept' }, ctx())
      await p.stop()
      await appendFile(file, '{"op":"put","t":"User","r":{"id":"torn","userName":"tor')
      p = await started({ persistence: { file }, demoData: false })
      assert.ok(await user(p, 'kept'))
      assert.equal((await p.getUsers(eq('id', 'torn'), ctx())).Resources.length, 0)
      await p.createUser({ userName: 'after' }, ctx())
      await p.stop()
      p = await started({ persistence: { file }, demoData: false })
      assert.ok(await user(p, 'kept'))
      assert.ok(await user(p, 'after'))
      await p.stop()
    })

    it('a complete but damaged line before the end refuses to load, naming file and line', async () => {
      const file = newFile()
      const p = await started({ persistence: { file }, demoData: false })
      await p.createUser({ userName: 'x' }, ctx())
      await p.stop()
      const text = await readFile(file, 'utf8')
      await writeFile(file, text + '{"op":"put", garbage}\n' + '{"op":"entity","e":"z"}\n')
      const q = createLokiPlugin({ persistence: { file }, demoData: false })
      await assert.rejects(q.start?.(silentLogger) ?? Promise.resolve(), /db-\d+\.jsonl:4: corrupt journal line/)
    })

    it('refuses a file that is neither a journal nor a LokiJS database', async () => {
      const file = newFile()
      await writeFile(file, 'userName,displayName\nbjensen,Barbara\n')
      const q = createLokiPlugin({ persistence: { file } })
      await assert.rejects(q.start?.(silentLogger) ?? Promise.resolve(), /not a plugin-loki journal/)
    })

    it('imports a LokiJS database of scimgateway once, keeping ids and a backup', async () => {
      const file = newFile()
      const db = new Loki(file, { adapter: new Loki.LokiFsAdapter() })
      const users = db.addCollection<Record<string, unknown>>('users', { unique: ['id', 'userName'] })
      const groups = db.addCollection<Record<string, unknown>>('groups', { unique: ['displayName'] })
      users.insert({ id: 'bjensen', userName: 'bjensen', name: { givenName: 'Barbara' }, password: 'secret', groups: [{ value: 'stale' }] })
      users.insert({ id: 'jsmith', userName: 'jsmith' })
      groups.insert({ id: 'Admins', displayName: 'Admins', members: [{ value: 'bjensen' }] })
      await new Promise<void>((resolve, reject) => { db.saveDatabase(e => { if (e !== null && e !== undefined) reject(e); else resolve() }) })

      let p = await started({ persistence: { file } })
      const bj = (await p.getUsers(eq('id', 'bjensen'), ctx())).Resources[0]
      assert.equal(bj?.userName, 'bjensen')
      assert.equal(bj?.password, undefined)
      assert.equal(bj?.$loki, undefined)
      assert.equal(bj?.meta?.resourceType, 'User')
      assert.deepEqual(values(bj?.groups), ['Admins'])
      assert.equal((await p.getUsers(all, ctx())).Resources.length, 2, 'no demo data on an imported store')
      await p.stop()
      assert.ok(existsSync(file + '.lokijs-backup'))
      assert.ok(!(await readFile(file, 'utf8')).includes('secret'))
      p = await started({ persistence: { file } })
      assert.equal((await p.getUsers(all, ctx())).Resources.length, 2)
      await p.stop()
    })

    it('never writes a password to the journal', async () => {
      const file = newFile()
      const p = await started({ persistence: { file }, demoData: false })
      const u = await p.createUser({ userName: 'pw', password: 'hunter2' }, ctx())
      assert.equal(u.password, undefined)
      await p.stop()
      assert.ok(!(await readFile(file, 'utf8')).includes('hunter2'))
    })

    it('refuses a journal locked by another live process; takes over a stale lock', async () => {
      const file = newFile()
      await writeFile(file + '.lock', String(process.ppid))
      const q = createLokiPlugin({ persistence: { file } })
      await assert.rejects(q.start?.(silentLogger) ?? Promise.resolve(), /in use by process/)
      await writeFile(file + '.lock', '2147483646')
      const p = await started({ persistence: { file } })
      assert.equal((await readFile(file + '.lock', 'utf8')).trim(), String(process.pid))
      await p.stop()
      assert.ok(!existsSync(file + '.lock'))
    })

    it('ignores a temp file left by a crash during compaction, and creates missing directories', async () => {
      const file = join(dir, 'nested', 'deeper', 'loki.db')
      let p = await started({ persistence: { file }, demoData: false })
      await p.createUser({ userName: 'survivor' }, ctx())
      await p.stop()
      await writeFile(file + '.tmp', '{"scimLokiJournal":1}\n{"op":"entity"}\n')
      p = await started({ persistence: { file }, demoData: false })
      assert.ok(await user(p, 'survivor'))
      assert.ok(!existsSync(file + '.tmp'))
      await p.stop()
    })

    it('compacts the journal when it grows past the threshold; the state survives', async () => {
      const file = newFile()
      let p = await started({ persistence: { file, compactThreshold: 20 }, demoData: false })
      const u = await p.createUser({ userName: 'churn' }, ctx())
      let cur: ScimResource = u
      for (let i = 0; i < 100; i++) cur = await p.modifyUser(String(u.id), { resource: { ...cur, displayName: `v${i}` }, operations: [] }, ctx()) ?? assert.fail('modifyUser returned nothing')
      await p.createUser({ userName: 'last' }, ctx()) // a write after compaction has started
      await p.stop()
      const lines = (await readFile(file, 'utf8')).split('\n').filter(l => l !== '')
      assert.ok(lines.length < 10, `journal has ${lines.length} lines after compaction`)
      p = await started({ persistence: { file }, demoData: false })
      const got = await user(p, 'churn')
      assert.equal(got?.displayName, 'v99')
      assert.equal(got?.meta?.version, 'W/"101"')
      assert.ok(await user(p, 'last'))
      await p.stop()
    })

    it('every acknowledged write survives a kill -9 of the writing process', async () => {
      const file = newFile()
      const child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'fixtures', 'loki-crash-writer.ts'), file], { stdio: ['ignore', 'pipe', 'pipe'] })
      const acked: string[] = []
      let buf = ''
      let stderr = ''
      child.stderr.on('data', (d: Buffer) => { stderr += d.toString() })
      const exited = new Promise<void>(resolve => child.on('exit', () => { resolve() }))
      await new Promise<void>((resolve, reject) => {
        const deadline = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`writer acked only ${acked.length} writes; stderr: ${stderr}`)) }, 30_000)
        child.stdout.on('data', (d: Buffer) => {
          buf += d.toString()
          let nl: number
          while ((nl = buf.indexOf('\n')) >= 0) {
            const line = buf.slice(0, nl)
            buf = buf.slice(nl + 1)
            if (line.startsWith('acked ')) acked.push(line.slice(6))
          }
          if (acked.length >= 200) { clearTimeout(deadline); child.kill('SIGKILL'); resolve() }
        })
      })
      await exited
      const p = await started({ persistence: { file }, demoData: false })
      const ids = new Set((await p.getUsers(all, ctx())).Resources.map(r => r.id))
      for (const id of acked) assert.ok(ids.has(id), `acknowledged user ${id} was lost`)
      await p.stop()
    })
  })

  describe('store semantics', () => {
    it('userName is unique and looked up case-insensitively; emails.value too', async () => {
      const p = await started({ persistence: 'memory' })
      await assert.rejects(p.createUser({ userName: 'BJensen' }, ctx()), (e: unknown) => isScimError(e) && e.status === 409 && /BJensen/.test(e.detail))
      assert.equal((await user(p, 'BJENSEN'))?.userName, 'bjensen')
      assert.equal((await p.getUsers(eq('emails.value', 'BJENSEN@example.com'), ctx())).Resources[0]?.userName, 'bjensen')
      assert.equal((await p.getUsers(eq('urn:ietf:params:scim:schemas:core:2.0:User:userName', 'bjensen'), ctx())).Resources.length, 1)
      await p.stop()
    })

    it('group displayName is unique unless uniqueGroupDisplayName: false', async () => {
      const p = await started({ persistence: 'memory' })
      await assert.rejects(p.createGroup({ displayName: 'admins' }, ctx()), (e: unknown) => isScimError(e) && e.status === 409)
      await p.stop()
      const q = await started({ persistence: 'memory', uniqueGroupDisplayName: false })
      await q.createGroup({ displayName: 'admins' }, ctx())
      assert.equal((await q.getGroups(eq('displayName', 'Admins'), ctx())).Resources.length, 2)
      await q.stop()
    })

    it('bare-string group members (as Entra sends them) are stored as { value }, duplicates dropped', async () => {
      const p = await started({ persistence: 'memory', demoData: false })
      const g = await p.createGroup({ displayName: 'G', members: ['string id 1', { value: 'string id 1' }, { value: 'u2', display: 'U2' }] }, ctx())
      assert.deepEqual(g.members, [{ value: 'string id 1' }, { value: 'u2', display: 'U2' }])
      await assert.rejects(p.createGroup({ displayName: 'H', members: [{ display: 'no value' }] }, ctx()), (e: unknown) => isScimError(e) && e.status === 400)
      await p.stop()
    })

    it('answers 400 for a user without userName, a group without displayName or with non-array members', async () => {
      const p = await started({ persistence: 'memory', demoData: false })
      const is400 = (e: unknown): boolean => isScimError(e) && e.status === 400
      await assert.rejects(p.createUser({ displayName: 'no userName' }, ctx()), is400)
      await assert.rejects(p.createUser({ userName: '  ' }, ctx()), is400)
      await assert.rejects(p.createGroup({ members: [] }, ctx()), is400)
      await assert.rejects(p.createGroup({ displayName: 'G', members: { value: 'x' } }, ctx()), is400)
      const u = await p.createUser({ userName: 'ok' }, ctx())
      await assert.rejects(p.modifyUser(String(u.id), { resource: { id: u.id }, operations: [] }, ctx()), is400)
      await assert.rejects(p.modifyUser(String(u.id), JSON.parse('{}') as never, ctx()), is400)
      await p.stop()
    })

    it('sets meta (created stays, lastModified and version move) and ignores written id, meta and groups', async () => {
      const p = await started({ persistence: 'memory', demoData: false })
      const u = await p.createUser({ id: 'mine', userName: 'm', groups: [{ value: 'g' }], meta: { created: '1999-01-01T00:00:00Z' } }, ctx())
      assert.notEqual(u.id, 'mine')
      assert.equal(u.groups, undefined)
      assert.equal(u.meta?.resourceType, 'User')
      assert.equal(u.meta?.version, 'W/"1"')
      assert.notEqual(u.meta?.created, '1999-01-01T00:00:00Z')
      await new Promise(resolve => setTimeout(resolve, 5))
      const m = await p.modifyUser(String(u.id), { resource: { ...u, title: 't' }, operations: [] }, ctx()) ?? assert.fail('modifyUser returned nothing')
      assert.equal(m.meta?.created, u.meta?.created)
      assert.notEqual(m.meta?.lastModified, u.meta?.lastModified)
      assert.equal(m.meta?.version, 'W/"2"')
      await p.stop()
    })

    it('returns fresh top-level objects whose nested values are frozen and shared', async () => {
      const p = await started({ persistence: 'memory' })
      const a = await user(p, 'bjensen')
      assert.ok(a)
      a.userName = 'changed'
      assert.ok(a.meta)
      a.meta.location = 'https://x/Users/1'
      assert.throws(() => { (a.emails as Array<{ value: string }>)[0]!.value = 'x' }, TypeError)
      const b = await user(p, 'bjensen')
      assert.equal(b?.userName, 'bjensen')
      assert.equal(b?.meta?.location, undefined)
      await p.stop()
    })

    it('pages a plain list itself (exact totals); with a filter it returns every candidate', async () => {
      const p = await started({ persistence: 'memory', demoData: false })
      for (let i = 0; i < 5; i++) await p.createUser({ userName: `u${i}` }, ctx())
      const page = await p.getUsers({ ...all, startIndex: 2, count: 2 }, ctx())
      assert.deepEqual(page.exact, { totalResults: 5 })
      assert.deepEqual(page.Resources.map(r => r.userName), ['u1', 'u2'])
      const filtered = await p.getUsers({ ...query({ attribute: 'title', operator: 'eq', value: 'x' }), count: 2 }, ctx())
      assert.equal(filtered.exact, undefined)
      assert.equal(filtered.Resources.length, 5)
      await p.stop()
    })

    it('with entities configured, other baseEntities answer 404', async () => {
      const p = await started({ persistence: 'memory', entities: ['client-a'] })
      assert.ok(await user(p, 'bjensen', 'client-a'))
      await assert.rejects(p.getUsers(all, ctx('client-b')), (e: unknown) => isScimError(e) && e.status === 404)
      await p.stop()
    })

    it('refuses calls before start() with a 503 ScimError', async () => {
      const p = createLokiPlugin({ persistence: 'memory' })
      await assert.rejects(p.getUsers?.(all, ctx()) ?? Promise.resolve(), (e: unknown) => isScimError(e) && e.status === 503)
    })
  })

  describe('options', () => {
    it('maps a scimgateway endpoint section, resolving dbname against the config dir', () => {
      assert.deepEqual(lokiOptionsFromEndpoint({}, '/etc/scim'), { persistence: 'memory', demoData: true })
      assert.deepEqual(lokiOptionsFromEndpoint({ persistence: false, dbname: 'x.db', demoData: true }, '/etc/scim'), { persistence: 'memory', demoData: true })
      assert.deepEqual(lokiOptionsFromEndpoint({ persistence: true, entity: { a: {}, b: {} } }, '/etc/scim'),
        { persistence: { file: '/etc/scim/loki.db' }, demoData: false, entities: ['a', 'b'] })
      assert.deepEqual(lokiOptionsFromEndpoint({ persistence: true, dbname: '/data/s.db', fsync: false, demoData: true }, '/etc/scim'),
        { persistence: { file: '/data/s.db', fsync: false }, demoData: true })
    })

    it('understands scimgateway\'s per-entity shape ("undefined" = the default store)', () => {
      assert.deepEqual(lokiOptionsFromEndpoint({ entity: { undefined: { dbname: 'loki.db', persistence: false } } }, '/c'),
        { persistence: 'memory', demoData: true, entities: [] })
      assert.deepEqual(lokiOptionsFromEndpoint({ entity: { undefined: { persistence: true, dbname: 'my.db' }, clientA: { persistence: true } } }, '/c'),
        { persistence: { file: '/c/my.db' }, demoData: false, entities: ['clientA'] })
      assert.throws(() => lokiOptionsFromEndpoint({ entity: { a: { dbname: 'a.db' }, b: { dbname: 'b.db' } } }, '/c'),
        /endpoint\.entity\.b\.dbname: "b\.db" differs from endpoint\.entity\.a\.dbname "a\.db"/)
    })

    it('reports every bad value with its path', () => {
      assert.throws(() => lokiOptionsFromEndpoint({ persistence: 'yes', dbname: 42, demoData: 'true', entity: { x: { persistence: 1 } } }, '/c'), (e: unknown) => {
        assert.ok(e instanceof LokiOptionsError)
        assert.equal(e.problems.length, 4)
        assert.match(e.message, /endpoint\.persistence: expected boolean, got "yes"/)
        assert.match(e.message, /endpoint\.dbname/)
        assert.match(e.message, /endpoint\.demoData/)
        assert.match(e.message, /endpoint\.entity\.x\.persistence/)
        return true
      })
      assert.throws(() => lokiOptionsFromEndpoint({ entity: [] }, '/c'), /endpoint\.entity: expected object/)
      assert.throws(() => lokiOptionsFromEndpoint({ dbnme: 'x.db' }, '/c'), /endpoint\.dbnme: unknown key \(did you mean "dbname"\?\)/)
      assert.throws(() => createLokiPlugin({ persistence: { file: '' } }), LokiOptionsError)
    })
  })
})
