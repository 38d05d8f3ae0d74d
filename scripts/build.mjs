#!/usr/bin/env node
// Builds the package: JavaScript + .d.ts of lib/ and index.ts into dist/ (tsconfig.build.json),
// from a clean dist/ so no file of an earlier build is left behind. Runs in `prepack`.
import { rmSync } from 'node:fs'
import { spawnSync } from 'node:child_process'
import { dirname, join } from 'node:path'
import { createRequire } from 'node:module'

const root = new URL('..', import.meta.url).pathname
rmSync(new URL('../dist', import.meta.url), { recursive: true, force: true })
// typescript's exports map hides bin/tsc: find it beside its package.json
const tsc = join(dirname(createRequire(import.meta.url).resolve('typescript/package.json')), 'bin', 'tsc')
const r = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: root, stdio: 'inherit' })
if (r.status !== 0) {
  console.error('build: tsc failed')
  process.exit(r.status ?? 1)
}
console.log('build: dist/ written')
