// Failure handling of the HR collector over real HTTP: failover across base_urls (down before and in
// the middle of paging, 5xx), the last good base URL tried first, request timeout, and bounded
// retries honouring Retry-After on 429/503. Waits are injected: no test depends on timing.
import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import { silentLogger } from '../../../logging/types.ts'
import { createMemoryLogger } from '../../../logging/index.ts'
import { startHrEmulator, type HrEmulator } from '../../../../test/support/hr-emulator.ts'
import { createHrCollector, isRestError } from './index.ts'
import { startJsonServer } from '../../../../test/support/json-server.ts'

const V2 = '/odata/v2/PerPerson?$expand=employmentNav&$format=json'
const emulators: HrEmulator[] = []
after(async () => { await Promise.all(emulators.map(async e => { await e.stop() })) })

async function start (opts: Parameters<typeof startHrEmulator>[0] = {}): Promise<HrEmulator> {
  const e = await startHrEmulator({ persons: 12, pageSize: 5, ...opts })
  emulators.push(e)
  return e
}

function noWait (): { waits: number[], sleep: (ms: number) => Promise<void> } {
  const waits: number[] = []
  return { waits, sleep: async (ms) => { waits.push(ms) } }
}

test('failover: the first base URL refuses connections, the second serves; the good one is remembered', async () => {
  const a = await start()
  const b = await start()
  await a.setDown(true)
  const log = createMemoryLogger()
  const hr = createHrCollector({ auth: { base_urls: [a.url, b.url] }, general: { collect_query_string: V2 } }, { log })
  const r = await hr.collect()
  assert.equal(r.persons.length, 12)
  assert.equal(r.baseUrl, b.url)
  assert.ok(log.lines.some(l => l.level === 'warn' && /failover: .*now using/.test(l.message)))
  await a.setDown(false)
  await hr.collect()
  assert.equal(a.requests, 0, 'the last good base URL is tried first')
  assert.equal(b.requests, 6)
})

test('failover in the middle of paging: __next links of the failed server are re-based on the next one', async () => {
  const a = await start()
  const b = await start()
  // a front for `a` that serves the first page (its links pointing at the front) and then goes away
  const front = await startJsonServer(async (call) => {
    const body = await (await fetch(`${a.url}${call.path}`)).text()
    setImmediate(() => { void front.stop() })
    return JSON.parse(body.replaceAll(a.url, front.url)) as unknown
  })
  const hr = createHrCollector({ auth: { base_urls: [front.url, b.url] }, general: { collect_query_string: V2 } }, { log: silentLogger })
  const r = await hr.collect()
  assert.deepEqual(r.persons.map(p => p.personIdExternal), Array.from({ length: 12 }, (_, i) => String(100_000 + i)))
  assert.equal(front.calls.length, 1)
  assert.equal(b.requests, 2)
  assert.equal(r.baseUrl, b.url)
})

test('failover on 5xx; when every base URL fails the error lists them all', async () => {
  const a = await start({ failFirst: 100, failStatus: 500 })
  const b = await start()
  const hr = createHrCollector({ auth: { base_urls: [a.url, b.url] }, general: { collect_query_string: V2 } }, { log: silentLogger })
  assert.equal((await hr.collect()).persons.length, 12)
  assert.equal(a.requests, 1, '500 is not retried on the same base URL')
  await b.setDown(true)
  await a.setDown(true)
  await assert.rejects(hr.collect(), (err: Error) => isRestError(err) && /every base URL failed/.test(err.message) && err.message.includes(a.url) && err.message.includes(b.url))
})

test('503 outage (setDown 503): retried with back-off up to max_retries, then the next base URL', async () => {
  const a = await start()
  const b = await start()
  await a.setDown(true, 503)
  const { waits, sleep } = noWait()
  const hr = createHrCollector({ auth: { base_urls: [a.url, b.url] }, general: { collect_query_string: V2, max_retries: 2 } }, { log: silentLogger, sleep })
  assert.equal((await hr.collect()).persons.length, 12)
  assert.equal(a.requests, 3)
  assert.equal(waits.length, 2)
  assert.ok((waits[1] ?? 0) > (waits[0] ?? 0), 'without Retry-After the wait grows')
})

test('request_timeout: a hanging server times out and the next base URL answers', async () => {
  const slow = await start({ delayMs: 1500 })
  const b = await start()
  const log = createMemoryLogger()
  const hr = createHrCollector({ auth: { base_urls: [slow.url, b.url] }, general: { collect_query_string: V2, request_timeout: 0.2 } }, { log })
  assert.equal((await hr.collect()).persons.length, 12)
  assert.ok(log.lines.some(l => /timed out after 200 ms/.test(l.message)))
})

test('request_timeout with a single base URL: the collection fails with a timeout error', async () => {
  const slow = await start({ delayMs: 1500 })
  const hr = createHrCollector({ auth: { base_urls: [slow.url] }, general: { collect_query_string: V2, request_timeout: 0.1 } }, { log: silentLogger })
  await assert.rejects(hr.collect(), /timed out after 100 ms/)
})

test('429 with Retry-After: waits what the server asks, then continues on the same base URL', async () => {
  const a = await start({ failFirst: 2, failStatus: 429, retryAfter: 7 })
  const b = await start()
  const { waits, sleep } = noWait()
  const hr = createHrCollector({ auth: { base_urls: [a.url, b.url] }, general: { collect_query_string: V2 } }, { log: silentLogger, sleep })
  const r = await hr.collect()
  assert.equal(r.persons.length, 12)
  assert.equal(waits.length, 2)
  assert.ok(waits.every(w => w >= 7000 && w <= 7700), `Retry-After plus at most 10 % jitter: ${waits.join(', ')}`)
  assert.equal(a.requests, 5)
  assert.equal(b.requests, 0)
})

test('Retry-After as an HTTP date, and capped', async () => {
  const t0 = Date.parse('2025-01-01T00:00:00Z')
  const a = await start({ failFirst: 1, failStatus: 503, retryAfter: new Date(t0 + 30_000).toUTCString() })
  const { waits, sleep } = noWait()
  const hr = createHrCollector({ auth: { base_urls: [a.url] }, general: { collect_query_string: V2 } }, { log: silentLogger, sleep, now: () => new Date(t0) })
  await hr.collect()
  assert.equal(waits.length, 1)
  assert.ok((waits[0] ?? 0) >= 30_000 && (waits[0] ?? 0) <= 33_000, String(waits[0]))
  a.setFailures(1, 429, 86_400)
  await hr.collect()
  assert.equal(waits[1], 120_000, 'a day-long Retry-After is waited 120 s at most')
})

test('429 retries are bounded: with one base URL the collection fails after max_retries', async () => {
  const a = await start({ failFirst: 100, failStatus: 429, retryAfter: 1 })
  const { waits, sleep } = noWait()
  const hr = createHrCollector({ auth: { base_urls: [a.url] }, general: { collect_query_string: V2, max_retries: 3 } }, { log: silentLogger, sleep })
  await assert.rejects(hr.collect(), (err: Error) => isRestError(err) && err.status === 429)
  assert.equal(waits.length, 3)
  assert.equal(a.requests, 4)
})

test('a 404 (wrong collect_query_string) fails at once: no failover, no retry', async () => {
  const a = await start()
  const b = await start()
  const hr = createHrCollector({ auth: { base_urls: [a.url, b.url] }, general: { collect_query_string: '/odata/v2/NoSuchEntity' } }, { log: silentLogger })
  await assert.rejects(hr.collect(), (err: Error) => isRestError(err) && err.status === 404)
  assert.equal(b.requests, 0)
})
