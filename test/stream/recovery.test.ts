// Shared consumers and recovery: two gateways on one durable consumer (load split, per-user order),
// nats-server restarted under a subscriber and a GW pair, a gateway started while NATS is down.
import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { NatsConnection } from '@nats-io/transport-node'
import { startTestNats, type TestNats } from '../support/nats.ts'
import { ScimGateway } from '../../lib/core/gateway.ts'
import { gatewayOptionsFromConfig } from '../../lib/core/from-config.ts'
import { silentLogger } from '../../lib/logging/types.ts'
import { startStream, withStreamOptions } from '../../lib/stream/index.ts'
import { streamConfig, startStreamGateway, observedLoki, userMessage, publishMessage, waitFor, getUser, AUTH_HEADER } from './support.ts'

const FAST = { subscriber: { retry: { initialMs: 50, maxMs: 200 }, ackWaitMs: 3000, batch: 64 }, backoff: { initialMs: 50, maxMs: 500 } }

describe('stream: shared consumer and recovery', { timeout: 180_000 }, () => {
  let nats: TestNats
  let pub: NatsConnection
  before(async () => {
    nats = await startTestNats({ tenants: ['acme'] })
    pub = await nats.connect('acme', 'publisher')
  })
  after(async () => { await nats.stop() })

  it('two gateways sharing a consumer split the load and keep per-user order', async () => {
    const o = observedLoki()
    const config = streamConfig(nats, { subscriber: { shared: { tenant: 'acme', subject: 'ENTRA.shared' } } })
    // both gateways front the same endpoint (one plugin instance), as deployments sharing a consumer do
    const gws: Array<{ gateway: ScimGateway, stop: () => Promise<void>, status: () => number }> = []
    for (let i = 0; i < 2; i++) {
      const gateway = new ScimGateway({ plugin: o.plugin, options: withStreamOptions(config, { ...gatewayOptionsFromConfig(config), port: 0, localhostOnly: true }), log: silentLogger })
      await gateway.start()
      // each gateway its own state directory, as separate hosts have
      const stateDir = await mkdtemp(join(tmpdir(), 'scim-stream-shared-'))
      const stream = await startStream(gateway, config, silentLogger, { ...FAST, stateDir })
      gws.push({ gateway, stop: async () => { await stream.stop(); await rm(stateDir, { recursive: true, force: true }) }, status: () => stream.status().subscribers[0]?.applied ?? 0 })
    }
    try {
      const users = 25
      const perUser = 24
      for (let k = 0; k < perUser; k++) {
        await Promise.all(Array.from({ length: users }, async (_, u) => await publishMessage(pub, 'ENTRA.shared',
          userMessage(k === 0 ? 'createUser' : 'modifyUser', `shared${u}`, { title: String(k) }))))
      }
      await waitFor('all applied', () => gws.reduce((a, g) => a + g.status(), 0) >= users * perUser, 60_000)
      for (let u = 0; u < users; u++) {
        assert.deepEqual(o.titlesOf(`shared${u}`), Array.from({ length: perUser }, (_, k) => String(k)), `order of shared${u}`)
      }
      const split = gws.map(g => g.status())
      assert.ok(split.every(n => n > 0), `both gateways applied messages: ${split.join('/')}`)
      assert.equal(split[0]! + split[1]!, users * perUser)
    } finally {
      for (const g of gws) await g.stop()
      for (const g of gws) await g.gateway.stop()
    }
  })

  it('recovers on both sides when nats-server restarts', async () => {
    const sub = await startStreamGateway(streamConfig(nats, { subscriber: { rs: { tenant: 'acme', subject: 'ENTRA.rs' }, rsgw: { tenant: 'acme', subject: 'GW.rs' } } }), { stream: FAST })
    const publisher = await startStreamGateway(streamConfig(nats, { publisher: { rsgw: { tenant: 'acme', subject: 'GW.rs' } }, entities: [] }), { plugin: { name: 'publisher' }, stream: FAST })
    try {
      await waitFor('connected', () => [sub, publisher].every(g => g.stream.status().connections.every(c => c.state === 'connected')) &&
        sub.stream.status().responders[0]?.state === 'subscribed' && sub.stream.status().subscribers[0]?.state === 'running')
      await publishMessage(pub, 'ENTRA.rs', userMessage('createUser', 'before'))
      await waitFor('before applied', async () => (await getUser(sub.url, 'before', 'rs')) !== undefined)
      await nats.restart()
      pub = await nats.connect('acme', 'publisher')
      await publishMessage(pub, 'ENTRA.rs', userMessage('createUser', 'after'))
      await waitFor('after applied', async () => (await getUser(sub.url, 'after', 'rs')) !== undefined, 30_000)
      await waitFor('reconnected', () => [sub, publisher].every(g => g.stream.status().connections.every(c => c.state === 'connected' && c.reconnects >= 1)), 30_000)
      let status = 0
      await waitFor('GW request answered', async () => {
        const res = await fetch(`${publisher.url}/rsgw/Users`, { method: 'POST', headers: { authorization: AUTH_HEADER, 'content-type': 'application/scim+json' }, body: JSON.stringify({ userName: `viagw${Date.now()}` }) })
        status = res.status
        return status === 201
      }, 30_000)
      assert.equal(status, 201)
    } finally {
      await publisher.stop()
      await sub.stop()
    }
  })

  it('starts while NATS is down and connects when it comes up', async () => {
    const config = streamConfig(nats, { subscriber: { late: { tenant: 'acme', subject: 'ENTRA.late' } } })
    await nats.kill9()
    const gw = await startStreamGateway(config, { stream: FAST })
    try {
      const ping = await fetch(`${gw.url}/ping`)
      assert.equal(ping.status, 200, 'the gateway serves HTTP without NATS')
      assert.equal(gw.stream.status().connections[0]?.state, 'connecting')
      const status = await fetch(`${gw.url}/stream/status`, { headers: { authorization: AUTH_HEADER } })
      assert.equal(((await status.json()) as { connections: Array<{ state: string }> }).connections[0]?.state, 'connecting')
      await nats.restart()
      pub = await nats.connect('acme', 'publisher')
      await publishMessage(pub, 'ENTRA.late', userMessage('createUser', 'latecomer'))
      await waitFor('applied after NATS came up', async () => (await getUser(gw.url, 'latecomer', 'late')) !== undefined, 30_000)
      assert.equal(gw.stream.status().connections[0]?.state, 'connected')
    } finally { await gw.stop() }
  })
})
