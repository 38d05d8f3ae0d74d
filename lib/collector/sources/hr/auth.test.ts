// Every auth type of the HR collector against the emulator over real HTTP: one suite (accepted,
// rejected) run for each method, then the OAuth specifics (token cache, several clients, 401 refresh).
import { test, describe, after } from 'node:test'
import assert from 'node:assert/strict'
import { silentLogger } from '../../../logging/types.ts'
import { createMemoryLogger } from '../../../logging/index.ts'
import { startHrEmulator, type HrEmulator, type HrEmulatorAuth } from '../../../../test/support/hr-emulator.ts'
import { createHrCollector, isRestError } from './index.ts'

const V2 = '/odata/v2/PerPerson?$expand=employmentNav&$format=json'
const emulators: HrEmulator[] = []
after(async () => { await Promise.all(emulators.map(async e => { await e.stop() })) })

const SERVER_AUTH: HrEmulatorAuth = {
  basic: { username: 'sfapi@ACME', password: 'pa:ss%20word' },
  bearer: 'static-token-123',
  header: { name: 'X-API-Key', value: 'k-456' },
  oauth: { clients: [{ client_id: 'c1', client_secret: 's1' }, { client_id: 'c2', client_secret: 's2' }] }
}

interface AuthCase {
  name: string
  good: Record<string, unknown>
  bad: Record<string, unknown>
}

const CASES: AuthCase[] = [
  { name: 'basic', good: { basic: { username: 'sfapi@ACME', password: 'pa:ss%20word' } }, bad: { basic: { username: 'sfapi@ACME', password: 'wrong' } } },
  { name: 'bearer_token', good: { bearer_token: 'static-token-123' }, bad: { bearer_token: 'nope' } },
  { name: 'bearer_token.token (documented shape)', good: { bearer_token: { token: 'static-token-123' } }, bad: { bearer_token: { token: 'nope' } } },
  { name: 'oauth.clients (documented shape)', good: { oauth: { token_url: '/oauth/token', clients: [{ client_id: 'c2', client_secret: 's2' }] } }, bad: { oauth: { token_url: '/oauth/token', clients: [{ client_id: 'c2', client_secret: 'bad' }] } } },
  { name: 'header', good: { header: { 'X-API-Key': 'k-456' } }, bad: { header: { 'X-API-Key': 'bad' } } },
  { name: 'oauth', good: { oauth: { token_url: '/oauth/token', client_id: 'c1', client_secret: 's1' } }, bad: { oauth: { token_url: '/oauth/token', client_id: 'c1', client_secret: 'bad' } } }
]

for (const c of CASES) {
  describe(`auth.${c.name}`, () => {
    test('accepted credentials collect every page', async () => {
      const emu = await start()
      const hr = createHrCollector({ auth: { base_urls: [emu.url], ...c.good }, general: { collect_query_string: V2 } }, { log: silentLogger })
      const r = await hr.collect()
      assert.equal(r.persons.length, 12)
      assert.equal(r.pages, 3)
    })
    test('rejected credentials fail without trying other base URLs or retrying', async () => {
      const emu = await start()
      const other = await start()
      const hr = createHrCollector({ auth: { base_urls: [emu.url, other.url], ...c.bad }, general: { collect_query_string: V2 } }, { log: silentLogger })
      await assert.rejects(hr.collect(), (err: Error) => /401|invalid_client|no OAuth client/.test(err.message))
      assert.equal(other.requests, 0)
      assert.ok(emu.requests <= 1)
    })
  })
}

test('no auth configured: requests carry no Authorization and the server says 401', async () => {
  const emu = await start()
  const hr = createHrCollector({ auth: { base_urls: [emu.url] }, general: { collect_query_string: V2 } }, { log: silentLogger })
  await assert.rejects(hr.collect(), (err: Error) => isRestError(err) && err.status === 401)
})

test('oauth: the token is cached across requests and collections until it expires', async () => {
  const emu = await start()
  let t = Date.parse('2025-01-01T00:00:00Z')
  const hr = createHrCollector({
    auth: { base_urls: [emu.url], oauth: { token_url: `${emu.url}/oauth/token`, client_id: 'c2', client_secret: 's2', scope: 'read' } },
    general: { collect_query_string: V2 }
  }, { log: silentLogger, now: () => new Date(t) })
  await hr.collect()
  await hr.collect()
  assert.equal(emu.tokenRequests, 1)
  assert.equal(emu.requests, 6)
  t += 3600_000 // past expires_in (minus the early-renewal margin)
  await hr.collect()
  assert.equal(emu.tokenRequests, 2)
})

test('oauth: several clients fail over in order and the working one is kept', async () => {
  const emu = await start()
  const log = createMemoryLogger()
  const hr = createHrCollector({
    auth: {
      base_urls: [emu.url],
      oauth: [
        { token_url: '/oauth/token', client_id: 'c1', client_secret: 'revoked' },
        { token_url: '/oauth/token', client_id: 'c2', client_secret: 's2' }
      ]
    },
    general: { collect_query_string: V2 }
  }, { log })
  assert.equal((await hr.collect()).persons.length, 12)
  assert.equal(emu.tokenRequests, 2)
  emu.revokeTokens()
  await hr.collect()
  assert.equal(emu.tokenRequests, 3, 'after the 401 only the client that worked is asked')
  assert.ok(log.lines.some(l => /OAuth token request failed for client c1/.test(l.message)))
  assert.ok(!JSON.stringify(log.lines).includes('s2'), 'no secret in the log')
})

test('oauth: a token the server stopped accepting (401) is renewed once and the request repeated', async () => {
  const emu = await start()
  const hr = createHrCollector({
    auth: { base_urls: [emu.url], oauth: { token_url: '/oauth/token', client_id: 'c1', client_secret: 's1' } },
    general: { collect_query_string: V2 }
  }, { log: silentLogger })
  await hr.collect()
  emu.revokeTokens()
  const r = await hr.collect()
  assert.equal(r.persons.length, 12)
  assert.equal(emu.tokenRequests, 2)
  assert.equal(emu.requests, 7, '3 + one 401 + 3')
})

async function start (): Promise<HrEmulator> {
  const e = await startHrEmulator({ persons: 12, pageSize: 5, auth: SERVER_AUTH })
  emulators.push(e)
  return e
}
