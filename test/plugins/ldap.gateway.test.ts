// plugin-ldap end to end: a real gateway over HTTP, plugin-ldap, a throwaway slapd (LDAPS).
// Filters pushed down (and their escaping: an injection attempt with *()\ in values), paging with
// the paged-results control, a group with 5,000 members changed by deltas (no-ops included),
// create-then-read, bad input, the directory going away (503, no hang) and coming back, a server
// that never answers (504 by the operation timeout), and config errors with their paths.
import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { createServer, type Server, type Socket } from 'node:net'
import { randomUUID } from 'node:crypto'
import { Attribute, type Client } from 'ldapts'
import { startTestGateway, type TestGateway } from '../support/gateway.ts'
import { bearerTokenAuthenticator } from '../../lib/auth/index.ts'
import { createLdapPlugin, ldapOptionsFromEndpoint } from '../../lib/plugins/plugin-ldap.ts'
import { isConfigError } from '../../lib/config/errors.ts'
import { startSlapd, OPENLDAP_SUFFIX, type TestSlapd } from '../support/slapd.ts'
import { adminClient, openLdapEndpoint } from './ldap-support.ts'
import type { JsonObject } from '../../lib/scim/types.ts'

const TOKEN = 'ldap-e2e-' + randomUUID()
let slapd: TestSlapd
let gw: TestGateway
let admin: Client

async function call (method: string, path: string, body?: unknown): Promise<{ status: number, body: JsonObject }> {
  const res = await fetch(gw.url + path, { method, headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/scim+json' }, body: body === undefined ? undefined : JSON.stringify(body), signal: AbortSignal.timeout(30_000) })
  const text = await res.text()
  return { status: res.status, body: text === '' ? {} : JSON.parse(text) as JsonObject }
}
const q = (filter: string): string => `/Users?filter=${encodeURIComponent(filter)}`
const names = (b: JsonObject): string[] => ((b.Resources ?? []) as JsonObject[]).map(r => String(r.userName)).sort()
const uniq = (p: string): string => `${p}-${randomUUID().slice(0, 8)}`

before(async () => {
  slapd = await startSlapd()
  admin = await adminClient(slapd)
  const plugin = createLdapPlugin(ldapOptionsFromEndpoint(openLdapEndpoint(slapd, { extra: { pageSize: 7, timeout: 3000, connectTimeout: 1000 } }), '.'))
  gw = await startTestGateway({ plugin, options: { authenticators: [bearerTokenAuthenticator([{ token: TOKEN }])] } })
})
after(async () => {
  await gw?.stop()
  await admin?.unbind().catch(() => {})
  await slapd?.stop()
})

describe('plugin-ldap through the gateway (OpenLDAP)', () => {
  it('filters: eq, sw, co, pr, and/or reach the right users', async () => {
    const tag = randomUUID().slice(0, 6)
    for (const [u, g, f, mail] of [['ann', 'Ann', 'Alpha', 'ann@x.org'], ['bob', 'Bob', 'Beta', 'bob@y.org'], ['bea', 'Bea', 'Alpha', undefined]] as const) {
      const r = await call('POST', '/Users', { userName: `${u}-${tag}`, name: { givenName: g, familyName: f }, ...(mail !== undefined ? { emails: [{ type: 'work', value: mail }] } : {}) })
      assert.equal(r.status, 201, JSON.stringify(r.body))
    }
    assert.deepEqual(names((await call('GET', q(`userName eq "bob-${tag}"`))).body), [`bob-${tag}`])
    assert.deepEqual(names((await call('GET', q(`userName sw "b" and userName co "${tag}"`))).body), [`bea-${tag}`, `bob-${tag}`])
    assert.deepEqual(names((await call('GET', q(`userName co "${tag}" and emails pr`))).body), [`ann-${tag}`, `bob-${tag}`])
    assert.deepEqual(names((await call('GET', q(`userName co "${tag}" and (name.familyName eq "Beta" or emails.value ew "x.org")`))).body), [`ann-${tag}`, `bob-${tag}`])
    assert.deepEqual(names((await call('GET', q(`userName co "${tag}" and not (name.familyName eq "Alpha")`))).body), [`bob-${tag}`])
  })

  it('filter values are data: *()\\ and an LDAP injection attempt match literally', async () => {
    const tag = randomUUID().slice(0, 6)
    const odd = `x*()\\${tag}`
    assert.equal((await call('POST', '/Users', { userName: odd })).status, 201)
    assert.equal((await call('POST', '/Users', { userName: `xyz${tag}` })).status, 201)
    assert.deepEqual(names((await call('GET', q(`userName eq ${JSON.stringify(odd)}`))).body), [odd])
    assert.deepEqual(names((await call('GET', q(`userName eq "x*"`))).body), [])
    assert.deepEqual(names((await call('GET', q(`userName sw "x*()\\\\"`))).body), [odd])
    const injected = await call('GET', q(`userName eq "*)(uid=*))(|(uid=*"`))
    assert.equal(injected.status, 200)
    assert.deepEqual(names(injected.body), [])
    const r = await call('GET', q(`userName eq "\u0000${tag}"`))
    assert.equal(r.status, 200)
    assert.deepEqual(names(r.body), [])
  })

  it('lists page through the directory with the paged-results control (exact totals)', async () => {
    const all = await call('GET', '/Users?count=1000')
    const total = Number(all.body.totalResults)
    assert.ok(total >= 5)
    const seen: string[] = []
    for (let start = 1; start <= total; start += 4) {
      const page = await call('GET', `/Users?startIndex=${start}&count=4`)
      assert.equal(page.status, 200)
      assert.equal(page.body.totalResults, total)
      seen.push(...((page.body.Resources ?? []) as JsonObject[]).map(r => String(r.id)))
    }
    assert.equal(seen.length, total)
    assert.equal(new Set(seen).size, total, 'pages do not overlap')
  })

  it('createUser then getUser at once, 20 times: always found', async () => {
    for (let i = 0; i < 20; i++) {
      const c = await call('POST', '/Users', { userName: uniq('raw') })
      assert.equal(c.status, 201)
      const g = await call('GET', `/Users/${String(c.body.id)}`)
      assert.equal(g.status, 200)
      assert.equal(g.body.userName, c.body.userName)
    }
  })

  it('bad input: no userName 400, unknown member 400, unknown group 404, duplicate 409 with scimType', async () => {
    const noName = await call('POST', '/Users', { displayName: 'x' })
    assert.equal(noName.status, 400)
    const g = await call('POST', '/Groups', { displayName: uniq('G') })
    assert.equal(g.status, 201)
    const bad = await call('PATCH', `/Groups/${String(g.body.id)}`, { schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'add', path: 'members', value: [{ value: 'no-such-user' }] }] })
    assert.equal(bad.status, 400)
    assert.match(String(bad.body.detail), /no-such-user/)
    assert.equal((await call('GET', `/Groups/${randomUUID()}`)).status, 404)
    const name = uniq('dup')
    assert.equal((await call('POST', '/Users', { userName: name })).status, 201)
    const dup = await call('POST', '/Users', { userName: name })
    assert.equal(dup.status, 409)
    assert.equal(dup.body.scimType, 'uniqueness')
  })

  it('a group with 5,000 members: member deltas, no-ops are 2xx, user groups both ways', async () => {
    const tag = randomUUID().slice(0, 6)
    const dns: string[] = []
    for (let i = 0; i < 5000; i++) dns.push(`uid=big${i}-${tag},ou=people,${OPENLDAP_SUFFIX}`)
    for (let i = 0; i < dns.length; i += 100) {
      await Promise.all(dns.slice(i, i + 100).map(async (dn, j) => {
        const uid = `big${i + j}-${tag}`
        await admin.add(dn, [new Attribute({ type: 'objectClass', values: ['inetOrgPerson'] }), new Attribute({ type: 'uid', values: [uid] }), new Attribute({ type: 'cn', values: [uid] }), new Attribute({ type: 'sn', values: [uid] })])
      }))
    }
    const groupName = `Big-${tag}`
    await admin.add(`cn=${groupName},ou=groups,${OPENLDAP_SUFFIX}`, [new Attribute({ type: 'objectClass', values: ['groupOfNames', 'scimObject'] }), new Attribute({ type: 'cn', values: [groupName] }), new Attribute({ type: 'member', values: dns })])
    const group = ((await call('GET', `/Groups?filter=${encodeURIComponent(`displayName eq "${groupName}"`)}&excludedAttributes=members`)).body.Resources as JsonObject[])[0]
    assert.ok(group !== undefined)
    const gid = String(group.id)
    const newcomer = await call('POST', '/Users', { userName: `new-${tag}` })
    const nid = String(newcomer.body.id)
    const patch = async (ops: unknown[]): Promise<number> => (await call('PATCH', `/Groups/${gid}`, { schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: ops })).status
    assert.ok([200, 204].includes(await patch([{ op: 'add', path: 'members', value: [{ value: nid }] }])))
    assert.ok([200, 204].includes(await patch([{ op: 'add', path: 'members', value: [{ value: nid }] }])), 'adding an existing member is a no-op')
    const user = await call('GET', `/Users/${nid}`)
    assert.ok(((user.body.groups ?? []) as JsonObject[]).some(g => g.value === gid), 'the user lists the group')
    const full = await call('GET', `/Groups/${gid}`)
    assert.equal((full.body.members as unknown[]).length, 5001)
    const byMember = await call('GET', `/Groups?filter=${encodeURIComponent(`members.value eq "${nid}"`)}&excludedAttributes=members`)
    assert.deepEqual(((byMember.body.Resources ?? []) as JsonObject[]).map(g => g.id), [gid])
    assert.ok([200, 204].includes(await patch([{ op: 'remove', path: `members[value eq "${nid}"]` }])))
    assert.ok([200, 204].includes(await patch([{ op: 'remove', path: `members[value eq "${nid}"]` }])), 'removing a missing member is a no-op')
    const cmp = await admin.compare(`cn=${groupName},ou=groups,${OPENLDAP_SUFFIX}`, 'member', dns[4999] ?? '')
    assert.equal(cmp, true, 'the other 5,000 members are untouched')
    const after = await call('GET', `/Users/${nid}`)
    assert.ok(!((after.body.groups ?? []) as JsonObject[]).some(g => g.value === gid))
  })

  it('slapd restarted under load: every request ends (200 or 503, nothing else), then all succeed', async () => {
    const u = await call('POST', '/Users', { userName: uniq('load') })
    assert.equal(u.status, 201)
    const statuses: number[] = []
    let running = true
    const workers = Array.from({ length: 8 }, async (_x, i) => {
      while (running) {
        const r = i % 2 === 0 ? await call('GET', `/Users/${String(u.body.id)}`) : await call('GET', q(`userName eq "${String(u.body.userName)}"`))
        statuses.push(r.status)
      }
    })
    await new Promise(resolve => setTimeout(resolve, 300))
    await slapd.restart()
    await new Promise(resolve => setTimeout(resolve, 300))
    running = false
    await Promise.all(workers)
    assert.ok(statuses.length > 8)
    assert.deepEqual([...new Set(statuses)].filter(s => s !== 200 && s !== 503), [], `statuses seen: ${[...new Set(statuses)].join(', ')}`)
    for (let i = 0; i < 10; i++) assert.equal((await call('GET', `/Users/${String(u.body.id)}`)).status, 200)
  })

  it('the directory goes away: requests answer 503 quickly, and work again once it is back', async () => {
    const before = await call('POST', '/Users', { userName: uniq('restart') })
    assert.equal(before.status, 201)
    await slapd.kill()
    try {
      const t0 = Date.now()
      const results = await Promise.all([call('GET', '/Users?count=5'), call('GET', `/Users/${String(before.body.id)}`), call('POST', '/Users', { userName: uniq('down') })])
      for (const r of results) assert.equal(r.status, 503, JSON.stringify(r.body))
      assert.ok(Date.now() - t0 < 20_000, 'no request hangs while the directory is down')
    } finally { await slapd.start() }
    const again = await call('GET', `/Users/${String(before.body.id)}`)
    assert.equal(again.status, 200)
    assert.equal(again.body.userName, before.body.userName)
  })
})

describe('plugin-ldap failure modes without a gateway', () => {
  it('a server that accepts connections but never answers: 504 from the operation timeout, not a hang', async () => {
    const sockets: Socket[] = []
    // answers the bind (success), then never answers again
    const silent: Server = createServer(s => {
      sockets.push(s)
      let bound = false
      s.on('data', (d: Buffer) => {
        if (bound || d[0] !== 0x30) return
        bound = true
        const id = d[4] ?? 1
        s.write(Buffer.from([0x30, 0x0c, 0x02, 0x01, id, 0x61, 0x07, 0x0a, 0x01, 0x00, 0x04, 0x00, 0x04, 0x00]))
      })
    })
    await new Promise<void>(resolve => silent.listen(0, '127.0.0.1', resolve))
    const port = (silent.address() as { port: number }).port
    const plugin = createLdapPlugin(ldapOptionsFromEndpoint(openLdapEndpoint(slapd, { url: `ldap://127.0.0.1:${port}`, extra: { timeout: 500, connectTimeout: 500 } }), '.'))
    try {
      const { ctx, query } = await import('./contract.ts')
      const t0 = Date.now()
      await assert.rejects(plugin.getUsers?.(query({ attribute: 'userName', operator: 'eq', value: 'x' }), ctx()) ?? Promise.reject(new Error('no getUsers')), (e: unknown) => (e as { status?: number }).status === 504)
      assert.ok(Date.now() - t0 < 10_000)
      const down = createLdapPlugin(ldapOptionsFromEndpoint(openLdapEndpoint(slapd, { url: 'ldap://127.0.0.1:1', extra: { connectTimeout: 500 } }), '.'))
      assert.equal((await down.health()).entities.undefined?.state, 'idle', 'nothing opened before the first request')
      await assert.rejects(down.getUsers?.(query({ attribute: 'userName', operator: 'eq', value: 'x' }), ctx()) ?? Promise.reject(new Error('no getUsers')), (e: unknown) => (e as { status?: number }).status === 503)
      const h = await down.health()
      assert.equal(h.entities.undefined?.state, 'down')
      assert.match(String(h.entities.undefined?.detail), /unavailable/)
      await down.stop?.()
    } finally {
      await plugin.stop?.()
      for (const s of sockets) s.destroy()
      silent.close()
    }
  })

  it('config problems are reported together with their paths', () => {
    const ep = openLdapEndpoint(slapd) as { entity: { undefined: JsonObject } }
    const broken = { ...ep, entity: { undefined: { ...ep.entity.undefined, baseUrls: ['http://dc1:389'], poolsize: 3, ldap: { ...(ep.entity.undefined.ldap as JsonObject), userBase: undefined, userFilter: '(cn=a' } } } }
    try {
      ldapOptionsFromEndpoint(broken, '.')
      assert.fail('expected a ConfigError')
    } catch (err) {
      assert.ok(isConfigError(err), String(err))
      const text = err.message
      assert.match(text, /endpoint\.entity\.undefined\.baseUrls\[0\]: expected an ldap:\/\/ or ldaps:\/\/ URL/)
      assert.match(text, /endpoint\.entity\.undefined\.poolsize.*did you mean "poolSize"/)
      assert.match(text, /endpoint\.entity\.undefined\.ldap\.userBase: required/)
    }
    const noUserName = { ...ep, map: { user: { entryUUID: { mapTo: 'id' } } } }
    assert.throws(() => createLdapPlugin(ldapOptionsFromEndpoint(noUserName, '.')), (e: unknown) => isConfigError(e) && /no attribute maps to userName/.test(e.message))
    const badFilter = { ...ep, entity: { undefined: { ...ep.entity.undefined, ldap: { ...(ep.entity.undefined.ldap as JsonObject), userFilter: '(cn=a' } } } }
    assert.throws(() => ldapOptionsFromEndpoint(badFilter, '.'), (e: unknown) => isConfigError(e) && /ldap\.userFilter/.test(e.message))
  })
})
