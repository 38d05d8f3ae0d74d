// Several gateways in one process, each with its own plugin, data and port.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { startTestGateway } from '../support/gateway.ts'
import { basicAuthenticator } from '../../lib/auth/index.ts'

test('two gateways in one process serve separate stores on separate ports', async () => {
  const auth = [basicAuthenticator([{ username: 'a', password: 'b' }])]
  const one = await startTestGateway({ options: { authenticators: auth } })
  const two = await startTestGateway({ options: { authenticators: auth } })
  try {
    assert.notEqual(one.gateway.port, two.gateway.port)
    const h = { authorization: 'Basic ' + Buffer.from('a:b').toString('base64'), 'content-type': 'application/scim+json' }
    assert.equal((await fetch(`${one.url}/Users`, { method: 'POST', headers: h, body: JSON.stringify({ userName: 'only-one' }) })).status, 201)
    const count = async (url: string): Promise<number> => ((await (await fetch(`${url}/Users?filter=userName eq "only-one"`, { headers: h })).json()) as { totalResults: number }).totalResults
    assert.equal(await count(one.url), 1)
    assert.equal(await count(two.url), 0)
  } finally {
    await one.stop()
    await two.stop()
  }
})
