// `npm run build:binary` makes single executables with Bun; the gateway binary, started from another
// directory, reads the config directory beside it (or SCIM_CONFIG_DIR) and serves /Users.
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { spawn, spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

const root = new URL('../../', import.meta.url).pathname
const bunFound = [join(root, 'node_modules', '.bin', 'bun'), join(root, 'node_modules', '@oven', 'bun-linux-x64', 'bin', 'bun')].some(p => existsSync(p))
let dir: string

async function freePort (): Promise<number> {
  return await new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port
      s.close(() => { resolve(port) })
    })
  })
}

function config (port: number, password: string): string {
  return JSON.stringify({ scimgateway: { port, localhostonly: true, log: { loglevel: { console: 'off', file: 'off' } }, auth: { basic: [{ username: 'gwadmin', password }] } }, endpoint: { persistence: false, demoData: true } })
}

async function serveOnce (binary: string, env: Record<string, string>, url: string, password: string): Promise<{ status: number, body: { totalResults?: number } }> {
  const child = spawn(binary, [], { cwd: '/', env: { PATH: process.env.PATH ?? '', SEED: 'binary-test', ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
  let stderr = ''
  child.stderr.on('data', (d: Buffer) => { stderr += d.toString() })
  try {
    const deadline = Date.now() + 20_000
    for (;;) {
      try {
        const r = await fetch(url, { headers: { authorization: 'Basic ' + Buffer.from(`gwadmin:${password}`).toString('base64') } })
        return { status: r.status, body: await r.json() as { totalResults?: number } }
      } catch (e) {
        if (Date.now() > deadline || child.exitCode !== null) throw new Error(`binary did not serve: ${stderr}`, { cause: e })
      }
      await new Promise(resolve => setTimeout(resolve, 100))
    }
  } finally {
    child.kill('SIGTERM')
  }
}

describe('Bun single binary', { skip: bunFound ? false : 'Bun is not installed (devDependency bun)' }, () => {
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'gw-binary-'))
    const r = spawnSync(process.execPath, [join(root, 'scripts', 'build-binary.mjs'), '--outdir', join(dir, 'app')], { cwd: root, encoding: 'utf8', timeout: 120_000 })
    assert.equal(r.status, 0, r.stdout + r.stderr)
  })
  after(() => { rmSync(dir, { recursive: true, force: true }) })

  it('the gateway binary reads config/ beside it, wherever it is started from', async () => {
    const port = await freePort()
    mkdirSync(join(dir, 'app', 'config'))
    writeFileSync(join(dir, 'app', 'config', 'plugin-loki.json'), config(port, 'beside-pw'))
    const r = await serveOnce(join(dir, 'app', 'scimgateway'), {}, `http://127.0.0.1:${port}/Users?filter=${encodeURIComponent('userName eq "bjensen"')}`, 'beside-pw')
    assert.equal(r.status, 200)
    assert.equal(r.body.totalResults, 1)
    // the cleartext password was encrypted in place, as with node
    assert.doesNotMatch(readFileSync(join(dir, 'app', 'config', 'plugin-loki.json'), 'utf8'), /beside-pw/)
  })

  it('SCIM_CONFIG_DIR points the binary elsewhere', async () => {
    const port = await freePort()
    mkdirSync(join(dir, 'elsewhere'))
    writeFileSync(join(dir, 'elsewhere', 'plugin-loki.json'), config(port, 'other-pw'))
    const r = await serveOnce(join(dir, 'app', 'scimgateway'), { SCIM_CONFIG_DIR: join(dir, 'elsewhere') }, `http://127.0.0.1:${port}/Users`, 'other-pw')
    assert.equal(r.status, 200)
    assert.equal(r.body.totalResults, 2)
  })

  it('the scim-stream binary runs its CLI', () => {
    const r = spawnSync(join(dir, 'app', 'scim-stream'), ['--help'], { cwd: '/', encoding: 'utf8', timeout: 20_000 })
    assert.match(r.stdout + r.stderr, /scim-stream init --tenant/)
  })
})
