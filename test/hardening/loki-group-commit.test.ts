// Issue 12 write path: plugin-loki journal appends are group-committed — concurrent POST /Users
// share writes + fdatasyncs (the journal reports how many on close) — and each 201 is sent only
// after its record is in the journal file (read back the moment the response arrives).
import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ScimGateway } from '../../lib/core/gateway.ts'
import { createLokiPlugin } from '../../lib/plugins/plugin-loki.ts'
import { basicAuthenticator } from '../../lib/auth/index.ts'
import { createMemoryLogger } from '../../lib/logging/memory.ts'

const dir = await mkdtemp(join(tmpdir(), 'i12-group-'))
after(async () => { await rm(dir, { recursive: true, force: true }) })

test('64 concurrent POST /Users share group commits; each 201 follows its durable write', async () => {
  const file = join(dir, 'loki.db')
  const log = createMemoryLogger()
  const gw = new ScimGateway({ plugin: createLokiPlugin({ persistence: { file }, demoData: false }), log, options: { port: 0, localhostOnly: true, authenticators: [basicAuthenticator([{ username: 'a', password: 'b' }])] } })
  await gw.start()
  const url = `http://127.0.0.1:${gw.port as number}`
  const headers = { authorization: 'Basic ' + Buffer.from('a:b').toString('base64'), 'content-type': 'application/scim+json' }
  const inFileAtResponse: boolean[] = []
  await Promise.all(Array.from({ length: 64 }, async (_, i) => {
    const r = await fetch(`${url}/Users`, { method: 'POST', headers, body: JSON.stringify({ schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName: `gc-${i}` }) })
    assert.equal(r.status, 201)
    const { id } = await r.json() as { id: string }
    inFileAtResponse.push((await readFile(file, 'utf8')).includes(`"id":"${id}"`))
  }))
  assert.equal(inFileAtResponse.length, 64)
  assert.ok(inFileAtResponse.every(Boolean), 'every acknowledged user was already in the journal')
  await gw.stop()
  const closed = log.lines.find(l => /journal closed; \d+ writes made durable in \d+ group commits/.test(l.message))
  assert.ok(closed, 'the journal reports its group commits')
  const [, writes, commits] = /(\d+) writes made durable in (\d+) group commits/.exec(closed.message) ?? []
  assert.equal(Number(writes), 65, '64 users + the default store')
  // how many share a commit over HTTP depends on how the requests interleave (machine load): the
  // grouping itself is checked deterministically below
  assert.ok(Number(commits) <= Number(writes), `${writes} writes in ${commits} commits`)
})

test('writes that arrive in one event-loop turn share one durable commit (plugin level)', async () => {
  const file = join(dir, 'loki-direct.db')
  const log = createMemoryLogger()
  const plugin = createLokiPlugin({ persistence: { file }, demoData: false })
  await plugin.start?.(log)
  const ctx = { baseEntity: undefined, log, signal: new AbortController().signal, requestId: 'gc' }
  const create = plugin.createUser
  assert.ok(create !== undefined)
  // all 64 appends are made in this turn, before the journal's first write starts
  await Promise.all(Array.from({ length: 64 }, async (_, i) => await create.call(plugin, { schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName: `direct-${i}` }, ctx)))
  await plugin.stop?.()
  const closed = log.lines.find(l => /journal closed; \d+ writes made durable in \d+ group commits/.test(l.message))
  assert.ok(closed, 'the journal reports its group commits')
  const [, writes, commits] = /(\d+) writes made durable in (\d+) group commits/.exec(closed.message) ?? []
  assert.equal(Number(writes), 65, '64 users + the default store')
  assert.ok(Number(commits) <= 3, `${writes} writes in ${commits} commits: the 64 of one turn share one commit`)
})
