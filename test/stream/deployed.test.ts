// A gateway subscribing in scimgateway's own config shape against a NATS server laid out exactly as a
// deployed SCIM Stream server (STREAM-CONTRACT.md): operator mode, TLS, server_name SCIM-Stream, one
// stream named after the tenant capturing ENTRA.>/HR.>, NO other stream, a subscriber user that may
// not publish dead letters. Proves, through HTTP and the status route:
// - `entity.undefined` is the default store (GET /Users without baseEntity), `entity.x` is /x/Users;
// - poison messages are kept as local dead letters and terminated, never blocking anyone;
//   deleteUser of an unknown user is success;
// - removals in the format the SCIM Stream service publishes (collector diff) revoke exactly the
//   named groups/roles; the filter form too; the last one gone + deleteUserOnLastGroupRoleRemoval
//   deletes the user.
import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import { jetstreamManager } from '@nats-io/jetstream'
import type { NatsConnection } from '@nats-io/transport-node'
import { startTestNats, DEPLOYED_LAYOUT, type TestNats } from '../support/nats.ts'
import { createLokiPlugin, lokiOptionsFromEndpoint } from '../../lib/plugins/plugin-loki.ts'
import { diffView, leaveChannel, membershipOf, prepareUser } from '../../lib/collector/diff.ts'
import { messageJson } from '../../lib/collector/message.ts'
import type { Logger } from '../../lib/logging/types.ts'
import type { JsonObject } from '../../lib/scim/types.ts'
import { readLocalDeadLetters } from '../../lib/stream/local-dead-letters.ts'
import { streamConfig, startStreamGateway, userMessage, publishMessage, waitFor, call, type StreamGateway } from './support.ts'

const FAST = { subscriber: { retry: { initialMs: 50, maxMs: 200 }, ackWaitMs: 5000 } }
const BY = { id: 'scim-stream', upn: 'scim-stream@acme.test' }

/** A logger that keeps error lines (the test checks there is one clear line per dead letter). */
function capture (): { log: Logger, errors: string[] } {
  const errors: string[] = []
  const log: Logger = { error (m) { errors.push(m) }, warn () {}, info () {}, debug () {}, child () { return log } }
  return { log, errors }
}

/** The body the SCIM Stream service publishes for a change of `before` → `after` on one channel. */
function published (before: JsonObject | undefined, after: JsonObject): string {
  const prev = before === undefined ? undefined : diffView(undefined, prepareUser(before), membershipOf(before))?.nextState
  const change = diffView(prev, prepareUser(after), membershipOf(after))
  if (change === undefined) throw new Error('no change')
  return messageJson(change.activityOperation, change.operationsJson, change.userJson, { id: String(after.userName), upn: String(after.userName) }, BY, new Date())
}

async function userOf (gw: StreamGateway, userName: string, entity?: string): Promise<Record<string, unknown> | undefined> {
  const r = await call(gw.url, 'GET', `${entity === undefined ? '' : `/${entity}`}/Users?filter=${encodeURIComponent(`userName eq "${userName}"`)}`)
  return (r.body?.Resources as Array<Record<string, unknown>> | undefined)?.[0]
}

async function groupsOf (gw: StreamGateway, userId: string): Promise<string[]> {
  const r = await call(gw.url, 'GET', `/Groups?filter=${encodeURIComponent(`members.value eq "${userId}"`)}`)
  return ((r.body?.Resources ?? []) as Array<{ displayName: string }>).map(g => g.displayName).sort()
}

describe('stream: a deployed-world layout (no DLQ stream, least-privilege subscriber)', { timeout: 120_000 }, () => {
  let nats: TestNats
  let pub: NatsConnection
  let gw: StreamGateway
  const logs = capture()
  before(async () => {
    nats = await startTestNats({ tenants: ['acme'], ...DEPLOYED_LAYOUT })
    pub = await nats.connect('acme', 'publisher')
    const config = streamConfig(nats, {
      subscriber: {
        undefined: { tenant: 'acme', subject: 'ENTRA.dep' },
        x: { tenant: 'acme', subject: 'ENTRA.x', options: { deleteUserOnLastGroupRoleRemoval: true } }
      }
    })
    const plugin = createLokiPlugin({ ...lokiOptionsFromEndpoint({ entity: { undefined: {}, x: {} } }, '/tmp'), demoData: false })
    gw = await startStreamGateway(config, { plugin, log: logs.log, stream: FAST })
  })
  after(async () => {
    await gw.stop()
    await nats.stop()
  })

  it('the server is laid out as deployed: TLS, SCIM-Stream, one stream named after the tenant', async () => {
    const info = pub.info
    assert.equal(info?.server_name, 'SCIM-Stream')
    assert.equal(info?.tls_required, true)
    const names: string[] = []
    for await (const s of (await jetstreamManager(pub)).streams.list()) names.push(s.config.name)
    assert.deepEqual(names, ['acme'])
    const stream = await (await jetstreamManager(pub)).streams.info('acme')
    assert.deepEqual([...stream.config.subjects].sort(), ['ENTRA.>', 'HR.>'])
  })

  it('entity "undefined" is what GET /Users (no baseEntity) shows; entity x is /x/Users', async () => {
    await publishMessage(pub, 'ENTRA.dep', userMessage('createUser', 'dana', { title: 'one' }))
    await publishMessage(pub, 'ENTRA.x', userMessage('createUser', 'xena', { title: 'x' }))
    await waitFor('dana at /Users', async () => (await userOf(gw, 'dana'))?.title === 'one')
    await waitFor('xena at /x/Users', async () => (await userOf(gw, 'xena', 'x'))?.title === 'x')
    assert.equal(await userOf(gw, 'xena'), undefined, 'the named entity is not the default store')
    assert.equal(await userOf(gw, 'dana', 'x'), undefined)
    const all = await call(gw.url, 'GET', '/Users')
    assert.deepEqual((all.body?.Resources as Array<{ userName: string }>).map(u => u.userName), ['dana'])
    assert.equal((await call(gw.url, 'GET', '/undefined/Users')).status, 404, '"undefined" is no baseEntity of its own')
  })

  it('poison messages become local dead letters (one clear error each), later messages of the user and others go on', async () => {
    const before = gw.stream.status().subscribers.find(s => s.baseEntity === 'undefined')
    assert.ok(before !== undefined)
    const appliedBefore = before.applied
    logs.errors.length = 0
    await publishMessage(pub, 'ENTRA.dep', userMessage('createUser', 'pat', { title: '1' }))
    await publishMessage(pub, 'ENTRA.dep', '{"activityOperation": "createUser", "user": ')
    await publishMessage(pub, 'ENTRA.dep', { activityOperation: 'modifyUser', Operations: [], user: { title: 'no name' } })
    // pat's own poison: an Operations path that cannot be parsed (fails while applying, keyed by pat)
    await publishMessage(pub, 'ENTRA.dep', { ...userMessage('modifyUser', 'pat', { title: '2' }), Operations: [{ op: 'remove', path: 'title[' }] })
    await publishMessage(pub, 'ENTRA.dep', userMessage('deleteUser', 'ghost'))
    await publishMessage(pub, 'ENTRA.dep', userMessage('modifyUser', 'pat', { title: '3' }))
    await publishMessage(pub, 'ENTRA.dep', userMessage('createUser', 'quinn'))
    await waitFor('pat at 3 and quinn created', async () => (await userOf(gw, 'pat'))?.title === '3' && (await userOf(gw, 'quinn')) !== undefined)
    await waitFor('3 dead letters', () => gw.stream.status().subscribers.find(s => s.baseEntity === 'undefined')?.deadLettered === 3)
    const st = (await call(gw.url, 'GET', '/stream/status')).body as { subscribers: Array<{ baseEntity: string, deadLettered: number, deadLetteredLocal: number, applied: number, deadLetterFile: string, held: number }> }
    const sub = st.subscribers.find(s => s.baseEntity === 'undefined')
    assert.equal(sub?.deadLetteredLocal, 3, 'counted in /stream/status as local')
    assert.equal(sub?.applied, appliedBefore + 4, 'pat ×2, ghost (idempotent delete) and quinn applied')
    await waitFor('nothing held', () => gw.stream.status().subscribers.every(s => s.held === 0))
    const letters = readLocalDeadLetters(sub.deadLetterFile)
    assert.equal(letters.length, 3)
    for (const d of letters) {
      assert.equal(d.consumer, 'durable_loki_undefined')
      assert.equal(d.stream, 'acme')
      assert.equal(d.subject, 'ENTRA.dep')
      assert.ok(d.streamSeq > 0 && d.msgId !== '' && d.headers['Msg-Id'] === d.msgId && !Number.isNaN(Date.parse(d.time)))
    }
    assert.match(letters[0]?.reason ?? '', /not valid JSON/)
    assert.equal(letters[0]?.body, '{"activityOperation": "createUser", "user": ')
    assert.match(letters[1]?.reason ?? '', /userName/)
    assert.match(letters[2]?.reason ?? '', /title\[/)
    // the file is durable JSONL (what the stream-dlq tooling reads)
    assert.equal((await readFile(sub.deadLetterFile, 'utf8')).trim().split('\n').length, 3)
    const dl = logs.errors.filter(e => /dead-lettered/.test(e))
    assert.equal(dl.length, 3, logs.errors.join('\n'))
    for (const e of dl) assert.match(e, /kept in .*dead-letters\.jsonl/)
    assert.match(dl[0] ?? '', /acme_DLQ not usable: no permission/)
    assert.ok(!logs.errors.some(e => /dead-lettering failed|jetstream is not enabled/.test(e)), logs.errors.join('\n'))
  })

  it('removals as the SCIM Stream service publishes them revoke exactly the named groups and roles', async () => {
    const v0: JsonObject = { userName: 'rita', title: 'r', groups: [{ value: 'Sales', display: 'Sales' }, { value: 'Ops', display: 'Ops' }], roles: [{ type: 'CRM', display: 'Admin', value: 'r1' }, { type: 'ERP', display: 'User', value: 'r2' }] }
    await publishMessage(pub, 'ENTRA.dep', published(undefined, v0))
    await waitFor('rita created', async () => (await userOf(gw, 'rita')) !== undefined)
    const id = String((await userOf(gw, 'rita'))?.id)
    await waitFor('rita in 4 groups', async () => (await groupsOf(gw, id)).length === 4)
    // a membership from outside the stream stays
    const manual = await call(gw.url, 'POST', '/Groups', { displayName: 'Manual', members: [{ value: id }] })
    assert.equal(manual.status, 201)
    const v1: JsonObject = { ...v0, groups: [{ value: 'Ops', display: 'Ops' }], roles: [{ type: 'ERP', display: 'User', value: 'r2' }] }
    const body = JSON.parse(published(v0, v1)) as { Operations: unknown[] }
    assert.deepEqual(body.Operations, [
      { op: 'remove', path: 'groups', value: [{ value: 'Sales', display: 'Sales', id: 'Sales' }] },
      { op: 'remove', path: 'roles', value: [{ type: 'CRM', display: 'Admin', value: 'r1' }] }
    ])
    await publishMessage(pub, 'ENTRA.dep', body)
    await waitFor('Sales and CRM - Admin left', async () => (await groupsOf(gw, id)).join() === 'ERP - User,Manual,Ops')
    // the filter form is read the same way: remove these elements, never all
    await publishMessage(pub, 'ENTRA.dep', { ...userMessage('modifyUser', 'rita', { roles: [] }), Operations: [{ op: 'remove', path: 'roles[value eq "r2" and type eq "ERP"]' }] })
    await waitFor('ERP - User left', async () => (await groupsOf(gw, id)).join() === 'Manual,Ops')
  })

  it('the last group/role removed (the service sends groups: []) deletes the user with deleteUserOnLastGroupRoleRemoval', async () => {
    const v0: JsonObject = { userName: 'lena', groups: [{ value: 'Temp', display: 'Temp' }] }
    await publishMessage(pub, 'ENTRA.x', published(undefined, v0))
    await waitFor('lena created', async () => (await userOf(gw, 'lena', 'x')) !== undefined)
    const first = diffView(undefined, prepareUser(v0), membershipOf(v0))
    const leave = leaveChannel(first?.nextState)
    assert.ok(leave !== undefined)
    assert.deepEqual((JSON.parse(leave.userJson) as JsonObject).groups, [])
    await publishMessage(pub, 'ENTRA.x', messageJson(leave.activityOperation, leave.operationsJson, leave.userJson, { id: 'lena', upn: 'lena' }, BY, new Date()))
    await waitFor('lena deleted', async () => (await userOf(gw, 'lena', 'x')) === undefined)
  })
})

describe('stream GW: entity "undefined" on publisher and responder is the default store', { timeout: 120_000 }, () => {
  let nats: TestNats
  let publisher: StreamGateway
  let responder: StreamGateway
  before(async () => {
    nats = await startTestNats({ tenants: ['acme'], ...DEPLOYED_LAYOUT })
    publisher = await startStreamGateway(streamConfig(nats, { publisher: { undefined: { tenant: 'acme', subject: 'GW.dflt' } }, entities: [] }), { plugin: { name: 'publisher' } })
    responder = await startStreamGateway(streamConfig(nats, { subscriber: { undefined: { tenant: 'acme', subject: 'GW.dflt' } } }))
    await waitFor('responder subscribed', () => responder.stream.status().responders.every(r => r.state === 'subscribed') &&
      publisher.stream.status().connections.every(c => c.state === 'connected'))
  })
  after(async () => {
    await responder?.stop()
    await publisher?.stop()
    await nats.stop()
  })

  it('POST /Users without baseEntity at the publisher lands in GET /Users of the responder', async () => {
    const created = await call(publisher.url, 'POST', '/Users', { schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName: 'gwdefault' })
    assert.equal(created.status, 201, created.text)
    assert.ok(String(created.headers.get('location')).startsWith(`${publisher.url}/Users/`), String(created.headers.get('location')))
    assert.equal((await userOf(responder, 'gwdefault'))?.userName, 'gwdefault', 'in the default store of the responder')
    const viaGw = await call(publisher.url, 'GET', `/Users?filter=${encodeURIComponent('userName eq "gwdefault"')}`)
    assert.equal((viaGw.body?.Resources as unknown[]).length, 1)
    assert.equal((await call(publisher.url, 'GET', '/undefined/Users')).status, 404)
  })
})

describe('stream: a tenant without a DLQ stream whose subscriber may publish DLQ.> (no responders)', { timeout: 60_000 }, () => {
  let nats: TestNats
  before(async () => { nats = await startTestNats({ tenants: ['acme'], streams: { deadLetterStream: false } }) })
  after(async () => { await nats.stop() })

  it('keeps the dead letter locally and says why', async () => {
    const pub = await nats.connect('acme', 'publisher')
    const logs = capture()
    const gw = await startStreamGateway(streamConfig(nats, { subscriber: { undefined: { tenant: 'acme', subject: 'ENTRA.nr' } } }), { log: logs.log, stream: FAST })
    try {
      await publishMessage(pub, 'ENTRA.nr', { activityOperation: 'bogus', user: { userName: 'z' } })
      await publishMessage(pub, 'ENTRA.nr', userMessage('createUser', 'after'))
      await waitFor('after created', async () => (await userOf(gw, 'after')) !== undefined)
      await waitFor('dead-lettered', () => gw.stream.status().subscribers[0]?.deadLetteredLocal === 1)
      assert.match(logs.errors.join('\n'), /kept in .*acme_DLQ not usable: no stream captures DLQ\.> \(no responders\).*unknown activityOperation/)
    } finally { await gw.stop() }
  })
})
