// Tests for the size-rotating file: naming, bounds, no lost lines, reopening an existing file.
import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { RotatingFile } from './rotating-file.ts'

const root = mkdtempSync(join(tmpdir(), 'rotating-file-test-'))
after(() => { rmSync(root, { recursive: true, force: true }) })
const tempDir = (): string => mkdtempSync(join(root, 't'))

const linesIn = (dir: string): string[] => readdirSync(dir).flatMap(f => readFileSync(join(dir, f), 'utf8').split('\n').filter(l => l !== ''))

test('rotates by size without losing or reordering lines when maxFiles is large enough', async () => {
  const dir = tempDir()
  const f = new RotatingFile({ path: join(dir, 'all.log'), maxSize: 1000, maxFiles: 100 })
  for (let i = 0; i < 500; i++) f.write(`line ${String(i).padStart(4, '0')} ${'y'.repeat(40)}\n`)
  await f.close()
  const files = readdirSync(dir)
  assert.ok(files.length > 20, `only ${files.length} files`)
  // newest in all.log, then .1, .2 …: reading from the highest number down gives the original order
  const ordered = files.sort((a, b) => suffix(b) - suffix(a))
  const lines = ordered.flatMap(x => readFileSync(join(dir, x), 'utf8').split('\n').filter(l => l !== ''))
  assert.equal(lines.length, 500)
  lines.forEach((l, i) => { assert.ok(l.startsWith(`line ${String(i).padStart(4, '0')}`), `line ${i}: ${l}`) })
  for (const x of files) assert.ok(readFileSync(join(dir, x)).length <= 1000)
})

test('keeps at most maxFiles files, dropping the oldest', async () => {
  const dir = tempDir()
  const f = new RotatingFile({ path: join(dir, 'gw.log'), maxSize: 100, maxFiles: 3 })
  for (let i = 0; i < 50; i++) f.write(`${i} ${'z'.repeat(40)}\n`)
  await f.close()
  assert.deepEqual(readdirSync(dir).sort(), ['gw.log', 'gw.log.1', 'gw.log.2'])
  assert.ok(linesIn(dir).some(l => l.startsWith('49 ')))
  assert.ok(!linesIn(dir).some(l => l.startsWith('0 ')))
})

test('maxFiles 1 keeps only the current file', async () => {
  const dir = tempDir()
  const f = new RotatingFile({ path: join(dir, 'gw.log'), maxSize: 100, maxFiles: 1 })
  for (let i = 0; i < 20; i++) f.write(`${i} ${'z'.repeat(40)}\n`)
  await f.close()
  assert.deepEqual(readdirSync(dir), ['gw.log'])
  assert.ok(readFileSync(join(dir, 'gw.log'), 'utf8').includes('19 '))
})

test('appends to an existing file and rotates it first when it is already full', async () => {
  const dir = tempDir()
  writeFileSync(join(dir, 'gw.log'), 'old\n'.repeat(30))
  const f = new RotatingFile({ path: join(dir, 'gw.log'), maxSize: 100, maxFiles: 3 })
  f.write('new\n')
  await f.close()
  assert.equal(readFileSync(join(dir, 'gw.log'), 'utf8'), 'new\n')
  assert.equal(readFileSync(join(dir, 'gw.log.1'), 'utf8'), 'old\n'.repeat(30))
})

test('reports an unwritable path instead of throwing', async () => {
  const errors: unknown[] = []
  const f = new RotatingFile({ path: join(root, 'missing-dir', 'sub', 'gw.log'), maxSize: 100, maxFiles: 2, onError: e => { errors.push(e) } })
  assert.doesNotThrow(() => { f.write('x\n') })
  await f.close()
  assert.ok(errors.length > 0)
})

function suffix (name: string): number {
  const m = /\.(\d+)$/.exec(name)
  return m === null ? 0 : Number(m[1])
}
