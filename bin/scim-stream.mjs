#!/usr/bin/env node
// Launcher of the SCIM Stream service, passing arguments, stdio, signals and the exit code through:
// in a source checkout lib/collector/main.ts through tsx (no build step; a stale dist/ is never
// used), in the installed package the built dist/lib/collector/main.js.
import { existsSync } from 'node:fs'
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const source = fileURLToPath(new URL('../lib/collector/main.ts', import.meta.url))
const built = fileURLToPath(new URL('../dist/lib/collector/main.js', import.meta.url))
const entry = existsSync(source) ? ['--import', import.meta.resolve('tsx'), source] : [built]
// A larger young generation: a collection run allocates many short-lived objects (pages, mapped
// users, message texts); 32 MB semi-spaces keep them out of the old generation (faster, lower RSS).
// NODE_OPTIONS can override it.
const child = spawn(process.execPath, ['--max-semi-space-size=32', ...entry, ...process.argv.slice(2)], { stdio: 'inherit' })
for (const sig of ['SIGTERM', 'SIGINT', 'SIGHUP']) process.on(sig, () => { child.kill(sig) })
child.on('exit', (code, signal) => { process.exit(code ?? (signal !== null ? 1 : 0)) })
