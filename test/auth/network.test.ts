// Network protections: IP allow list (IPv4, IPv6, IPv4-mapped; X-Forwarded-For only behind a trusted
// proxy) over real HTTP on 127.0.0.1 and ::1, rate limits answering 429 with Retry-After, and the
// failed-authentication slow-down (unit, with a fake clock and sleep; end to end with short delays).
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { networkInterfaces } from 'node:os'
import type { AddressInfo } from 'node:net'
import { serve, type ServerType } from '@hono/node-server'
import {
  basicAuthenticator, clientAddressOf, clientAddressResolver, createAddressMatcher, createRateLimiter, failedAuthSlowDown, ipAllowGate, addressRateLimitGate, principalRateLimitGate
} from '../../lib/auth/index.ts'
import { startTestGateway } from '../support/gateway.ts'
import { fullPlugin } from './support.ts'

const ADMIN = `Basic ${Buffer.from('admin:pw').toString('base64')}`
const admin = basicAuthenticator([{ username: 'admin', password: 'pw' }])
const req = (xff?: string): Request => new Request('http://gw/Users', xff === undefined ? {} : { headers: { 'x-forwarded-for': xff } })

describe('address matching', () => {
  it('IPv4 and IPv6 CIDRs, single addresses, IPv4-mapped IPv6 clients', () => {
    const m = createAddressMatcher(['10.0.0.0/8', '192.168.1.7', '2001:db8::/32', '::1'])
    assert.equal(m('10.200.3.4'), true)
    assert.equal(m('::ffff:10.1.2.3'), true)
    assert.equal(m('::FFFF:192.168.1.7'), true)
    assert.equal(m('192.168.1.8'), false)
    assert.equal(m('11.0.0.1'), false)
    assert.equal(m('2001:db8:1::5'), true)
    assert.equal(m('2001:db9::1'), false)
    assert.equal(m('::1'), true)
    assert.equal(m('fe80::1%eth0'), false)
    assert.equal(m('not-an-ip'), false)
    assert.equal(m(''), false)
  })
  it('rejects invalid entries with their text', () => {
    assert.throws(() => createAddressMatcher(['10.0.0.0/33']), /10\.0\.0\.0\/33/)
    assert.throws(() => createAddressMatcher(['example.com']), /example\.com/)
    assert.throws(() => createAddressMatcher(['::1/129']), /prefix/)
  })
})

describe('client address and X-Forwarded-For', () => {
  it('ignores X-Forwarded-For unless a proxy is trusted', () => {
    assert.equal(clientAddressOf(req('1.2.3.4'), '10.0.0.5', undefined), '10.0.0.5')
    assert.equal(clientAddressOf(req('1.2.3.4'), '10.0.0.5', false), '10.0.0.5')
  })
  it('hop count: the address the n-th proxy from the socket saw', () => {
    assert.equal(clientAddressOf(req('1.2.3.4'), '10.0.0.5', 1), '1.2.3.4')
    // a client-written entry in front of the real one is ignored
    assert.equal(clientAddressOf(req('6.6.6.6, 1.2.3.4'), '10.0.0.5', 1), '1.2.3.4')
    assert.equal(clientAddressOf(req('6.6.6.6, 1.2.3.4, 10.0.0.9'), '10.0.0.5', 2), '1.2.3.4')
    assert.equal(clientAddressOf(req('1.2.3.4'), '10.0.0.5', 5), '1.2.3.4')
  })
  it('proxy CIDRs: the right-most untrusted hop; an untrusted socket is the client', () => {
    assert.equal(clientAddressOf(req('6.6.6.6, 1.2.3.4, 10.0.0.9'), '10.0.0.5', ['10.0.0.0/24']), '1.2.3.4')
    assert.equal(clientAddressOf(req('1.2.3.4'), '172.16.0.1', ['10.0.0.0/24']), '172.16.0.1')
    assert.equal(clientAddressOf(req('[2001:db8::7]:443, 1.2.3.4:5678'), '10.0.0.5', ['10.0.0.0/24', '1.2.3.4']), '2001:db8::7')
  })
  it('true: the left-most entry', () => {
    assert.equal(clientAddressOf(req('1.2.3.4, 5.6.7.8'), '10.0.0.5', true), '1.2.3.4')
  })
})

describe('IP allow list over real HTTP', () => {
  it('allows listed clients, refuses others with a SCIM 403 before authentication', async () => {
    const gw = await startTestGateway({ plugin: fullPlugin(), options: { authenticators: [admin], gates: [ipAllowGate({ allow: ['127.0.0.0/8'] })] } })
    try {
      assert.equal((await fetch(`${gw.url}/Users`, { headers: { authorization: ADMIN } })).status, 200)
      // X-Forwarded-For is not trusted: a spoofed header changes nothing
      assert.equal((await fetch(`${gw.url}/Users`, { headers: { authorization: ADMIN, 'x-forwarded-for': '8.8.8.8' } })).status, 200)
    } finally { await gw.stop() }
    const denied = await startTestGateway({ plugin: fullPlugin(), options: { authenticators: [admin], gates: [ipAllowGate({ allow: ['10.0.0.0/8', '2001:db8::/32'] })] } })
    try {
      const r = await fetch(`${denied.url}/Users`, { headers: { authorization: ADMIN } })
      assert.equal(r.status, 403)
      const body = await r.json() as Record<string, unknown>
      assert.equal(body.status, '403')
      assert.deepEqual(body.schemas, ['urn:ietf:params:scim:api:messages:2.0:Error'])
      // no credentials either: still 403 (refused before authentication)
      assert.equal((await fetch(`${denied.url}/Users`)).status, 403)
      assert.equal((await fetch(`${denied.url}/Users`, { headers: { authorization: ADMIN, 'x-forwarded-for': '10.1.1.1' } })).status, 403)
    } finally { await denied.stop() }
  })

  it('behind a trusted proxy the forwarded address decides', async () => {
    const gate = ipAllowGate({ allow: ['10.0.0.0/8'], trustProxy: ['127.0.0.1'] })
    const gw = await startTestGateway({ plugin: fullPlugin(), options: { authenticators: [admin], gates: [gate] } })
    try {
      assert.equal((await fetch(`${gw.url}/Users`, { headers: { authorization: ADMIN, 'x-forwarded-for': '10.1.2.3' } })).status, 200)
      assert.equal((await fetch(`${gw.url}/Users`, { headers: { authorization: ADMIN, 'x-forwarded-for': '10.1.2.3, 8.8.8.8' } })).status, 403)
      assert.equal((await fetch(`${gw.url}/Users`, { headers: { authorization: ADMIN } })).status, 403, 'the proxy itself is not in the list')
    } finally { await gw.stop() }
  })

  it('IPv6 clients on ::1', { skip: !hasIpv6Loopback() && 'no IPv6 loopback on this machine' }, async () => {
    // the same gateway app served on ::1 only (ScimGateway binds 127.0.0.1 or every interface)
    const gw = await startTestGateway({ plugin: fullPlugin(), options: { authenticators: [admin], gates: [ipAllowGate({ allow: ['::1/128'] })] } })
    const v6 = await new Promise<ServerType>((resolve) => { const s = serve({ fetch: gw.gateway.app.fetch, hostname: '::1', port: 0 }, () => { resolve(s) }) })
    try {
      const port = (v6.address() as AddressInfo).port
      assert.equal((await fetch(`http://[::1]:${port}/Users`, { headers: { authorization: ADMIN } })).status, 200)
      assert.equal((await fetch(`${gw.url}/Users`, { headers: { authorization: ADMIN } })).status, 403)
    } finally {
      await new Promise<void>(resolve => { v6.close(() => { resolve() }) })
      await gw.stop()
    }
  })
})

describe('rate limits', () => {
  it('token bucket: burst, then 429 with Retry-After until refilled; bounded keys', () => {
    let t = 0
    const l = createRateLimiter({ ratePerSecond: 2, burst: 3, maxKeys: 100, now: () => t })
    for (let i = 0; i < 3; i++) assert.deepEqual(l.take('a'), { ok: true })
    assert.deepEqual(l.take('a'), { ok: false, retryAfterSeconds: 1 })
    assert.deepEqual(l.take('b'), { ok: true }, 'keys are independent')
    t += 500
    assert.deepEqual(l.take('a'), { ok: true })
    for (let i = 0; i < 1000; i++) l.take(`k${i}`)
    assert.ok(l.size <= 100)
  })

  it('per address and per principal over real HTTP: 429 with Retry-After', async () => {
    const perAddress = addressRateLimitGate(createRateLimiter({ ratePerSecond: 0.01, burst: 5 }))
    const gw = await startTestGateway({ plugin: fullPlugin(), options: { authenticators: [admin], gates: [perAddress] } })
    try {
      const statuses: number[] = []
      let retryAfter: string | null = null
      for (let i = 0; i < 8; i++) {
        const r = await fetch(`${gw.url}/Users`, { headers: { authorization: ADMIN } })
        statuses.push(r.status)
        if (r.status === 429) retryAfter = r.headers.get('retry-after')
        await r.arrayBuffer()
      }
      assert.deepEqual(statuses, [200, 200, 200, 200, 200, 429, 429, 429])
      assert.ok(Number(retryAfter) >= 1)
    } finally { await gw.stop() }

    const two = basicAuthenticator([{ username: 'admin', password: 'pw' }, { username: 'other', password: 'pw2' }])
    const perPrincipal = principalRateLimitGate(createRateLimiter({ ratePerSecond: 0.01, burst: 2 }))
    const gw2 = await startTestGateway({ plugin: fullPlugin(), options: { authenticators: [two], principalGates: [perPrincipal] } })
    try {
      const s = async (auth: string): Promise<number> => (await fetch(`${gw2.url}/Users`, { headers: { authorization: auth } })).status
      assert.deepEqual([await s(ADMIN), await s(ADMIN), await s(ADMIN)], [200, 200, 429])
      assert.equal(await s(`Basic ${Buffer.from('other:pw2').toString('base64')}`), 200, 'another principal has its own bucket')
    } finally { await gw2.stop() }
  })
})

describe('failed-authentication slow-down', () => {
  it('failed answers wait, growing per failure after the free attempts, bounded; successes never wait', async () => {
    let t = 0
    const slept: number[] = []
    const s = failedAuthSlowDown({ freeAttempts: 2, delayMs: 100, maxDelayMs: 1000, windowMs: 60_000, now: () => t, sleep: async (ms) => { slept.push(ms) } })
    const fail = async (): Promise<void> => { await s.observer({ remoteAddress: '1.1.1.1', ok: false }) }
    for (let i = 0; i < 8; i++) await fail()
    // each failure beyond the free ones waits (in its own answer) for the delay it earned
    assert.deepEqual(slept, [100, 200, 400, 800, 1000, 1000])
    assert.equal(s.delayFor('2.2.2.2'), 0, 'other addresses are not affected')
    assert.equal(await s.gate(new Request('http://gw/'), { remoteAddress: '1.1.1.1' }), undefined)
    await s.observer({ remoteAddress: '1.1.1.1', ok: true })
    assert.deepEqual(slept, [100, 200, 400, 800, 1000, 1000], 'neither the gate nor a success waits')
    assert.equal(s.delayFor('1.1.1.1'), 1000, 'a success does not refill the free attempts')
    await fail(); await fail(); await fail()
    t += 61_000
    assert.equal(s.delayFor('1.1.1.1'), 0, 'old failures are forgotten')
  })

  it('over real HTTP: repeated wrong passwords are slowed down, the right one still works', async () => {
    const s = failedAuthSlowDown({ freeAttempts: 1, delayMs: 50, maxDelayMs: 200 })
    const gw = await startTestGateway({ plugin: fullPlugin(), options: { authenticators: [admin], gates: [s.gate], authObservers: [s.observer] } })
    try {
      const wrong = `Basic ${Buffer.from('admin:guess').toString('base64')}`
      for (let i = 0; i < 4; i++) assert.equal((await fetch(`${gw.url}/Users`, { headers: { authorization: wrong } })).status, 401)
      assert.ok(s.delayFor('127.0.0.1') > 0 || s.delayFor('::ffff:127.0.0.1') > 0, 'the address is being slowed down')
      assert.equal((await fetch(`${gw.url}/Users`, { headers: { authorization: ADMIN } })).status, 200)
    } finally { await gw.stop() }
  })

  it('behind a trusted proxy, failures count per forwarded client, not per proxy', async () => {
    const resolve = clientAddressResolver(true)
    const s = failedAuthSlowDown({ freeAttempts: 1, delayMs: 50, maxDelayMs: 200, clientAddress: resolve })
    const gw = await startTestGateway({ plugin: fullPlugin(), options: { authenticators: [admin], gates: [s.gate], authObservers: [s.observer] } })
    try {
      const wrong = `Basic ${Buffer.from('admin:guess').toString('base64')}`
      for (let i = 0; i < 3; i++) {
        const r = await fetch(`${gw.url}/Users`, { headers: { authorization: wrong, 'x-forwarded-for': '203.0.113.7' } })
        assert.equal(r.status, 401)
      }
      assert.ok(s.delayFor('203.0.113.7') > 0, 'the forwarded client is slowed down')
      assert.equal(s.delayFor('127.0.0.1') + s.delayFor('::ffff:127.0.0.1'), 0, 'the proxy itself is not')
      const other = await fetch(`${gw.url}/Users`, { headers: { authorization: ADMIN, 'x-forwarded-for': '198.51.100.1' } })
      assert.equal(other.status, 200, 'another client behind the same proxy is not affected')
    } finally { await gw.stop() }
  })
})

function hasIpv6Loopback (): boolean {
  return Object.values(networkInterfaces()).some(list => (list ?? []).some(i => i.family === 'IPv6' && i.address === '::1'))
}
