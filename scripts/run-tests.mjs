#!/usr/bin/env node
// Runs every *.test.ts under lib/ and test/ with node's test runner through tsx.
// Node 20's --test does not expand globs, so the file list is built here.
import { readdirSync, statSync } from 'node:fs'
import { join, relative } from 'node:path'
import { spawnSync } from 'node:child_process'

const root = new URL('..', import.meta.url).pathname
const only = process.argv.slice(2)

function walk (dir, out) {
  let entries
  try { entries = readdirSync(dir) } catch { return out }
  for (const name of entries) {
    if (name === 'node_modules' || name.startsWith('.')) continue
    const p = join(dir, name)
    if (statSync(p).isDirectory()) walk(p, out)
    else if (name.endsWith('.test.ts')) out.push(relative(root, p))
  }
  return out
}

let files = [...walk(join(root, 'lib'), []), ...walk(join(root, 'test'), [])].sort()
if (only.length > 0) files = files.filter(f => only.some(o => f.includes(o)))
if (files.length === 0) {
  console.error('no test files found')
  process.exit(1)
}
const args = ['--import', 'tsx', '--test', '--test-reporter=spec', ...files]
const res = spawnSync(process.execPath, args, { cwd: root, stdio: 'inherit', env: { ...process.env, NODE_ENV: 'test' } })
process.exit(res.status ?? 1)
