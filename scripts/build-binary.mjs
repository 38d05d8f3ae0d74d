#!/usr/bin/env node
// Single-file executables with `bun build --compile`: dist/bin/scimgateway (index.ts: the gateway as
// index.ts starts it) and dist/bin/scim-stream (the SCIM Stream CLI). A binary reads its config from
// the `config` directory beside it, or from SCIM_CONFIG_DIR.
//   npm run build:binary [-- --outdir <dir>] [-- --target bun-linux-x64]
import { existsSync, mkdirSync } from 'node:fs'
import { spawnSync } from 'node:child_process'
import { join, resolve } from 'node:path'

const root = new URL('..', import.meta.url).pathname
const args = process.argv.slice(2)
const opt = (name) => { const i = args.indexOf(name); return i >= 0 ? args[i + 1] : undefined }
const outdir = resolve(root, opt('--outdir') ?? 'dist/bin')
const target = opt('--target')

/** Bun from the devDependency (`bun`, which installs @oven/bun-<platform>), else from PATH. */
function findBun () {
  const candidates = [
    join(root, 'node_modules', '.bin', 'bun'),
    join(root, 'node_modules', '@oven', `bun-${process.platform}-${process.arch === 'arm64' ? 'aarch64' : process.arch}`, 'bin', 'bun'),
    join(root, 'node_modules', 'bun', 'bin', 'bun.exe')
  ]
  for (const c of candidates) {
    if (existsSync(c) && spawnSync(c, ['--version']).status === 0) return c
  }
  if (spawnSync('bun', ['--version']).status === 0) return 'bun'
  console.error('build:binary: Bun was not found: run `npm install` (devDependency bun) or install Bun')
  process.exit(1)
}

const bun = findBun()
mkdirSync(outdir, { recursive: true })
for (const [entry, name] of [['index.ts', 'scimgateway'], ['lib/collector/main.ts', 'scim-stream']]) {
  const out = join(outdir, name)
  const r = spawnSync(bun, ['build', '--compile', ...(target !== undefined ? ['--target', target] : []), entry, '--outfile', out], { cwd: root, stdio: 'inherit' })
  if (r.status !== 0) { console.error(`build:binary: ${entry} failed`); process.exit(r.status ?? 1) }
  console.log(`build:binary: ${out}`)
}
