// index.ts starting several plugins side by side (SCIM_PLUGINS), each on its own port, in a child
// process; SIGTERM stops every gateway in start order through the one supervisor and exits 0.
// Without SCIM_PLUGINS only plugin-loki starts.
import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtemp, rm, writeFile, readFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createServer, type AddressInfo } from 'node:net'

const root = fileURLToPath(new URL('../..', import.meta.url))
const AUTH = 'Basic ' + Buffer.from('gwadmin:password').toString('base64')

async function freePort (): Promise<number> {
  const s = createServer()
  await new Promise<void>(resolve => { s.listen(0, '127.0.0.1', resolve) })
  const { port } = s.address() as AddressInfo
  await new Promise<void>(resolve => { s.close(() => { resolve() }) })
  return port
}

/** Polls until `url` answers (any status), or fails after ~30 s. */
async function waitFor (url: string, child: ChildProcess, out: () => string): Promise<Response> {
  for (let i = 0; i < 300; i++) {
    if (child.exitCode !== null) assert.fail(`index.ts exited early (${child.exitCode}):\n${out()}`)
    try { return await fetch(url, { headers: { authorization: AUTH } }) } catch { await new Promise(resolve => setTimeout(resolve, 100)) }
  }
  assert.fail(`${url} never answered:\n${out()}`)
}

async function exited (child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null) return child.exitCode
  return await new Promise(resolve => { child.once('exit', code => { resolve(code) }) })
}

describe('index.ts with several plugins in one process', () => {
  let dir = ''
  before(async () => { dir = await mkdtemp(join(tmpdir(), 'multi-gw-')) })
  after(async () => { await rm(dir, { recursive: true, force: true }) })

  const writeConfig = async (name: string, port: number, endpoint: unknown): Promise<void> => {
    const base = JSON.parse(await readFile(join(root, 'config', 'plugin-loki.json'), 'utf8')) as { scimgateway: Record<string, unknown> }
    base.scimgateway.port = port
    base.scimgateway.localhostonly = true
    base.scimgateway.log = { loglevel: { file: 'off', console: 'info' }, logDirectory: dir, customMasking: [] }
    await writeFile(join(dir, `plugin-${name}.json`), JSON.stringify({ ...base, endpoint }))
  }

  const run = (env: Record<string, string>): { child: ChildProcess, out: () => string } => {
    let text = ''
    const child = spawn(process.execPath, ['--import', 'tsx', 'index.ts'], { cwd: root, env: { ...process.env, SCIM_CONFIG_DIR: dir, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
    child.stdout?.on('data', (c: Buffer) => { text += c.toString() })
    child.stderr?.on('data', (c: Buffer) => { text += c.toString() })
    return { child, out: () => text }
  }

  it('SCIM_PLUGINS=loki,api serves both on their ports; SIGTERM stops loki then api and exits 0', async () => {
    const [lokiPort, apiPort] = [await freePort(), await freePort()]
    await writeConfig('loki', lokiPort, { persistence: false, demoData: true })
    await writeConfig('api', apiPort, { catalog: { Tesla: { maker: 'Tesla' } } })
    const { child, out } = run({ SCIM_PLUGINS: 'loki,api' })
    try {
      const users = await waitFor(`http://127.0.0.1:${lokiPort}/Users?filter=userName%20eq%20%22bjensen%22`, child, out)
      assert.equal(users.status, 200)
      assert.equal(((await users.json()) as { totalResults: number }).totalResults, 1)
      const pub = await waitFor(`http://127.0.0.1:${apiPort}/pub/api?model=Tesla`, child, out)
      assert.deepEqual(await pub.json(), { model: 'Tesla', maker: 'Tesla' })
      child.kill('SIGTERM')
      assert.equal(await exited(child), 0, out())
      const text = out()
      const a = text.indexOf('SIGTERM received: stopping plugin-loki')
      const b = text.indexOf('SIGTERM received: stopping plugin-api')
      assert.ok(a >= 0 && b > a, `both stopped, loki first:\n${text}`)
      await assert.rejects(fetch(`http://127.0.0.1:${apiPort}/pub/api`), 'the api port is closed')
      await assert.rejects(fetch(`http://127.0.0.1:${lokiPort}/Users`), 'the loki port is closed')
    } finally { if (child.exitCode === null) child.kill('SIGKILL') }
  })

  it('without SCIM_PLUGINS only plugin-loki starts; an unknown name is refused', async () => {
    const lokiPort = await freePort()
    await writeConfig('loki', lokiPort, { persistence: false })
    const { child, out } = run({ SCIM_PLUGINS: '' })
    try {
      assert.equal((await waitFor(`http://127.0.0.1:${lokiPort}/ServiceProviderConfig`, child, out)).status, 200)
      child.kill('SIGINT')
      assert.equal(await exited(child), 0, out())
      assert.ok(!out().includes('plugin-api'), out())
    } finally { if (child.exitCode === null) child.kill('SIGKILL') }
    const bad = run({ SCIM_PLUGINS: 'nosuch' })
    assert.equal(await exited(bad.child), 1)
    assert.match(bad.out(), /unknown plugin "nosuch"/)
  })
})
