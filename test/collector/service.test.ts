// SCIM Stream service in process with the builtin nats-server (real child process) and an
// in-memory collector: joiner, mover → dynamic group, leaver, dynamics revoke, per-channel rules
// with lookahead and -exclude, unchanged users not republished (also after a restart), deletion of a
// vanished person, hot reload of rules and of a new tenant, invalid reload keeps the running config.
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { readFile, rm, writeFile } from 'node:fs/promises'
import type { JsonObject } from '../../lib/scim/types.ts'
import { startService, type StreamService } from '../../lib/collector/service.ts'
import type { SourceFactory } from '../../lib/collector/tenant-runtime.ts'
import { createMemoryLogger } from '../../lib/logging/index.ts'
import { freePort, groupsOf, makeWorkDir, subscribe, waitFor, writeConfig, type ContractSubscriber } from './support.ts'

const ENT = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User'

let port = 0

function yaml (extraStream = '', extraTenant = ''): string {
  return `# test config
hr:
  acme:
    auth: { base_urls: [ "http://127.0.0.1:9" ] }
    general:
      collect_interval: 3600
      collect_query_string: /PerPerson
    mapper:
      user:
        - { source: personId, map_to: externalId }
        - { source: email, map_to: userName }
        - { source: firstName, map_to: name.givenName }
        - { source: department, map_to: "${ENT}:department" }
        - { source: groups, map_to: groups }
    dynamics:
      - dynamic_id: sales
        rules: [ { filter: '(user.department -match "^Sales$")' } ]
        assignments:
          user.groups: [ { value: grp-sales, display: Sales } ]
    streams:
      - channel: ALL
        rules: [ { filter: '(.*)' } ]
      - channel: AD
        comment: no Sync_ groups (lookahead)
        rules: [ { filter: '(user.groups.display -match "^(?!Sync_).*")' } ]
      - channel: APP
        rules: [ { filter: '(user.groups.display -match "(.*)") and (user.groups.display -match "^Sync_" -exclude)' } ]
${extraStream}${extraTenant}
nats:
  server:
    host: 127.0.0.1
    port: ${port}
log:
  console: false
`
}

describe('SCIM Stream service (in process, builtin NATS)', () => {
  let dir: string
  let file: string
  let svc: StreamService | undefined
  const persons: Record<string, JsonObject[]> = { acme: [], beta: [] }
  const sources: SourceFactory = (tenant) => ({
    collect: () => ({ persons: (async function * () { yield * structuredClone(persons[tenant] ?? []) })(), complete: () => true })
  })
  const log = createMemoryLogger()
  let all: ContractSubscriber
  let ad: ContractSubscriber
  let app: ContractSubscriber
  let reloads = 0

  const start = async (): Promise<StreamService> => await startService({
    configFile: file, log, sources, runAtStart: false, debounceMs: 50, onReload: () => { reloads++ }
  })

  before(async () => {
    dir = await makeWorkDir()
    port = await freePort()
    file = await writeConfig(dir, yaml())
    persons.acme = [
      { personId: 'p1', email: 'ann@acme.test', firstName: 'Ann', department: 'IT', groups: [{ value: 'Sync_AD', display: 'Sync_AD' }, { value: 'Staff', display: 'Staff' }] },
      { personId: 'p2', email: 'bob@acme.test', firstName: 'Bob', department: 'IT' }
    ]
    svc = await start()
    const nats = svc.nats.builtin
    assert.ok(nats !== undefined)
    all = await subscribe(nats, 'acme', 'hr', 'HR.ALL')
    ad = await subscribe(nats, 'acme', 'hr', 'HR.AD')
    app = await subscribe(nats, 'acme', 'hr', 'HR.APP')
  })

  after(async () => {
    await Promise.allSettled([all?.close(), ad?.close(), app?.close()])
    await svc?.stop()
    await rm(dir, { recursive: true, force: true })
  })

  it('joiners: createUser per matching channel with the channel view of groups', async () => {
    const stats = await (svc as StreamService).runNow('acme')
    assert.equal(stats.persons, 2)
    const got = await all.take({ expectAtLeast: 2 })
    assert.deepEqual(got.map(r => r.body.activityOperation), ['createUser', 'createUser'])
    const ann = got.find(r => r.body.user.userName === 'ann@acme.test')
    assert.ok(ann)
    assert.equal(ann.subject, 'HR.ALL')
    assert.deepEqual(groupsOf(ann), ['Staff', 'Sync_AD'])
    assert.ok(ann.body.Operations.some(op => op.op === 'add' && op.path === 'userName'))
    const adMsgs = await ad.take({ expectAtLeast: 1 })
    assert.deepEqual(adMsgs.map(r => r.body.user.userName), ['ann@acme.test'], 'bob has no groups: no AD rule holds')
    assert.deepEqual(groupsOf(adMsgs[0]!), ['Staff'], 'lookahead leaves Sync_ out')
    const appMsgs = await app.take({ expectAtLeast: 1 })
    assert.deepEqual(groupsOf(appMsgs[0]!), ['Staff'], '-exclude leaves Sync_ out')
  })

  it('an unchanged run publishes nothing', async () => {
    const stats = await (svc as StreamService).runNow('acme')
    assert.equal(stats.published, 0)
    assert.deepEqual(await all.take({ waitMs: 500 }), [])
  })

  it('mover: department change → dynamic group added (modifyUser with add groups)', async () => {
    persons.acme![1]!.department = 'Sales'
    await (svc as StreamService).runNow('acme')
    const got = await all.take({ expectAtLeast: 1 })
    assert.equal(got.length, 1)
    const bob = got[0]!
    assert.equal(bob.body.activityOperation, 'modifyUser')
    assert.deepEqual(groupsOf(bob), ['grp-sales'])
    assert.ok(bob.body.Operations.some(op => op.op === 'add' && op.path === 'groups'), JSON.stringify(bob.body.Operations))
    assert.ok(bob.body.Operations.some(op => op.op === 'replace' && op.path === `${ENT}:department`), JSON.stringify(bob.body.Operations))
    // dynamicIds drive the rules inside the service; they are never published (deployed subscribers
    // would write them onto the endpoint)
    assert.equal(bob.body.user.dynamicIds, undefined)
    assert.ok(!JSON.stringify(bob.body.Operations).includes('dynamicIds'))
    const adMsgs = await ad.take({ expectAtLeast: 1 })
    assert.equal(adMsgs[0]?.body.activityOperation, 'createUser', 'bob now qualifies for AD')
  })

  it('dynamics revoke: leaving Sales removes the dynamic group; AD gets the groups removed', async () => {
    persons.acme![1]!.department = 'IT'
    await (svc as StreamService).runNow('acme')
    const got = await all.take({ expectAtLeast: 1 })
    assert.equal(got.length, 1)
    assert.ok(got[0]!.body.Operations.some(op => op.op === 'remove' && op.path.startsWith('groups')), JSON.stringify(got[0]!.body.Operations))
    const adMsgs = await ad.take({ expectAtLeast: 1 })
    assert.equal(adMsgs[0]?.body.activityOperation, 'modifyUser')
    assert.ok(adMsgs[0]?.body.Operations.some(op => op.op === 'remove' && op.path.startsWith('groups')))
  })

  it('leaver: active false → modifyUser replace active false', async () => {
    persons.acme![0]!.active = false
    const src = persons.acme![0]!
    src.email = 'ann@acme.test'
    // the mapper has no active entry: lifecycle is simulated by mapping a source attribute
    await writeFile(file, yaml().replace('        - { source: groups, map_to: groups }', '        - { source: groups, map_to: groups }\n        - { source: active, map_to: active }'))
    await waitFor(() => reloads > 0 ? true : undefined, 'reload')
    await (svc as StreamService).runNow('acme')
    const got = await all.take({ expectAtLeast: 1 })
    const ann = got.find(r => r.body.user.userName === 'ann@acme.test')
    assert.ok(ann)
    assert.equal(ann.body.activityOperation, 'modifyUser')
    assert.ok(ann.body.Operations.some(op => op.op === 'add' && op.path === 'active' && op.value === false) ||
      ann.body.Operations.some(op => op.op === 'replace' && op.path === 'active' && op.value === false), JSON.stringify(ann.body.Operations))
  })

  it('hot reload of rules: the next run publishes the channel views the new rules give', async () => {
    await ad.take({ waitMs: 300 }) // what earlier steps left there
    await app.take({ waitMs: 300 })
    const before = reloads
    const current = await readFile(file, 'utf8')
    await writeFile(file, current.replace(`'(user.groups.display -match "^(?!Sync_).*")'`, `'(user.groups.display -match "^(?!Sync_|Staff).*")'`))
    await waitFor(() => reloads > before ? true : undefined, 'rules reload')
    await (svc as StreamService).runNow('acme')
    const adMsgs = await ad.take({ expectAtLeast: 1 })
    assert.equal(adMsgs.length, 1)
    assert.equal(adMsgs[0]?.body.user.userName, 'ann@acme.test')
    assert.equal(adMsgs[0]?.body.activityOperation, 'modifyUser', 'ann keeps no AD group: she leaves the channel')
    assert.ok(adMsgs[0]?.body.Operations.some(op => op.op === 'remove' && op.path.startsWith('groups')), JSON.stringify(adMsgs[0]?.body.Operations))
    await writeFile(file, current)
    await waitFor(() => reloads > before + 1 ? true : undefined, 'rules restored')
    await (svc as StreamService).runNow('acme')
    const back = await ad.take({ expectAtLeast: 1 })
    assert.equal(back[0]?.body.activityOperation, 'createUser', 'qualifies again')
    await all.take({ waitMs: 300 })
    await app.take({ waitMs: 300 })
  })

  it('hot reload: an invalid change is rejected and the running config stays', async () => {
    const before = reloads
    const good = await readFile(file, 'utf8')
    await writeFile(file, good.replace('channel: AD', 'channel: "bad channel"').replace("'(.*)'", "'(user.x -match \"(\"'"))
    await waitFor(() => reloads > before ? true : undefined, 'rejected reload')
    assert.ok(log.lines.some(l => l.level === 'error' && l.message.includes('configuration change rejected') && l.message.includes('streams[1].channel')), 'all problems logged')
    assert.deepEqual((svc as StreamService).config.hr.acme?.streams.map(s => s.channel), ['ALL', 'AD', 'APP'])
    await writeFile(file, good)
    await waitFor(() => reloads > before + 1 ? true : undefined, 'good reload')
  })

  it('hot reload: a new tenant gets its account and stream and is collected', async () => {
    const before = reloads
    persons.beta = [{ personId: 'b1', email: 'cid@beta.test', firstName: 'Cid', department: 'IT' }]
    const beta = `  beta:
    auth: { base_urls: [ "http://127.0.0.1:9" ] }
    general: { collect_interval: 3600, collect_query_string: /PerPerson }
    mapper:
      user:
        - { source: personId, map_to: externalId }
        - { source: email, map_to: userName }
    streams:
      - channel: USERS
        rules: [ { filter: '(.*)' } ]
`
    const current = await readFile(file, 'utf8')
    await writeFile(file, current.replace('\nnats:', `\n${beta}nats:`))
    await waitFor(() => reloads > before && (svc as StreamService).tenants().includes('beta') ? true : undefined, 'tenant beta')
    const nats = (svc as StreamService).nats.builtin!
    const sub = await subscribe(nats, 'beta', 'hr', 'HR.>')
    try {
      await (svc as StreamService).runNow('beta')
      const got = await sub.take({ expectAtLeast: 1 })
      assert.equal(got.length, 1)
      assert.equal(got[0]?.subject, 'HR.USERS')
      assert.equal(got[0]?.body.user.userName, 'cid@beta.test')
    } finally {
      await sub.close()
    }
  })

  it('a vanished person is deleted (deleteUser) on the channels that still had it', async () => {
    persons.acme = persons.acme!.filter(p => p.personId !== 'p2')
    const stats = await (svc as StreamService).runNow('acme')
    assert.equal(stats.deleted, 1, 'only ALL still had bob (he left AD with the Sales group)')
    const got = await all.take({ expectAtLeast: 1 })
    assert.deepEqual(got.map(r => [r.body.activityOperation, r.body.user.userName]), [['deleteUser', 'bob@acme.test']])
  })

  it('restart: unchanged users are not republished', async () => {
    await (svc as StreamService).stop()
    svc = await start()
    const stats = await svc.runNow('acme')
    assert.equal(stats.published, 0)
    assert.equal(stats.unchanged > 0, true)
    assert.deepEqual(await all.take({ waitMs: 500 }), [])
  })
})
