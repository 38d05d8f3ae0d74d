// Microsoft's Entra SCIM validation collection (ENTRA_SCIM_COLLECTION, else ../shared/conformance) with newman
// against a real gateway whose plugin is plugin-ldap on a throwaway slapd (plain OpenLDAP tree,
// LDAPS). The collection's GET /scim/Token is served as a fixture (test/support/conformance.ts).
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { startTestGateway } from '../support/gateway.ts'
import { entraCollectionSkip, runEntraCollection } from '../support/conformance.ts'
import { bearerTokenAuthenticator } from '../../lib/auth/index.ts'
import { createLdapPlugin, ldapOptionsFromEndpoint } from '../../lib/plugins/plugin-ldap.ts'
import { startSlapd, type TestSlapd } from '../support/slapd.ts'
import { openLdapEndpoint } from './ldap-support.ts'

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

test('Microsoft Entra SCIM validation collection against plugin-ldap (OpenLDAP): everything passes but the listed deviations', { skip: entraCollectionSkip() }, async () => {
  const plugin = createLdapPlugin(ldapOptionsFromEndpoint(openLdapEndpoint(slapd), '.'))
  const gw = await startTestGateway({ plugin, options: { authenticators: [bearerTokenAuthenticator([{ token: TOKEN }])] } })
  try {
    const r = await runEntraCollection(gw.gateway.app, TOKEN)
    const failures = r.failures
    const unexpected = failures.filter(f => !KNOWN_DEVIATIONS.some(k => k.test(f)))
    assert.deepEqual(unexpected, [], `newman failures:\n${failures.join('\n')}`)
    console.log(`Entra collection against plugin-ldap: ${r.assertions - failures.length}/${r.assertions} assertions pass; known deviations:\n  ${failures.join('\n  ')}`)
    assert.ok(r.assertions >= 100, `expected the collection's ~108 assertions to run, got ${r.assertions}`)
    assert.equal(r.failedRequests, 0)
  } finally {
    await gw.stop()
  }
})
