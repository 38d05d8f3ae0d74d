// Issue 12 defect 8: a Bulk of 1,000 POSTs does not starve other clients. Over a real server, 15
// clients keep reading users while the Bulk runs; the plugin records the order in which it sees
// operations, and some of the other clients' reads must land between the Bulk's first and last
// create (before the fix, an in-memory store let the Bulk run to its end in microtasks, holding
// every other request until it was done). Order, not timing, is asserted.
import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import { ScimGateway } from '../../lib/core/gateway.ts'
import { createLokiPlugin } from '../../lib/plugins/plugin-loki.ts'
import { basicAuthenticator } from '../../lib/auth/index.ts'
import { silentLogger } from '../../lib/logging/types.ts'
import type { ScimPlugin } from '../../lib/plugins/types.ts'

const auth = 'Basic ' + Buffer.from('gwadmin:password').toString('base64')
const headers = { authorization: auth, 'content-type': 'application/scim+json' }
let gw: ScimGateway | undefined
after(async () => { await gw?.stop() })

test('15 clients keep being served while a Bulk of 1,000 POSTs runs', async () => {
  const events: Array<'create' | 'read'> = []
  const loki = createLokiPlugin({ persistence: 'memory', demoData: false })
  // the same plugin, recording what it is asked in order
  const plugin: ScimPlugin = Object.assign(Object.create(loki) as ScimPlugin, {
    createUser: async (...a: Parameters<NonNullable<ScimPlugin['createUser']>>) => { events.push('create'); return await (loki.createUser as NonNullable<ScimPlugin['createUser']>)(...a) },
    getUsers: async (...a: Parameters<NonNullable<ScimPlugin['getUsers']>>) => { events.push('read'); return await (loki.getUsers as NonNullable<ScimPlugin['getUsers']>)(...a) }
  })
  gw = new ScimGateway({ plugin, options: { port: 0, localhostOnly: true, authenticators: [basicAuthenticator([{ username: 'gwadmin', password: 'password' }])] }, log: silentLogger })
  await gw.start()
  const url = `http://127.0.0.1:${gw.port as number}`
  const seed = await fetch(`${url}/Users`, { method: 'POST', headers, body: JSON.stringify({ schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName: 'seed' }) })
  assert.equal(seed.status, 201)
  const { id } = await seed.json() as { id: string }
  events.length = 0

  const Operations = Array.from({ length: 1000 }, (_, i) => ({ method: 'POST', path: '/Users', bulkId: `b${i}`, data: { schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName: `bulk${i}` } }))
  let bulkDone = false
  const bulk = fetch(`${url}/Bulk`, { method: 'POST', headers, body: JSON.stringify({ schemas: ['urn:ietf:params:scim:api:messages:2.0:BulkRequest'], Operations }) })
    .then(async r => { const body = await r.json() as { Operations: Array<{ status: string }> }; bulkDone = true; return { status: r.status, body } })
  const clients = Array.from({ length: 15 }, async () => {
    let served = 0
    while (!bulkDone) {
      const r = await fetch(`${url}/Users/${id}`, { headers: { authorization: auth } })
      assert.equal(r.status, 200)
      await r.arrayBuffer()
      served++
    }
    return served
  })
  const res = await bulk
  await Promise.all(clients)
  assert.equal(res.status, 200)
  assert.equal(res.body.Operations.length, 1000)
  assert.ok(res.body.Operations.every(o => o.status === '201'))
  const first = events.indexOf('create')
  const last = events.lastIndexOf('create')
  const during = events.slice(first, last).filter(e => e === 'read').length
  assert.ok(during > 0, `other clients were served while the Bulk ran (reads between its first and last create: ${during})`)
})
