// The npm package as a user gets it: `npm pack` (prepack builds dist/), the tarball holds the built
// JavaScript + .d.ts and nothing of tests/benchmarks/CI/TypeScript sources/Bun; installed into a
// fresh project it imports under plain node without starting anything, type-checks under strict +
// exactOptionalPropertyTypes, and a custom 30-line plugin compiled by the consumer serves /Users.
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync, spawn } from 'node:child_process'
import { mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync, existsSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

const root = new URL('../../', import.meta.url).pathname
const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc')
let dir: string
let files: string[] = []
let consumer: string

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'gw-pack-'))
  const pack = spawnSync('npm', ['pack', '--pack-destination', dir, '--json'], { cwd: root, encoding: 'utf8', env: { ...process.env, npm_config_loglevel: 'error' } })
  assert.equal(pack.status, 0, pack.stderr)
  const info = JSON.parse(pack.stdout.slice(pack.stdout.indexOf('['))) as Array<{ filename: string, files: Array<{ path: string }> }>
  files = info[0]?.files.map(f => f.path) ?? []
  consumer = join(dir, 'consumer')
  mkdirSync(join(consumer, 'node_modules'), { recursive: true })
  const untar = spawnSync('tar', ['xzf', join(dir, info[0]?.filename ?? ''), '-C', dir])
  assert.equal(untar.status, 0)
  spawnSync('mv', [join(dir, 'package'), join(consumer, 'node_modules', 'scimgateway-ts')])
  // the package's dependencies as npm would install them: the ones this checkout has
  for (const name of readdirSync(join(root, 'node_modules'))) {
    if (name === 'scimgateway-ts' || name === '.package-lock.json') continue
    symlinkSync(join(root, 'node_modules', name), join(consumer, 'node_modules', name))
  }
  writeFileSync(join(consumer, 'package.json'), JSON.stringify({ name: 'consumer', type: 'module', private: true }))
})
after(() => { rmSync(dir, { recursive: true, force: true }) })

describe('npm package', () => {
  it('ships built JS + .d.ts, the CLIs, sample configs and docs; no tests, bench, CI, .ts sources or Bun', () => {
    assert.ok(files.includes('dist/lib/index.js'))
    assert.ok(files.includes('dist/lib/index.d.ts'))
    assert.ok(files.includes('dist/lib/plugins/plugin-loki.js'))
    assert.ok(files.includes('bin/scim-stream.mjs'))
    assert.ok(files.includes('config/plugin-loki.json'))
    const bad = files.filter(f => /(^|\/)(test|bench|\.ci|scripts|node_modules)\//.test(f) || /\.test\.|(?<!\.d)\.ts$/.test(f) || /bun/i.test(f))
    assert.deepEqual(bad, [])
  })

  it('imports under plain node without starting a gateway', () => {
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', `
      import * as gw from 'scimgateway-ts'
      import { createLokiPlugin } from 'scimgateway-ts/plugins/loki'
      console.log(JSON.stringify({ gateway: typeof gw.ScimGateway, run: typeof gw.runGateway, define: typeof gw.definePlugin, loki: typeof createLokiPlugin, scim: typeof gw.scim.parseFilter }))
    `], { cwd: consumer, encoding: 'utf8', timeout: 20_000 })
    assert.equal(r.status, 0, r.stderr)
    assert.deepEqual(JSON.parse(r.stdout), { gateway: 'function', run: 'function', define: 'function', loki: 'function', scim: 'function' })
  })

  it('a consumer with strict + exactOptionalPropertyTypes compiles a custom plugin; it serves /Users under node', async () => {
    writeFileSync(join(consumer, 'tsconfig.json'), JSON.stringify({
      compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, exactOptionalPropertyTypes: true, noUncheckedIndexedAccess: true, skipLibCheck: true, outDir: 'out', types: ['node'] },
      include: ['*.ts']
    }))
    writeFileSync(join(consumer, 'my-plugin.ts'), `import { ScimGateway, auth, silentLogger, type ScimPlugin, type ScimResource } from 'scimgateway-ts'

const users = new Map<string, ScimResource>()
export const plugin: ScimPlugin = {
  name: 'mine',
  async getUsers (query) {
    const all = [...users.values()]
    const s = query.simple
    if (s === undefined) return { Resources: all }
    return { Resources: all.filter(u => String(u[s.attribute] ?? '').toLowerCase() === String(s.value).toLowerCase()) }
  },
  async createUser (user) {
    const id = \`u\${users.size + 1}\`
    const created: ScimResource = { ...user, id }
    users.set(id, created)
    return created
  },
  async deleteUser (id) { users.delete(id) }
}

const gw = new ScimGateway({
  plugin,
  options: { port: 0, localhostOnly: true, authenticators: [auth.basicAuthenticator([{ username: 'me', password: 'pw' }])] },
  log: silentLogger
})
await gw.start()
process.stdout.write(gw.url + '\\n')
process.on('SIGTERM', () => { void gw.stop().then(() => process.exit(0)) })
`)
    const check = spawnSync(process.execPath, [tsc, '-p', '.'], { cwd: consumer, encoding: 'utf8', timeout: 60_000 })
    assert.equal(check.status, 0, check.stdout + check.stderr)
    assert.ok(existsSync(join(consumer, 'out', 'my-plugin.js')))
    // without skipLibCheck, nothing in the package's own declarations is reported
    writeFileSync(join(consumer, 'tsconfig.strict-libs.json'), JSON.stringify({ extends: './tsconfig.json', compilerOptions: { skipLibCheck: false, noEmit: true } }))
    const libs = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.strict-libs.json'], { cwd: consumer, encoding: 'utf8', timeout: 60_000 })
    assert.doesNotMatch(libs.stdout, /scimgateway-ts/, libs.stdout)

    const child = spawn(process.execPath, [join(consumer, 'out', 'my-plugin.js')], { cwd: consumer, stdio: ['ignore', 'pipe', 'pipe'] })
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let out = ''
        child.stdout.on('data', (d: Buffer) => { out += d.toString(); if (out.includes('\n')) resolve(out.trim()) })
        child.on('exit', code => { reject(new Error(`consumer exited ${code}`)) })
        setTimeout(() => { reject(new Error('consumer did not start')) }, 20_000)
      })
      const auth = { authorization: 'Basic ' + Buffer.from('me:pw').toString('base64') }
      const created = await fetch(`${url}/Users`, { method: 'POST', headers: { ...auth, 'content-type': 'application/scim+json' }, body: JSON.stringify({ userName: 'packaged.user' }) })
      assert.equal(created.status, 201)
      const list = await (await fetch(`${url}/Users?filter=${encodeURIComponent('userName eq "packaged.user"')}`, { headers: auth })).json() as { totalResults: number }
      assert.equal(list.totalResults, 1)
      assert.equal((await fetch(`${url}/Users`)).status, 401)
    } finally {
      child.kill('SIGTERM')
    }
  })
})
