// Issue 12 defects 4 and 5, over real HTTP: the failed-login slow-down delays failed answers only —
// a valid login from the same address completes while failures from it are still being held — and
// wrong user vs wrong password are still treated alike; a rejected Basic user name (or OAuth client
// id) is logged only as a keyed hash, never verbatim. The slow-down's sleep is replaced by one the
// test releases, so nothing here depends on timing.
import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import { ScimGateway } from '../../lib/core/gateway.ts'
import { createLokiPlugin } from '../../lib/plugins/plugin-loki.ts'
import { basicAuthenticator, failedAuthSlowDown } from '../../lib/auth/index.ts'
import { createOAuthServer } from '../../lib/auth/oauth.ts'
import { createSigningKey } from '../../lib/auth/signing-key.ts'
import { createMemoryLogger } from '../../lib/logging/memory.ts'
import { silentLogger } from '../../lib/logging/types.ts'

const basic = (u: string, p: string): string => 'Basic ' + Buffer.from(`${u}:${p}`).toString('base64')
const gateways: ScimGateway[] = []
after(async () => { for (const g of gateways) await g.stop() })

/** A sleep that waits until the test releases it, recording every requested delay. */
function heldSleep (): { sleep: (ms: number) => Promise<void>, asked: number[], releaseAll: () => void, waiting: () => number } {
  const asked: number[] = []
  const held: Array<() => void> = []
  return {
    asked,
    sleep: async (ms) => { asked.push(ms); await new Promise<void>(resolve => { held.push(resolve) }) },
    releaseAll: () => { for (const r of held.splice(0)) r() },
    waiting: () => held.length
  }
}

async function start (opts: { sleep: (ms: number) => Promise<void>, log?: ReturnType<typeof createMemoryLogger> }): Promise<string> {
  const slow = failedAuthSlowDown({ freeAttempts: 1, delayMs: 500, maxDelayMs: 4000, sleep: opts.sleep })
  const plugin = createLokiPlugin({ persistence: 'memory' })
  const oauth = createOAuthServer({ clients: [{ clientId: 'svc', clientSecret: 'svc-secret-123456' }], signingKey: createSigningKey(), observers: [slow.observer], log: opts.log ?? silentLogger })
  const gw = new ScimGateway({
    plugin,
    options: {
      port: 0,
      localhostOnly: true,
      authenticators: [basicAuthenticator([{ username: 'gwadmin', password: 'password' }]), oauth.authenticator],
      gates: [slow.gate],
      authObservers: [slow.observer],
      extraRoutes: [oauth.mount]
    },
    log: opts.log ?? silentLogger
  })
  await gw.start()
  gateways.push(gw)
  return `http://127.0.0.1:${gw.port as number}`
}

async function until (cond: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !cond(); i++) await new Promise(resolve => setImmediate(resolve))
  assert.ok(cond(), 'condition never became true')
}

test('a valid login from an address with held failures is answered at once', async () => {
  const s = heldSleep()
  const url = await start({ sleep: s.sleep })
  // failure 1 is free; failures 2 and 3 are held (delays 500 and 1000)
  assert.equal((await fetch(`${url}/Users`, { headers: { authorization: basic('gwadmin', 'wrong1') } })).status, 401)
  const held = [fetch(`${url}/Users`, { headers: { authorization: basic('gwadmin', 'wrong2') } }), fetch(`${url}/Users`, { headers: { authorization: basic('nosuchuser', 'x') } })]
  await until(() => s.waiting() === 2)
  const ok = await fetch(`${url}/Users?count=1`, { headers: { authorization: basic('gwadmin', 'password') } })
  assert.equal(ok.status, 200, 'the valid login is not held behind the failures')
  assert.equal(s.waiting(), 2, 'the failures are still held')
  s.releaseAll()
  const statuses = (await Promise.all(held)).map(r => r.status)
  assert.deepEqual(statuses, [401, 401])
  assert.deepEqual(s.asked, [500, 1000])
})

test('wrong user and wrong password get the same answer and the same delay', async () => {
  const a = heldSleep()
  const urlA = await start({ sleep: a.sleep })
  const b = heldSleep()
  const urlB = await start({ sleep: b.sleep })
  const bodies: string[] = []
  for (let i = 0; i < 4; i++) {
    const pa = fetch(`${urlA}/Users`, { headers: { authorization: basic('gwadmin', `bad${i}`) } })
    const pb = fetch(`${urlB}/Users`, { headers: { authorization: basic(`ghost${i}`, 'password') } })
    await until(() => i === 0 || (a.waiting() === 1 && b.waiting() === 1))
    a.releaseAll(); b.releaseAll()
    const [ra, rb] = await Promise.all([pa, pb])
    assert.equal(ra.status, rb.status)
    assert.equal(ra.headers.get('www-authenticate'), rb.headers.get('www-authenticate'))
    bodies.push(await ra.text(), await rb.text())
  }
  assert.deepEqual(a.asked, b.asked)
  assert.equal(new Set(bodies).size, 1, 'identical bodies')
})

test('a rejected Basic user name and OAuth client id are never logged verbatim', async () => {
  const log = createMemoryLogger()
  const s = heldSleep()
  const url = await start({ sleep: s.sleep, log })
  const typedPassword = 'MyS3cretPassw0rd!'
  assert.equal((await fetch(`${url}/Users`, { headers: { authorization: basic(typedPassword, 'x') } })).status, 401)
  const pending = fetch(`${url}/oauth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'client_credentials', client_id: 'Cl1entSecretTypedHere', client_secret: 'x' }).toString()
  })
  await until(() => s.waiting() === 1) // the second failure from this address is slowed down
  s.releaseAll()
  const tok = await pending
  assert.equal(tok.status, 401)
  const text = JSON.stringify(log.lines)
  assert.ok(!text.includes(typedPassword), 'the Basic user name does not appear')
  assert.ok(!text.includes('Cl1entSecretTypedHere'), 'the OAuth client id does not appear')
  const rejected = log.lines.filter(l => /rejected/.test(l.message))
  assert.equal(rejected.length, 2)
  for (const l of rejected) assert.match(l.message, /hmac:[0-9a-f]{10} \(\d+ chars\)/)
})
