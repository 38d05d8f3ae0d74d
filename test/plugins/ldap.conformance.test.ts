// Microsoft's Entra SCIM validation collection (../shared/conformance, used as it is) with newman
// against a real gateway whose plugin is plugin-ldap on a throwaway slapd (plain OpenLDAP tree,
// LDAPS). The collection's GET /scim/Token is served by this test as a fixture.
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { createRequire } from 'node:module'
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import type { AddressInfo } from 'node:net'
import { serve } from '@hono/node-server'
import { Hono } from 'hono'
import { startTestGateway } from '../support/gateway.ts'
import { bearerTokenAuthenticator } from '../../lib/auth/index.ts'
import { createLdapPlugin, ldapOptionsFromEndpoint } from '../../lib/plugins/plugin-ldap.ts'
import { startSlapd, type TestSlapd } from '../support/slapd.ts'
import { openLdapEndpoint } from './ldap-support.ts'

const collection = fileURLToPath(new URL('../../../shared/conformance/entra-scim-reference.postman_collection.json', import.meta.url))

interface NewmanFailure { error: { message: string, test?: string }, source?: { name?: string } }
interface NewmanSummary { run: { failures: NewmanFailure[], stats: { assertions: { total: number, failed: number }, requests: { total: number, failed: number } } } }
type NewmanRun = (opts: Record<string, unknown>, cb: (err: Error | null, summary: NewmanSummary) => void) => void

/**
 * What a directory cannot do that the collection assumes a document store does — listed, not hidden:
 * - a member `displayName` sent in a PATCH ("new User") has nowhere to live: `member` holds DNs only;
 * - members "string id 1" / "string id 2" name no directory entry: a DN cannot be made up, so the
 *   plugin answers 400 invalidValue `member "string id 1" not found` instead of storing garbage.
 */
const KNOWN_DEVIATIONS = [
  /^Get group by id: Body contians user expected .* to include 'new User'$/,
  /^Group patch add member2?: Status code is 204 expected response to have status code 204 but got 400$/
]

const TOKEN = 'conformance-' + Math.random().toString(36).slice(2)
let slapd: TestSlapd
before(async () => { slapd = await startSlapd() })
after(async () => { await slapd.stop() })

test('Microsoft Entra SCIM validation collection against plugin-ldap (OpenLDAP): everything passes but the listed deviations', { skip: existsSync(collection) ? false : `collection not found at ${collection}` }, async () => {
  const plugin = createLdapPlugin(ldapOptionsFromEndpoint(openLdapEndpoint(slapd), '.'))
  const gw = await startTestGateway({ plugin, options: { authenticators: [bearerTokenAuthenticator([{ token: TOKEN }])] } })
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
    const unexpected = failures.filter(f => !KNOWN_DEVIATIONS.some(k => k.test(f)))
    assert.deepEqual(unexpected, [], `newman failures:\n${failures.join('\n')}`)
    console.log(`Entra collection against plugin-ldap: ${summary.run.stats.assertions.total - failures.length}/${summary.run.stats.assertions.total} assertions pass; known deviations:\n  ${failures.join('\n  ')}`)
    assert.ok(summary.run.stats.assertions.total >= 100, `expected the collection's ~108 assertions to run, got ${summary.run.stats.assertions.total}`)
    assert.equal(summary.run.stats.requests.failed, 0)
  } finally {
    await new Promise<void>(resolve => { server.close(() => { resolve() }) })
    await gw.stop()
  }
})
