#!/usr/bin/env node
// Starts the runnable example (index.ts: plugin-loki on port 8880, config from ./config or
// SCIM_CONFIG_DIR). In a source checkout it runs index.ts through tsx; in the installed package
// (no TypeScript sources) the built dist/index.js.
import { existsSync } from 'node:fs'
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const source = fileURLToPath(new URL('../index.ts', import.meta.url))
const built = fileURLToPath(new URL('../dist/index.js', import.meta.url))
const args = existsSync(source) ? ['--import', import.meta.resolve('tsx'), source] : [built]
const child = spawn(process.execPath, [...args, ...process.argv.slice(2)], { stdio: 'inherit' })
for (const sig of ['SIGTERM', 'SIGINT', 'SIGHUP']) process.on(sig, () => { child.kill(sig) })
child.on('exit', (code, signal) => { process.exit(code ?? (signal !== null ? 1 : 0)) })
