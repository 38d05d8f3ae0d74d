// Typed upstream errors end to end with the stream subscriber: the REST template plugin behind a
// gateway that subscribes to a real nats-server. The backend is down (a real ECONNREFUSED): HTTP
// answers 503 and the subscriber retries the message — and applies it once the backend is up. The
// backend refuses a change with 422: HTTP answers 422 and the subscriber dead-letters the message.
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { createServer } from 'node:net'
import type { NatsConnection } from '@nats-io/transport-node'
import { validate } from '../../lib/config/schema.ts'
import { createRestPlugin, restEndpointSchema } from '../../lib/plugins/sdk/template/plugin-rest.ts'
import { startTestNats, type TestNats } from '../support/nats.ts'
import { startRestBackend, type RestBackend } from '../support/rest-backend.ts'
import { streamConfig, startStreamGateway, userMessage, publishMessage, waitFor, AUTH_HEADER } from '../stream/support.ts'

const FAST = { subscriber: { retry: { initialMs: 50, maxMs: 200 }, ackWaitMs: 5000 } }
const MAP = {
  user: { uid: { mapTo: 'id' }, login: { mapTo: 'userName' }, title: { mapTo: 'title' }, enabled: { mapTo: 'active', type: 'boolean' } },
  group: { gid: { mapTo: 'id' }, name: { mapTo: 'displayName' }, memberIds: { mapTo: 'members.value', type: 'array' } }
}

async function freePort (): Promise<number> {
  return await new Promise((resolve) => {
    const srv = createServer().listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port
      srv.close(() => { resolve(port) })
    })
  })
}

describe('upstream errors: HTTP and the stream subscriber agree', { timeout: 120_000 }, () => {
  let nats: TestNats
  let pub: NatsConnection
  let backend: RestBackend | undefined
  before(async () => {
    nats = await startTestNats({ tenants: ['acme'] })
    pub = await nats.connect('acme', 'publisher')
  })
  after(async () => { await backend?.close(); await nats.stop() })

  it('backend down: HTTP 503, the message is retried and applied when the backend comes up; backend 422: HTTP 422, dead-lettered', async () => {
    const port = await freePort()
    const ep = validate(restEndpointSchema, { map: MAP, entity: { sdk: { connection: { baseUrls: [`http://127.0.0.1:${port}`] } } } })
    assert.ok(ep.ok)
    const config = streamConfig(nats, { subscriber: { sdk: { tenant: 'acme', subject: 'ENTRA.sdk' } } })
    const gw = await startStreamGateway(config, { plugin: createRestPlugin(ep.value), stream: FAST })
    try {
      const down = await fetch(`${gw.url}/sdk/Users`, { headers: { authorization: AUTH_HEADER } })
      assert.equal(down.status, 503)
      assert.match(((await down.json()) as { detail: string }).detail, /ECONNREFUSED/)

      await publishMessage(pub, 'ENTRA.sdk', userMessage('createUser', 'frank', { title: 'one' }))
      await waitFor('retries while the backend is down', () => (gw.stream.status().subscribers[0]?.retries ?? 0) >= 2)
      assert.equal(gw.stream.status().subscribers[0]?.deadLettered, 0, 'a backend outage is never dead-lettered')

      backend = await startRestBackend(port)
      const b = backend
      await waitFor('frank created in the backend', () => [...b.users.values()].some(u => u.login === 'frank' && u.title === 'one'))
      assert.equal(gw.stream.status().subscribers[0]?.deadLettered, 0)

      b.failNext(422)
      const refused = await fetch(`${gw.url}/sdk/Users`, { headers: { authorization: AUTH_HEADER } })
      assert.equal(refused.status, 422)
      b.failNext(422)
      await publishMessage(pub, 'ENTRA.sdk', userMessage('createUser', 'grace'))
      await waitFor('grace dead-lettered', () => gw.stream.status().subscribers[0]?.deadLettered === 1)
      assert.ok(![...b.users.values()].some(u => u.login === 'grace'))
    } finally { await gw.stop() }
  })
})
