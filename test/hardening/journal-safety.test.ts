// Issue 12 defect 6: plugin-loki journal safety. A journal truncated while the gateway was stopped,
// an empty one, or one whose last line is a complete but invalid record refuses to start, naming the
// line and a recovery command, and is left untouched; demo data is never seeded into a store whose
// file existed; only a genuinely torn last line — after a real crash (SIGKILL of a writer process) —
// is dropped, with a .bak of the cut bytes.
import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { appendFile, mkdtemp, readdir, readFile, rm, writeFile, truncate } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ScimGateway } from '../../lib/core/gateway.ts'
import { createLokiPlugin } from '../../lib/plugins/plugin-loki.ts'
import { basicAuthenticator } from '../../lib/auth/index.ts'
import { createMemoryLogger } from '../../lib/logging/memory.ts'
import { silentLogger, type Logger } from '../../lib/logging/types.ts'

const dir = await mkdtemp(join(tmpdir(), 'i12-journal-'))
after(async () => { await rm(dir, { recursive: true, force: true }) })
let n = 0
const newFile = (): string => join(dir, `loki-${++n}.db`)
const auth = { authorization: 'Basic ' + Buffer.from('a:b').toString('base64'), 'content-type': 'application/scim+json' }

/** A gateway over plugin-loki with the journal at `file` (demo data on, the scimgateway default). */
async function gateway (file: string, log: Logger = silentLogger): Promise<ScimGateway> {
  const gw = new ScimGateway({ plugin: createLokiPlugin({ persistence: { file }, demoData: true }), log, options: { port: 0, localhostOnly: true, authenticators: [basicAuthenticator([{ username: 'a', password: 'b' }])] } })
  await gw.start()
  return gw
}
async function userNames (gw: ScimGateway): Promise<string[]> {
  const r = await gw.app.request('http://gw.test/Users?count=1000', { headers: auth })
  const body = await r.json() as { Resources: Array<{ userName: string }> }
  return body.Resources.map(u => u.userName).sort()
}
async function createUsers (gw: ScimGateway, names: string[]): Promise<void> {
  for (const userName of names) {
    const r = await gw.app.request('http://gw.test/Users', { method: 'POST', headers: auth, body: JSON.stringify({ schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName }) })
    assert.equal(r.status, 201)
  }
}

test('a journal truncated to its first 1,000 bytes while stopped refuses to start; nothing is seeded or cut', async () => {
  const file = newFile()
  const gw = await gateway(file)
  await createUsers(gw, Array.from({ length: 20 }, (_, i) => `user-${i}`))
  await gw.stop()
  await truncate(file, 1000)
  const before = await readFile(file)
  await assert.rejects(gateway(file), (e: unknown) => {
    const m = (e as Error).message
    return m.includes(`${file}:`) && /:\d+: /.test(m) && /truncated or altered/.test(m) && /To recover: cp '/.test(m)
  })
  assert.deepEqual(await readFile(file), before, 'the file is left as it was')
})

test('an empty (0-byte) journal refuses to start with line 1 and the recovery command', async () => {
  const file = newFile()
  await writeFile(file, '')
  await assert.rejects(gateway(file), (e: unknown) => (e as Error).message.startsWith(`${file}:1: the journal is empty`) && /To recover: .*rm -f/.test((e as Error).message))
  assert.equal((await readFile(file, 'utf8')), '', 'nothing is written into it')
})

test('a complete last line that is valid JSON but not a record refuses to start and is not cut', async () => {
  const file = newFile()
  const gw = await gateway(file)
  await createUsers(gw, ['keep-me'])
  await gw.stop()
  const lines = (await readFile(file, 'utf8')).split('\n').length - 1
  await appendFile(file, '{"op":"put","t":"Robot","r":{"id":"x"}}\n')
  const before = await readFile(file)
  await assert.rejects(gateway(file), new RegExp(`:${lines + 1}: the last line, though complete, is not a valid journal record.*To recover: .*head -n ${lines} `))
  assert.deepEqual(await readFile(file), before)
  // the same record without its newline is still not a torn write: refused too
  await writeFile(file, before.subarray(0, before.length - 1))
  await assert.rejects(gateway(file), /is JSON but not a valid record/)
})

test('demo data is never seeded into a store whose file existed', async () => {
  const file = newFile()
  const first = await gateway(file)
  assert.deepEqual(await userNames(first), ['bjensen', 'jsmith'], 'a new store is seeded')
  for (const name of ['bjensen', 'jsmith']) {
    const u = await first.app.request(`http://gw.test/Users?filter=${encodeURIComponent(`userName eq "${name}"`)}`, { headers: auth })
    const id = ((await u.json()) as { Resources: Array<{ id: string }> }).Resources[0]?.id ?? ''
    assert.equal((await first.app.request(`http://gw.test/Users/${id}`, { method: 'DELETE', headers: auth })).status, 204)
  }
  await first.stop()
  // an existing journal holding only its header (no entity record) is not a new store either
  const headerOnly = newFile()
  await writeFile(headerOnly, (await readFile(file, 'utf8')).split('\n')[0] + '\n')
  for (const f of [file, headerOnly]) {
    const again = await gateway(f)
    assert.deepEqual(await userNames(again), [], `${f}: no demo users come back`)
    await again.stop()
  }
})

test('a torn last line after a real crash is dropped, kept in a .bak, and the store starts', async () => {
  const file = newFile()
  const child = spawn(process.execPath, ['--import', 'tsx', new URL('./support/loki-crash-child.ts', import.meta.url).pathname, file, '5'], { stdio: ['ignore', 'pipe', 'inherit'] })
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => { if (d.toString().includes('READY')) resolve() })
    child.once('exit', (code) => { reject(new Error(`child exited ${String(code)}`)) })
  })
  const exited = new Promise(resolve => child.once('exit', resolve))
  child.kill('SIGKILL')
  await exited
  const torn = '{"op":"put","t":"User","r":{"id":"t1","userName":"half-writ'
  await appendFile(file, torn) // the crash cut a write short
  const log = createMemoryLogger()
  const gw = await gateway(file, log)
  assert.deepEqual(await userNames(gw), Array.from({ length: 5 }, (_, i) => `before-crash-${i}`), 'acknowledged users are all there, no demo data')
  const warn = log.lines.find(l => /dropped a torn last journal line \(line \d+/.test(l.message))
  assert.ok(warn, 'the drop is logged with its line number')
  const baks = (await readdir(dir)).filter(f => f.startsWith(`loki-${n}.db.torn-`) && f.endsWith('.bak'))
  assert.equal(baks.length, 1)
  assert.equal(await readFile(join(dir, baks[0] ?? ''), 'utf8'), torn)
  await createUsers(gw, ['after-crash'])
  await gw.stop()
  const again = await gateway(file)
  assert.ok((await userNames(again)).includes('after-crash'))
  await again.stop()
})
