// Retention of rotated log files with real files: max_age by modification time (set with utimes),
// max_backups by number, the current file and unrelated files untouched, the periodic sweep.
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdir, mkdtemp, readdir, rm, utimes, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createMemoryLogger } from '../logging/index.ts'
import { pruneRotatedLogs, startLogRetention } from './log-retention.ts'

const DAY = 86_400_000
let dir: string

before(async () => { dir = await mkdtemp(join(tmpdir(), 'scim-stream-logret-')) })
after(async () => { await rm(dir, { recursive: true, force: true }) })

/** Creates `name` in `sub` with a modification time `ageDays` ago. */
async function file (sub: string, name: string, ageDays: number): Promise<void> {
  const p = join(dir, sub, name)
  await writeFile(p, `${name}\n`)
  const t = new Date(Date.now() - ageDays * DAY)
  await utimes(p, t, t)
}

async function listing (sub: string): Promise<string[]> {
  return (await readdir(join(dir, sub))).sort()
}

test('max_age removes rotated files older than the limit; current, recent and unrelated files stay', async () => {
  await mkdir(join(dir, 'a'))
  await file('a', 'app.log', 100) // the current file is never removed, however old
  await file('a', 'app.log.1', 1)
  await file('a', 'app.log.2', 8)
  await file('a', 'app.log.3', 40)
  await file('a', 'app.log.bak', 90) // not a rotated file of app.log
  await file('a', 'app.log.0', 90)
  await file('a', 'other.log.2', 90)
  const removed = await pruneRotatedLogs(join(dir, 'a', 'app.log'), { maxAgeDays: 7 })
  assert.deepEqual(removed.map(f => f.slice(join(dir, 'a').length + 1)).sort(), ['app.log.2', 'app.log.3'])
  assert.deepEqual(await listing('a'), ['app.log', 'app.log.0', 'app.log.1', 'app.log.bak', 'other.log.2'])
})

test('max_age 0 keeps every age; max_backups removes numbers beyond it', async () => {
  await mkdir(join(dir, 'b'))
  await file('b', 'app.log', 0)
  for (let i = 1; i <= 6; i++) await file('b', `app.log.${i}`, i * 100)
  const removed = await pruneRotatedLogs(join(dir, 'b', 'app.log'), { maxAgeDays: 0, maxBackups: 3 })
  assert.equal(removed.length, 3)
  assert.deepEqual(await listing('b'), ['app.log', 'app.log.1', 'app.log.2', 'app.log.3'])
})

test('the age is measured against the injected clock', async () => {
  await mkdir(join(dir, 'c'))
  await file('c', 'app.log.1', 2)
  const path = join(dir, 'c', 'app.log')
  assert.deepEqual(await pruneRotatedLogs(path, { maxAgeDays: 3 }), [])
  assert.equal((await pruneRotatedLogs(path, { maxAgeDays: 3, now: () => Date.now() + 2 * DAY })).length, 1)
  assert.deepEqual(await listing('c'), [])
})

test('a missing log directory is nothing to prune', async () => {
  assert.deepEqual(await pruneRotatedLogs(join(dir, 'none', 'app.log'), { maxAgeDays: 1, maxBackups: 1 }), [])
})

test('startLogRetention sweeps at start and again on its interval, and logs what it removed', async () => {
  await mkdir(join(dir, 'd'))
  await file('d', 'app.log.1', 10)
  const log = createMemoryLogger()
  const r = startLogRetention({ path: join(dir, 'd', 'app.log'), maxAgeDays: 5, maxBackups: 5, log, intervalMs: 20 })
  try {
    await poll(async () => (await listing('d')).length === 0, 'the start sweep')
    await file('d', 'app.log.2', 6) // ages past max_age after the start sweep: the timer removes it
    await poll(async () => (await listing('d')).length === 0, 'a periodic sweep')
    assert.ok(log.lines.some(l => l.message.includes('log retention removed')), JSON.stringify(log.lines))
  } finally {
    await r.stop()
  }
})

async function poll (cond: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 10_000
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise(resolve => setTimeout(resolve, 20))
  }
}
