// The same gateway app on Bun's server: index.ts-like startup under the Bun runtime (the optional
// dependency @oven/bun-linux-x64 ships the binary). Skipped, saying why, where Bun is not installed.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'

const root = new URL('../../', import.meta.url).pathname
const bun = `${root}node_modules/@oven/bun-linux-x64/bin/bun`
const script = `
import { ScimGateway } from './lib/core/gateway.ts'
import { createLokiPlugin } from './lib/plugins/plugin-loki.ts'
import { basicAuthenticator } from './lib/auth/basic.ts'
import { silentLogger } from './lib/logging/types.ts'
const gw = new ScimGateway({ plugin: createLokiPlugin({ persistence: 'memory', demoData: true }), options: { port: 0, localhostOnly: true, authenticators: [basicAuthenticator([{ username: 'a', password: 'b' }])] }, log: silentLogger })
await gw.start()
const auth = { authorization: 'Basic ' + btoa('a:b') }
const list = await (await fetch(gw.url + '/Users?filter=userName eq "bjensen"', { headers: auth })).json()
const created = await fetch(gw.url + '/Users', { method: 'POST', headers: { ...auth, 'content-type': 'application/scim+json' }, body: JSON.stringify({ userName: 'bunny' }) })
const unauth = await fetch(gw.url + '/Users')
console.log(JSON.stringify({ runtime: typeof Bun, total: list.totalResults, created: created.status, unauth: unauth.status }))
await gw.stop()
`

test('the gateway runs on Bun with Bun.serve', { skip: existsSync(bun) ? false : 'Bun is not installed (optional dependency @oven/bun-linux-x64 missing)' }, async () => {
  const out = await new Promise<string>((resolve, reject) => {
    const child = spawn(bun, ['-e', script], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString() })
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString() })
    const timer = setTimeout(() => { child.kill('SIGKILL') }, 30_000)
    child.on('exit', (code) => { clearTimeout(timer); if (code === 0) resolve(stdout); else reject(new Error(`bun exited ${code}: ${stderr}`)) })
  })
  const r = JSON.parse(out.trim().split('\n').pop() ?? '{}') as Record<string, unknown>
  assert.deepEqual(r, { runtime: 'object', total: 1, created: 201, unauth: 401 })
})
