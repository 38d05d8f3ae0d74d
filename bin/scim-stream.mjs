#!/usr/bin/env node
// Launcher of the SCIM Stream service: runs lib/collector/main.ts through tsx (TypeScript without a
// build step), passing arguments, stdio, signals and the exit code through.
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const main = fileURLToPath(new URL('../lib/collector/main.ts', import.meta.url))
const tsx = import.meta.resolve('tsx')
// A larger young generation: a collection run allocates many short-lived objects (pages, mapped
// users, message texts); 32 MB semi-spaces keep them out of the old generation (faster, lower RSS).
// NODE_OPTIONS can override it.
const child = spawn(process.execPath, ['--max-semi-space-size=32', '--import', tsx, main, ...process.argv.slice(2)], { stdio: 'inherit' })
for (const sig of ['SIGTERM', 'SIGINT', 'SIGHUP']) process.on(sig, () => { child.kill(sig) })
child.on('exit', (code, signal) => { process.exit(code ?? (signal !== null ? 1 : 0)) })
