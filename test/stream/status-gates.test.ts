// GET /stream/status runs the gateway's network protections (IP allow list, failed-auth observers)
// like the SCIM routes do, and accepts only the gateway's own credentials.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { Hono } from 'hono'
import { StreamBinding, STREAM_STATUS_PATH } from '../../lib/stream/binding.ts'
import { basicAuthenticator, ipAllowGate } from '../../lib/auth/index.ts'

const AUTH = 'Basic ' + Buffer.from('admin:pw').toString('base64')

function setup (allow: string[]): { app: Hono, outcomes: boolean[] } {
  const binding = new StreamBinding()
  const app = new Hono()
  for (const mount of binding.options().extraRoutes) mount(app)
  const outcomes: boolean[] = []
  binding.authenticators = [basicAuthenticator([{ username: 'admin', password: 'pw' }]), binding.internalAuth.authenticator]
  binding.gates = [ipAllowGate({ allow })]
  binding.authObservers = [(info) => { outcomes.push(info.ok) }]
  binding.status = () => ({ connections: [] })
  return { app, outcomes }
}

/** A request as @hono/node-server hands it over: the socket's address in env.incoming. */
async function get (app: Hono, address: string, authorization?: string): Promise<Response> {
  const headers: Record<string, string> = authorization !== undefined ? { authorization } : {}
  return await app.fetch(new Request(`http://gw${STREAM_STATUS_PATH}`, { headers }), { incoming: { socket: { remoteAddress: address } } })
}

test('the IP allow list refuses /stream/status to other addresses, even with valid credentials', async () => {
  const { app, outcomes } = setup(['10.0.0.0/8'])
  const refused = await get(app, '192.0.2.9', AUTH)
  assert.equal(refused.status, 403)
  assert.deepEqual(outcomes, [], 'refused before authentication')
  const allowed = await get(app, '10.1.2.3', AUTH)
  assert.equal(allowed.status, 200)
  assert.deepEqual(await allowed.json(), { connections: [] })
})

test('authentication outcomes at /stream/status reach the observers (failed-auth slow-down)', async () => {
  const { app, outcomes } = setup([])
  assert.equal((await get(app, '10.1.2.3', 'Basic ' + Buffer.from('admin:wrong').toString('base64'))).status, 401)
  assert.equal((await get(app, '10.1.2.3')).status, 401)
  assert.equal((await get(app, '10.1.2.3', AUTH)).status, 200)
  assert.deepEqual(outcomes, [false, false, true])
})
