// Runs Microsoft's SCIM validation collection (ENTRA_SCIM_COLLECTION, else ../shared/conformance; used as it is) with newman
// against a real gateway with plugin-loki on a free port and an empty store. Every assertion must pass.
// The collection's first request, GET /scim/Token, is served by this test as a fixture.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createRequire } from 'node:module'
import { serve } from '@hono/node-server'
import type { AddressInfo } from 'node:net'
import { Hono } from 'hono'
import { startTestGateway } from '../support/gateway.ts'
import { entraCollectionPath, entraCollectionSkip } from '../support/conformance.ts'
import { bearerTokenAuthenticator } from '../../lib/auth/index.ts'

const collection = entraCollectionPath()

interface NewmanFailure { error: { message: string, test?: string }, source?: { name?: string } }
interface NewmanSummary { run: { failures: NewmanFailure[], stats: { assertions: { total: number, failed: number }, requests: { total: number, failed: number } } } }
type NewmanRun = (opts: Record<string, unknown>, cb: (err: Error | null, summary: NewmanSummary) => void) => void

const TOKEN = 'conformance-' + Math.random().toString(36).slice(2)

test('Microsoft Entra SCIM validation collection passes against plugin-loki', { skip: entraCollectionSkip() }, async () => {
  const gw = await startTestGateway({ options: { authenticators: [bearerTokenAuthenticator([{ token: TOKEN }])] } })
  // front: /scim/Token fixture, everything else goes to the gateway app
  const front = new Hono()
  front.get('/scim/Token', (c) => c.json({ token: TOKEN }))
  front.all('*', async (c) => await gw.gateway.app.fetch(c.req.raw))
  const server = serve({ fetch: front.fetch, port: 0, hostname: '127.0.0.1' })
  await new Promise<void>(resolve => { server.once('listening', resolve) })
  const port = (server.address() as AddressInfo).port
  try {
    const require = createRequire(import.meta.url)
    const newman = require('newman') as { run: NewmanRun }
    const summary = await new Promise<NewmanSummary>((resolve, reject) => {
      newman.run({
        collection,
        envVar: [
          { key: 'Protocol', value: 'http' },
          { key: 'Server', value: '127.0.0.1' },
          { key: 'Port', value: `:${port}` },
          { key: 'Api', value: 'scim' }
        ],
        reporters: [],
        timeoutRequest: 10_000
      }, (err, s) => { if (err !== null) reject(err); else resolve(s) })
    })
    const failures = summary.run.failures.map(f => `${f.source?.name ?? '?'}: ${f.error.test ?? ''} ${f.error.message}`)
    assert.deepEqual(failures, [], `newman failures:\n${failures.join('\n')}`)
    assert.ok(summary.run.stats.assertions.total >= 100, `expected the collection's ~108 assertions to run, got ${summary.run.stats.assertions.total}`)
    assert.equal(summary.run.stats.assertions.failed, 0)
    assert.equal(summary.run.stats.requests.failed, 0)
  } finally {
    await new Promise<void>(resolve => { server.close(() => { resolve() }) })
    await gw.stop()
  }
})
