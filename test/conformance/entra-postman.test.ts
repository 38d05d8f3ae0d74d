// Runs Microsoft's SCIM validation collection (ENTRA_SCIM_COLLECTION, else ../shared/conformance; used as it is) with newman
// against a real gateway with plugin-loki on a free port and an empty store. Every assertion must pass.
// The collection's first request, GET /scim/Token, is served as a fixture (test/support/conformance.ts).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { startTestGateway } from '../support/gateway.ts'
import { entraCollectionSkip, runEntraCollection } from '../support/conformance.ts'
import { bearerTokenAuthenticator } from '../../lib/auth/index.ts'

const TOKEN = 'conformance-' + Math.random().toString(36).slice(2)

test('Microsoft Entra SCIM validation collection passes against plugin-loki', { skip: entraCollectionSkip() }, async () => {
  const gw = await startTestGateway({ options: { authenticators: [bearerTokenAuthenticator([{ token: TOKEN }])] } })
  try {
    const r = await runEntraCollection(gw.gateway.app, TOKEN)
    assert.deepEqual(r.failures, [], `newman failures:\n${r.failures.join('\n')}`)
    assert.ok(r.assertions >= 100, `expected the collection's ~108 assertions to run, got ${r.assertions}`)
    assert.equal(r.failedAssertions, 0)
    assert.equal(r.failedRequests, 0)
  } finally {
    await gw.stop()
  }
})
