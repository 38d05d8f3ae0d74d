// The scim-stream program as users run it (bin/scim-stream.mjs in a child process): -h/--help/help
// and --version print and exit 0 (also after a command), an unknown option is a usage error, init
// over an existing config says so (exit 1, no usage text), and `credentials` prints the address
// subscribers reach — nats.server.hosts[0], else a non-wildcard nats.server.host, else localhost with
// a hint; --host wins — with the effective port (environment overrides, both prefixes), never this
// machine's host name.
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { readFile, rm, writeFile } from 'node:fs/promises'
import { hostname } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { makeWorkDir } from './support.ts'

const BIN = fileURLToPath(new URL('../../bin/scim-stream.mjs', import.meta.url))

interface Run { code: number, out: string, err: string }

async function run (args: string[], env: Record<string, string> = {}): Promise<Run> {
  return await new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { env: { PATH: process.env.PATH ?? '', SEED: 'cli-process', ...env }, timeout: 60_000 }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof err.code === 'number' ? err.code : 1
      resolve({ code, out: stdout, err: stderr })
    })
  })
}

describe('scim-stream program (child process)', () => {
  let dir: string
  let file: string
  before(async () => {
    dir = await makeWorkDir()
    file = join(dir, 'scim-stream.yaml')
    const r = await run(['init', '--tenant', 'acme', '--collector', 'hr', '--config', file])
    assert.equal(r.code, 0, r.err)
  })
  after(async () => { await rm(dir, { recursive: true, force: true }) })

  it('-h, --help, help and "credentials --help" print the usage and exit 0', async () => {
    for (const args of [['-h'], ['--help'], ['help'], ['credentials', '--help'], ['init', '-h']]) {
      const r = await run(args)
      assert.equal(r.code, 0, `${args.join(' ')}: ${r.err}`)
      assert.match(r.out, /^Usage:/, args.join(' '))
      assert.equal(r.err, '')
    }
  })

  it('--version and -v print the package version and exit 0', async () => {
    const pkg = JSON.parse(await readFile(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
    for (const args of [['--version'], ['-v']]) {
      const r = await run(args)
      assert.equal(r.code, 0, r.err)
      assert.equal(r.out.trim(), `scim-stream ${pkg.version}`)
    }
  })

  it('an unknown short option is a usage error (exit 2)', async () => {
    const r = await run(['-x'])
    assert.equal(r.code, 2)
    assert.match(r.err, /unknown option -x[\s\S]*Usage:/)
  })

  it('init over an existing config says so: exit 1, no usage text, the file unchanged', async () => {
    const before = await readFile(file, 'utf8')
    const r = await run(['init', '--tenant', 'other', '--collector', 'entra', '--config', file])
    assert.equal(r.code, 1)
    assert.match(r.err, /exists already; nothing written/)
    assert.doesNotMatch(r.err, /Usage:/)
    assert.equal(await readFile(file, 'utf8'), before)
  })

  const baseUrl = (r: Run): string => (JSON.parse(r.out) as { scimgateway: { stream: { baseUrls: string[] } } }).scimgateway.stream.baseUrls[0] ?? ''

  it('credentials: the address subscribers reach and the effective port, not the machine name', async () => {
    const text = await readFile(file, 'utf8')
    const variant = async (name: string, server: string): Promise<string> => {
      const f = join(dir, name)
      await writeFile(f, text.replace(/nats:\n {2}server:\n/, `nats:\n  server:\n${server}`))
      return f
    }
    const cases: Array<{ server: string, env?: Record<string, string>, args?: string[], url: string, hint?: boolean }> = [
      { server: '    hosts: [nats.example.test]\n', url: 'nats://nats.example.test:9012' },
      { server: '    host: 10.20.30.40\n', url: 'nats://10.20.30.40:9012' },
      { server: '    host: 10.20.30.40\n', env: { SCIM_STREAM_NATS_SERVER_PORT: '4333' }, url: 'nats://10.20.30.40:4333' },
      { server: '    hosts: [nats.example.test]\n', env: { 'SCIM-STREAM_NATS_SERVER_PORT': '4444' }, url: 'nats://nats.example.test:4444' },
      { server: '    host: 10.20.30.40\n', args: ['--host', 'stream.example.test'], url: 'nats://stream.example.test:9012' },
      { server: '', url: 'nats://localhost:9012', hint: true }
    ]
    let i = 0
    for (const c of cases) {
      const f = await variant(`v${++i}.yaml`, c.server)
      const r = await run(['credentials', '--tenant', 'acme', '--type', 'hr', '--config', f, ...(c.args ?? [])], c.env)
      assert.equal(r.code, 0, r.err)
      assert.equal(baseUrl(r), c.url, JSON.stringify(c))
      assert.ok(!r.out.includes(`//${hostname()}:`) || hostname() === 'localhost')
      if (c.hint === true) assert.match(r.err, /set nats\.server\.hosts/i)
      else assert.equal(r.err, '')
    }
  })
})
