// Runs Microsoft's SCIM validation collection (ENTRA_SCIM_COLLECTION, else ../shared/conformance) with newman
// against a gateway running plugin-generic that forwards over real HTTP to a second gateway running
// plugin-loki (empty store, basic auth). Every assertion must pass, as it does against loki directly.
// The collection's first request, GET /scim/Token, is served as a fixture (test/support/conformance.ts).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { startTestGateway } from '../support/gateway.ts'
import { entraCollectionSkip, runEntraCollection } from '../support/conformance.ts'
import { basicAuthenticator, bearerTokenAuthenticator } from '../../lib/auth/index.ts'
import { createGenericPlugin, genericEndpointSchema, type GenericEndpoint } from '../../lib/plugins/plugin-generic.ts'
import { validate } from '../../lib/config/schema.ts'
import { silentLogger } from '../../lib/logging/types.ts'
import { tmpdir } from 'node:os'

const TOKEN = 'conformance-' + Math.random().toString(36).slice(2)

test('Microsoft Entra SCIM validation collection passes through plugin-generic → plugin-loki gateway', { skip: entraCollectionSkip() }, async () => {
  const cred = { username: 'gwadmin', password: 'password' }
  const loki = await startTestGateway({ options: { authenticators: [basicAuthenticator([cred])] } })
  const ep = validate(genericEndpointSchema, { entity: { undefined: { connection: { baseUrls: [loki.url], auth: { type: 'basic', options: cred } } } } })
  assert.ok(ep.ok, JSON.stringify(ep.errors))
  const plugin = createGenericPlugin(ep.value as GenericEndpoint, { configDir: tmpdir(), log: silentLogger })
  const gw = await startTestGateway({ plugin, options: { authenticators: [bearerTokenAuthenticator([{ token: TOKEN }])] } })
  try {
    const r = await runEntraCollection(gw.gateway.app, TOKEN)
    assert.deepEqual(r.failures, [], `newman failures:\n${r.failures.join('\n')}`)
    assert.ok(r.assertions >= 100, `expected the collection's ~108 assertions to run, got ${r.assertions}`)
    assert.equal(r.failedAssertions, 0)
    assert.equal(r.failedRequests, 0)
  } finally {
    await gw.stop()
    await loki.stop()
  }
})
