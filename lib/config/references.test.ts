// Tests of process.env / process.file / process.text references: resolution, relative paths,
// and every unresolvable reference reported with its path.
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { isReference, parseReference, resolveReferences } from './references.ts'

let dir: string

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cfg-refs-'))
  await mkdir(join(dir, 'secrets'))
  await writeFile(join(dir, 'secrets', 'vault.json'), JSON.stringify({
    'plugin-loki.scimgateway.auth.basic[0].password': 'from-file',
    'endpoint.port': 8443,
    'plugin-other.endpoint.password': 'not-mine'
  }))
  await writeFile(join(dir, 'token.txt'), '  text-token\n\n')
  await writeFile(join(dir, 'broken.json'), '{ nope')
})
after(async () => { await rm(dir, { recursive: true, force: true }) })

describe('references', () => {
  it('recognises the three kinds', () => {
    assert.deepEqual(parseReference('process.env.PW'), { kind: 'env', target: 'PW' })
    assert.deepEqual(parseReference('process.file./run/s.json'), { kind: 'file', target: '/run/s.json' })
    assert.deepEqual(parseReference('process.text.pw.txt'), { kind: 'text', target: 'pw.txt' })
    assert.equal(isReference('process.environment'), false)
    assert.equal(isReference('password'), false)
  })

  it('resolves env, file (keyed by <plugin>.<path>, relative to the config dir) and text', async () => {
    const input = {
      scimgateway: { auth: { basic: [{ username: 'process.env.GW_USER', password: 'process.file.secrets/vault.json' }] } },
      endpoint: { port: 'process.file.' + join(dir, 'secrets', 'vault.json'), token: 'process.text.token.txt', plain: 'x', n: 1 }
    }
    const r = await resolveReferences(input, { baseDir: dir, env: { GW_USER: 'admin' }, keyPrefix: 'plugin-loki' })
    assert.deepEqual(r.problems, [])
    assert.deepEqual(r.value, {
      scimgateway: { auth: { basic: [{ username: 'admin', password: 'from-file' }] } },
      endpoint: { port: 8443, token: 'text-token', plain: 'x', n: 1 }
    })
    assert.equal(input.endpoint.token, 'process.text.token.txt', 'input is not modified')
  })

  it('reports every missing reference with its path', async () => {
    const input = {
      a: 'process.env.MISSING',
      b: ['process.text.nope.txt'],
      c: { password: 'process.file.secrets/vault.json' },
      d: 'process.file.broken.json',
      e: 'process.env.BAD-NAME',
      f: 'process.file.secrets/vault.json'
    }
    const r = await resolveReferences(input, { baseDir: dir, env: {}, keyPrefix: 'plugin-loki' })
    assert.deepEqual(r.problems.map(p => p.path), ['a', 'b[0]', 'c.password', 'd', 'e', 'f'])
    assert.equal(r.problems[0]?.message, 'environment variable MISSING is not set')
    assert.match(r.problems[1]?.message ?? '', /cannot read text file nope\.txt \(ENOENT\)/)
    assert.equal(r.problems[2]?.message, 'secrets file secrets/vault.json has no key "plugin-loki.c.password"')
    assert.match(r.problems[3]?.message ?? '', /secrets file broken\.json is not valid JSON/)
    assert.match(r.problems[4]?.message ?? '', /invalid environment variable name/)
  })
})
