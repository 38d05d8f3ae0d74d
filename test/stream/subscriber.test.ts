// The JetStream subscriber against a real nats-server and a real gateway (plugin-loki): flows,
// dead letters, retries through an endpoint outage, consumer naming/update, refused credentials.
import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { jetstreamManager } from '@nats-io/jetstream'
import type { NatsConnection } from '@nats-io/transport-node'
import { startTestNats, type TestNats } from '../support/nats.ts'
import { listDeadLetters } from '../../lib/collector/nats/index.ts'
import { durableName } from '../../lib/stream/index.ts'
import { streamConfig, startStreamGateway, observedLoki, userMessage, publishMessage, waitFor, getUser, AUTH_HEADER } from './support.ts'

const FAST = { subscriber: { retry: { initialMs: 50, maxMs: 200 }, ackWaitMs: 5000 } }

describe('stream subscriber (JetStream)', { timeout: 120_000 }, () => {
  let nats: TestNats
  let pub: NatsConnection
  before(async () => {
    nats = await startTestNats({ tenants: ['acme', 'other'] })
    pub = await nats.connect('acme', 'publisher')
  })
  after(async () => { await nats.stop() })

  it('creates, modifies and deletes users from ENTRA messages', async () => {
    const config = streamConfig(nats, { subscriber: { flow: { tenant: 'acme', subject: 'ENTRA.flow' } } })
    const gw = await startStreamGateway(config, { stream: FAST })
    try {
      await publishMessage(pub, 'ENTRA.flow', userMessage('createUser', 'alice', { name: { givenName: 'Alice', familyName: 'A' }, title: 'one' }))
      await waitFor('alice created', async () => (await getUser(gw.url, 'alice', 'flow')) !== undefined)
      await publishMessage(pub, 'ENTRA.flow', userMessage('modifyUser', 'alice', { title: 'two' }))
      await waitFor('alice modified', async () => (await getUser(gw.url, 'alice', 'flow'))?.title === 'two')
      const u = await getUser(gw.url, 'alice', 'flow')
      assert.deepEqual(u?.name, { givenName: 'Alice', familyName: 'A' }, 'soft sync keeps attributes absent from the message')
      await publishMessage(pub, 'ENTRA.flow', userMessage('deleteUser', 'alice'))
      await waitFor('alice deleted', async () => (await getUser(gw.url, 'alice', 'flow')) === undefined)
      const st = gw.stream.status()
      assert.equal(st.subscribers[0]?.consumer, durableName('loki', 'flow'))
      assert.equal(st.subscribers[0]?.applied, 3)
      assert.equal(st.connections[0]?.state, 'connected')
    } finally { await gw.stop() }
  })

  it('skips deleteUser of an unknown user and honours modifyOnly and replaceDomains through NATS', async () => {
    const config = streamConfig(nats, { subscriber: { opts: { tenant: 'acme', subject: 'ENTRA.opts', options: { modifyOnly: true, replaceDomains: [{ from: 'old.example', to: 'new.example' }] } } } })
    const gw = await startStreamGateway(config, { stream: FAST })
    try {
      await publishMessage(pub, 'ENTRA.opts', userMessage('deleteUser', 'ghost'))
      await publishMessage(pub, 'ENTRA.opts', userMessage('createUser', 'newbie'))
      await waitFor('both handled', () => gw.stream.status().subscribers[0]?.applied === 2)
      assert.equal(gw.stream.status().subscribers[0]?.deadLettered, 0, 'an unknown user to delete is not an error')
      assert.equal(await getUser(gw.url, 'newbie', 'opts'), undefined, 'modifyOnly forbids create')
      const made = await fetch(`${gw.url}/opts/Users`, { method: 'POST', headers: { authorization: AUTH_HEADER, 'content-type': 'application/scim+json' }, body: JSON.stringify({ userName: 'known@new.example' }) })
      assert.equal(made.status, 201)
      await publishMessage(pub, 'ENTRA.opts', userMessage('modifyUser', 'known@old.example', { title: 'moved' }))
      await waitFor('modified with the replaced domain', async () => (await getUser(gw.url, 'known@new.example', 'opts'))?.title === 'moved')
    } finally { await gw.stop() }
  })

  it('dead-letters malformed JSON, a missing Msg-Id and an Operation without path, and goes on', async () => {
    const config = streamConfig(nats, { subscriber: { dlq: { tenant: 'acme', subject: 'ENTRA.dlq' } } })
    const gw = await startStreamGateway(config, { stream: FAST })
    try {
      const before = (await listDeadLetters(pub, 'acme', { limit: 1000 })).length
      await publishMessage(pub, 'ENTRA.dlq', '{"activityOperation": "createUser", ')
      await publishMessage(pub, 'ENTRA.dlq', userMessage('createUser', 'noid'), { msgId: null })
      await publishMessage(pub, 'ENTRA.dlq', { ...userMessage('modifyUser', 'bob'), Operations: [{ op: 'remove', value: 'x' }] })
      await publishMessage(pub, 'ENTRA.dlq', { activityOperation: 'modifyUser', Operations: [] })
      await publishMessage(pub, 'ENTRA.dlq', userMessage('createUser', 'carol'))
      await waitFor('carol created after the bad ones', async () => (await getUser(gw.url, 'carol', 'dlq')) !== undefined)
      await waitFor('4 dead letters', async () => (await listDeadLetters(pub, 'acme', { limit: 1000 })).length - before === 4)
      const dl = (await listDeadLetters(pub, 'acme', { limit: 1000 })).slice(before)
      assert.ok(dl.every(d => d.originalSubject === 'ENTRA.dlq' && d.consumer === durableName('loki', 'dlq') && d.reason !== ''))
      assert.match(dl[0]?.reason ?? '', /JSON/i)
      assert.match(dl[1]?.reason ?? '', /Msg-Id/)
      assert.equal(dl[1]?.msgId, '')
      assert.match(dl[2]?.reason ?? '', /path/i)
      assert.match(dl[3]?.reason ?? '', /user/i)
      assert.equal(gw.stream.status().subscribers[0]?.deadLettered, 4)
      assert.equal(await getUser(gw.url, 'noid', 'dlq'), undefined, 'a message without Msg-Id is not applied')
    } finally { await gw.stop() }
  })

  it('retries through an endpoint outage and applies every message in order when it returns', async () => {
    const o = observedLoki()
    const config = streamConfig(nats, { subscriber: { outage: { tenant: 'acme', subject: 'ENTRA.outage' } } })
    const gw = await startStreamGateway(config, { plugin: o.plugin, stream: FAST })
    try {
      await publishMessage(pub, 'ENTRA.outage', userMessage('createUser', 'dave', { title: '0' }))
      await waitFor('dave created', () => o.titlesOf('dave').length === 1)
      o.down = true
      for (let i = 1; i <= 5; i++) await publishMessage(pub, 'ENTRA.outage', userMessage('modifyUser', 'dave', { title: String(i) }))
      await publishMessage(pub, 'ENTRA.outage', userMessage('createUser', 'erin', { title: 'e' }))
      await waitFor('retries happening', () => (gw.stream.status().subscribers[0]?.retries ?? 0) >= 4)
      assert.deepEqual(o.titlesOf('dave'), ['0'], 'nothing applied while the endpoint is down')
      o.down = false
      await waitFor('all applied', () => o.titlesOf('dave').length === 6 && o.titlesOf('erin').length === 1)
      assert.deepEqual(o.titlesOf('dave'), ['0', '1', '2', '3', '4', '5'])
      assert.equal(gw.stream.status().subscribers[0]?.deadLettered, 0)
    } finally { await gw.stop() }
  })

  it('creates the durable consumer with the contract name and updates its filter subject', async () => {
    const jsm = await jetstreamManager(pub)
    const name = durableName('loki', 'filt')
    let gw = await startStreamGateway(streamConfig(nats, { subscriber: { filt: { tenant: 'acme', subject: 'ENTRA.AD.*' } } }), { stream: FAST })
    await waitFor('consumer created', () => gw.stream.status().subscribers[0]?.state === 'running')
    await gw.stop()
    let ci = await jsm.consumers.info('acme', name)
    assert.equal(ci.config.filter_subject, 'ENTRA.AD.*')
    assert.equal(ci.config.ack_policy, 'explicit')
    assert.equal(ci.config.deliver_policy, 'all')
    assert.ok((ci.config.max_deliver ?? 0) > 0)
    gw = await startStreamGateway(streamConfig(nats, { subscriber: { filt: { tenant: 'acme', subject: 'ENTRA.>' } } }), { stream: FAST })
    try {
      await waitFor('consumer updated', () => gw.stream.status().subscribers[0]?.state === 'running')
      ci = await jsm.consumers.info('acme', name)
      assert.equal(ci.config.filter_subject, 'ENTRA.>')
    } finally { await gw.stop() }
    assert.equal(durableName('loki', 'a.b*c>'), 'durable_loki_a_b#c##')
  })

  it('refuses a subscriber whose JWT is for another collector type or another tenant', async () => {
    await publishMessage(pub, 'ENTRA.refused', userMessage('createUser', 'mallory'))
    const hrUser = streamConfig(nats, { subscriber: { refused: { tenant: 'acme', subject: 'ENTRA.refused', type: 'hr' } } })
    const otherTenant = streamConfig(nats, { subscriber: { refused: { tenant: 'acme', subject: 'ENTRA.refused', creds: nats.creds('other', 'entra') } } })
    for (const config of [hrUser, otherTenant]) {
      const gw = await startStreamGateway(config, { stream: FAST })
      try {
        await waitFor('subscriber refused', () => gw.stream.status().subscribers[0]?.state === 'error')
        assert.match(gw.stream.status().subscribers[0]?.lastError ?? '', /permission|not found|authoriz/i)
        assert.equal(await getUser(gw.url, 'mallory', 'refused'), undefined)
      } finally { await gw.stop() }
    }
  })
})
