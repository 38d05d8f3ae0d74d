// The HR collector against the local SuccessFactors-shaped emulator over real HTTP: paging (OData
// v2, v4, custom next link), result paths, malformed records, streaming, abort.
import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import { createMemoryLogger } from '../../../logging/index.ts'
import { silentLogger } from '../../../logging/types.ts'
import type { JsonObject, JsonValue } from '../../../scim/types.ts'
import { startHrEmulator, generatePerson, type HrEmulator } from '../../../../test/support/hr-emulator.ts'
import { createHrCollector, HrCollectError, isRestError } from './index.ts'
import { startJsonServer } from '../../../../test/support/json-server.ts'

const V2 = '/odata/v2/PerPerson?$expand=personalInfoNav,emailNav,employmentNav/jobInfoNav&$format=json'
const emulators: HrEmulator[] = []
after(async () => { await Promise.all(emulators.map(async e => { await e.stop() })) })

async function emulator (opts: Parameters<typeof startHrEmulator>[0]): Promise<HrEmulator> {
  const e = await startHrEmulator(opts)
  emulators.push(e)
  return e
}

function ids (persons: readonly JsonObject[]): string[] {
  return persons.map(p => String(p.personIdExternal))
}

test('OData v2: d.results and __next paging over 3 pages, navigations expanded, /Date()/ values', async () => {
  const emu = await emulator({ persons: 2500, pageSize: 1000 })
  const hr = createHrCollector({ auth: { base_urls: [emu.url] }, general: { collect_query_string: V2, collect_query_result_path: 'd.results' } }, { log: silentLogger })
  const r = await hr.collect()
  assert.equal(r.persons.length, 2500)
  assert.equal(r.pages, 3)
  assert.equal(emu.requests, 3)
  assert.equal(r.complete, true)
  assert.deepEqual(r.problems, [])
  assert.equal(new Set(ids(r.persons)).size, 2500)
  assert.equal(ids(r.persons)[2499], '102499')
  const p = r.persons[1] as JsonObject
  const emp = (p.employmentNav as { results: JsonObject[] }).results[0] as JsonObject
  assert.match(String(emp.startDate), /^\/Date\(-?\d+\)\/$/)
  assert.ok(Array.isArray((emp.jobInfoNav as { results: unknown[] }).results))
  assert.equal(typeof ((p.personalInfoNav as { results: JsonObject[] }).results[0] as JsonObject).firstName, 'string')
})

test('navigations not in $expand are deferred, as SuccessFactors answers', async () => {
  const emu = await emulator({ persons: 3 })
  const hr = createHrCollector({ auth: { base_urls: [emu.url] }, general: { collect_query_string: '/odata/v2/PerPerson?$expand=emailNav' } }, { log: silentLogger })
  const [p] = (await hr.collect()).persons
  assert.ok(p !== undefined)
  assert.ok(Array.isArray((p.emailNav as { results?: unknown }).results))
  assert.ok((p.employmentNav as { __deferred?: unknown }).__deferred !== undefined)
})

test('OData v4: value and a relative @odata.nextLink (default paths)', async () => {
  const emu = await emulator({ persons: 25, pageSize: 10 })
  const hr = createHrCollector({ auth: { base_urls: [emu.url] }, general: { collect_query_string: '/odata/v4/PerPerson?$expand=employmentNav' } }, { log: silentLogger })
  const r = await hr.collect()
  assert.equal(r.persons.length, 25)
  assert.equal(r.pages, 3)
  assert.deepEqual(ids(r.persons).slice(0, 2), ['100000', '100001'])
  assert.ok(Array.isArray(r.persons[0]?.employmentNav), 'v4 inlines collections')
})

test('custom API: collect_query_result_path data.items, collect_next_link_path paging.next', async () => {
  const emu = await emulator({ persons: 7, pageSize: 3 })
  const hr = createHrCollector({
    auth: { base_urls: [emu.url] },
    general: { collect_query_string: 'api/persons', collect_query_result_path: 'data.items', collect_next_link_path: 'paging.next' }
  }, { log: silentLogger })
  const r = await hr.collect()
  assert.equal(r.pages, 3)
  assert.deepEqual(ids(r.persons), ['100000', '100001', '100002', '100003', '100004', '100005', '100006'])
})

test('a result path that is not in the answer fails the collection with the path named', async () => {
  const emu = await emulator({ persons: 3 })
  const hr = createHrCollector({ auth: { base_urls: [emu.url] }, general: { collect_query_string: V2, collect_query_result_path: 'value' } }, { log: silentLogger })
  await assert.rejects(hr.collect(), (err: Error) => err instanceof HrCollectError && /value/.test(err.message))
})

test('malformed records are logged, reported and skipped; the others continue; not complete', async () => {
  const good = (i: number): JsonObject => generatePerson(i, { referenceDate: new Date('2025-01-01T00:00:00Z') })
  const badDate = { ...good(5), employmentNav: { results: [{ startDate: 'first of May', endDate: null }] } }
  const badEnd = { personIdExternal: 'x9', employmentNav: { results: [{ startDate: '2020-01-01', endDate: '31/02/2024' }] } }
  const persons: JsonValue[] = [good(1), null, good(2), 'not a person', badDate, [1, 2], good(3), badEnd, good(4)]
  const emu = await emulator({ persons, pageSize: 4 })
  const log = createMemoryLogger()
  const hr = createHrCollector({ auth: { base_urls: [emu.url] }, general: { collect_query_string: V2 } }, { log })
  const r = await hr.collect()
  assert.deepEqual(ids(r.persons), ['100001', '100002', '100003', '100004'])
  assert.equal(r.complete, false)
  assert.deepEqual(r.problems.map(p => [p.page, p.index]), [[1, 1], [1, 3], [2, 0], [2, 1], [2, 3]])
  assert.match(r.problems[0]?.message ?? '', /not an object \(null\)/)
  assert.match(r.problems[2]?.message ?? '', /unreadable date "first of May" at employmentNav\.results\.startDate/)
  assert.equal(r.problems[2]?.id, '100005')
  assert.equal(r.problems[4]?.id, 'x9')
  assert.equal(log.lines.filter(l => l.level === 'warn' && /HR record skipped/.test(l.message)).length, 5)
})

test('stream(): persons arrive page by page; complete() after the iteration', async () => {
  const emu = await emulator({ persons: 30, pageSize: 10 })
  const hr = createHrCollector({ auth: { base_urls: [emu.url] }, general: { collect_query_string: V2 } }, { log: silentLogger })
  const s = hr.stream()
  let n = 0
  for await (const p of s.persons) {
    assert.equal(typeof p.personIdExternal, 'string')
    n++
  }
  assert.equal(n, 30)
  assert.equal(s.complete(), true)
  assert.equal(s.pages(), 3)
})

test('stopping a stream early fetches no further pages', async () => {
  const emu = await emulator({ persons: 50, pageSize: 10 })
  const hr = createHrCollector({ auth: { base_urls: [emu.url] }, general: { collect_query_string: V2 } }, { log: silentLogger })
  const s = hr.stream()
  for await (const p of s.persons) if (p.personIdExternal === '100001') break
  assert.ok(emu.requests <= 2, `one page and at most the prefetched one, got ${emu.requests}`)
  assert.equal(s.complete(), false)
})

test('an aborted signal stops the collection', async () => {
  const emu = await emulator({ persons: 5 })
  const hr = createHrCollector({ auth: { base_urls: [emu.url] }, general: { collect_query_string: V2 } }, { log: silentLogger })
  const ctl = new AbortController()
  ctl.abort(new Error('stop now'))
  await assert.rejects(hr.collect(ctl.signal), (err: Error) => isRestError(err) && err.kind === 'aborted' && /stop now/.test(String(err.cause)))
})

test('a server that links back to a page already read is cut off', async () => {
  const srv = await startJsonServer(() => ({ d: { results: [{ personIdExternal: '1' }], __next: `${srv.url}/odata/v2/PerPerson?$skiptoken=1` } }))
  after(async () => { await srv.stop() })
  const hr = createHrCollector({ auth: { base_urls: [srv.url] }, general: { collect_query_string: V2 } }, { log: silentLogger })
  await assert.rejects(hr.collect(), /repeats a page already read/)
  assert.equal(srv.calls.length, 2)
})

test('lifecycle(): the collector applies its configured paths and pre_activate_days', () => {
  const hr = createHrCollector({
    auth: { base_urls: ['http://127.0.0.1:9'] },
    general: { collect_query_string: V2, pre_activate_days: 10 }
  }, { log: silentLogger, now: () => new Date('2025-01-01T00:00:00Z') })
  const person = { employmentNav: { results: [{ startDate: '/Date(1736294400000)/', endDate: null }] } } // 2025-01-08
  assert.deepEqual(hr.lifecycle(person), { state: 'preactive', active: true, include: true })
})

test('a next link to another host is refused: credentials are never sent there', async () => {
  const srv = await startJsonServer(() => ({ d: { results: [{ personIdExternal: '1' }], __next: 'http://attacker.example/steal?$skiptoken=1' } }))
  after(async () => { await srv.stop() })
  const hr = createHrCollector({ auth: { base_urls: [srv.url], bearer_token: 't' }, general: { collect_query_string: V2 } }, { log: silentLogger })
  await assert.rejects(hr.collect(), (err: Error) => isRestError(err) && /refusing to follow the next link http:\/\/attacker\.example/.test(err.message))
  assert.equal(srv.calls.length, 1)
  assert.equal(srv.calls[0]?.authorization, 'Bearer t')
})

test('a next link elsewhere on the same host (outside the base path) is followed there', async () => {
  const srv = await startJsonServer((call, n) => n === 1
    ? { d: { results: [{ personIdExternal: '1' }], __next: `${srv.url}/other/PerPerson?$skiptoken=1` } }
    : { d: { results: [{ personIdExternal: '2' }] } })
  after(async () => { await srv.stop() })
  const hr = createHrCollector({ auth: { base_urls: [`${srv.url}/api/v1`] }, general: { collect_query_string: '/PerPerson' } }, { log: silentLogger })
  const r = await hr.collect()
  assert.deepEqual(ids(r.persons), ['1', '2'])
  assert.deepEqual(srv.calls.map(c => c.path), ['/api/v1/PerPerson', '/other/PerPerson?$skiptoken=1'])
})
