// The real entry point (index.ts) as a child process with its own config directory: serves SCIM with
// the config's credentials, encrypts the cleartext password in place, and a broken config is a clear
// list of every problem with its path and exit code 1.
import { after, test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

const root = new URL('../../', import.meta.url).pathname
const dirs: string[] = []
after(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }) })

async function freePort (): Promise<number> {
  return await new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port
      s.close(() => { resolve(port) })
    })
  })
}

function configDir (config: unknown): string {
  const dir = mkdtempSync(join(tmpdir(), 'gw-run-'))
  dirs.push(dir)
  writeFileSync(join(dir, 'plugin-loki.json'), JSON.stringify(config, null, 2))
  return dir
}

function start (dir: string, env: Record<string, string> = {}): { done: Promise<{ code: number | null, stderr: string, stdout: string }>, kill: () => void } {
  const child = spawn(process.execPath, ['--import', 'tsx', 'index.ts'], { cwd: root, env: { ...process.env, SCIM_CONFIG_DIR: dir, SEED: 'test-seed', ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
  let stderr = ''
  let stdout = ''
  child.stderr.on('data', (d: Buffer) => { stderr += d.toString() })
  child.stdout.on('data', (d: Buffer) => { stdout += d.toString() })
  const done = new Promise<{ code: number | null, stderr: string, stdout: string }>(resolve => { child.on('exit', code => { resolve({ code, stderr, stdout }) }) })
  return { done, kill: () => { child.kill('SIGTERM') } }
}

async function waitFor (url: string, init: RequestInit, deadlineMs = 20_000): Promise<Response> {
  const end = Date.now() + deadlineMs
  for (;;) {
    try { return await fetch(url, init) } catch (e) { if (Date.now() > end) throw e }
    await new Promise(resolve => setTimeout(resolve, 100))
  }
}

test('index.ts serves plugin-loki from SCIM_CONFIG_DIR on PORT and encrypts the cleartext password', async () => {
  const port = await freePort()
  const dir = configDir({
    scimgateway: { port: 1, log: { loglevel: { console: 'warn', file: 'off' } }, auth: { basic: [{ username: 'admin', password: 'Very$ecret1' }] } },
    endpoint: { persistence: false, demoData: true }
  })
  const p = start(dir, { PORT: String(port), SEED: '' })
  try {
    const auth = 'Basic ' + Buffer.from('admin:Very$ecret1').toString('base64')
    const r = await waitFor(`http://127.0.0.1:${port}/Users?filter=userName eq "bjensen"`, { headers: { authorization: auth } })
    assert.equal(r.status, 200)
    assert.equal(((await r.json()) as { totalResults: number }).totalResults, 1)
    assert.equal((await fetch(`http://127.0.0.1:${port}/Users`)).status, 401)
    const onDisk = readFileSync(join(dir, 'plugin-loki.json'), 'utf8')
    assert.doesNotMatch(onDisk, /Very\$ecret1/)
    assert.match(onDisk, /\{enc:v1\}/)
  } finally {
    p.kill()
    const done = await p.done
    assert.equal(done.code, 0, 'clean exit on SIGTERM')
    // the rewrite is not silent: without SEED a loud warning names the file and the key's origin
    assert.match(done.stdout + done.stderr, /SEED is not set: the secrets in .*plugin-loki\.json are encrypted with a key derived from this machine/)
  }
})

test('a broken config lists every problem with its path and exits 1', async () => {
  const dir = configDir({
    scimgateway: { port: 'abc', localhostOnly: true, scim: { version: '3.0' }, auth: { basic: [{ username: 'x' }] } },
    endpoint: {}
  })
  const { code, stderr } = await start(dir).done
  assert.equal(code, 1)
  assert.match(stderr, /scimgateway\.port/)
  assert.match(stderr, /scimgateway\.localhostOnly.*did you mean "localhostonly"/)
  assert.match(stderr, /scimgateway\.scim\.version/)
  assert.match(stderr, /scimgateway\.auth\.basic\[0\]\.password/)
  assert.doesNotMatch(stderr, /at .*\.ts:\d+/, 'no stack trace')
})
