// Tests of scripts/config-secrets.ts run as a real process: encrypt/decrypt JSON and YAML in place,
// a wrong SEED exits 1 with the paths and no stack trace, bad usage exits 2.
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { copyFile, mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const script = fileURLToPath(new URL('../../scripts/config-secrets.ts', import.meta.url))
const fixture = (name: string): URL => new URL(`./fixtures/${name}`, import.meta.url)
let dir: string

function run (args: string[], seed: string): { status: number | null, stdout: string, stderr: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', script, ...args], { encoding: 'utf8', env: { ...process.env, SEED: seed } })
  return { status: r.status, stdout: r.stdout, stderr: r.stderr }
}

before(async () => { dir = await mkdtemp(join(tmpdir(), 'cfg-cli-')) })
after(async () => { await rm(dir, { recursive: true, force: true }) })

describe('scripts/config-secrets.ts', () => {
  for (const name of ['plugin-loki.json', 'stream.yaml']) {
    it(`encrypts and decrypts ${name} in place`, async () => {
      const file = join(dir, name)
      await copyFile(fixture(name), file)
      const original = await readFile(file, 'utf8')
      const enc = run(['encrypt', file], 'cli-seed')
      assert.equal(enc.status, 0, enc.stderr)
      assert.match(enc.stdout, /encrypted \d+ value\(s\)/)
      const encrypted = await readFile(file, 'utf8')
      assert.notEqual(encrypted, original)
      assert.match(encrypted, /\{enc:v1\}/)
      assert.match(run(['encrypt', file], 'cli-seed').stdout, /nothing to encrypt/)

      const wrong = run(['decrypt', file], 'other-seed')
      assert.equal(wrong.status, 1)
      assert.match(wrong.stderr, /^Invalid configuration in .* problems?\):\n {2}- \S+: cannot decrypt secret/)
      assert.doesNotMatch(wrong.stderr, /\n\s+at /)
      assert.equal(await readFile(file, 'utf8'), encrypted, 'a failed decrypt leaves the file alone')

      const dec = run(['decrypt', file], 'cli-seed')
      assert.equal(dec.status, 0, dec.stderr)
      const back = await readFile(file, 'utf8')
      if (name.endsWith('.json')) assert.equal(back, original)
      else assert.equal(back, original.replace("'tenant-a-pw'", '"tenant-a-pw"').replace('|\n        block-pw\n', '"block-pw\\n"\n').replace('plain-secret', '"plain-secret"'))
    })
  }

  it('prints usage and exits 2 on bad arguments', () => {
    const r = run(['rotate'], 'x')
    assert.equal(r.status, 2)
    assert.match(r.stderr, /^usage: /)
  })
})
