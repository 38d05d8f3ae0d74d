// Tests of startBuiltinNats as the SCIM Stream service uses it: encryption at rest, and a second
// start from the same directory reusing credentials, TLS files, tenants and stored messages.
import { describe, it, after } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { jetstream, jetstreamManager } from '@nats-io/jetstream'
import { silentLogger } from '../../logging/types.ts'
import { startBuiltinNats, connectAs } from './index.ts'

describe('startBuiltinNats', () => {
  const dirs: string[] = []
  after(async () => { for (const d of dirs) await rm(d, { recursive: true, force: true }) })

  it('encrypts the store and comes back from the same directory with the same credentials', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'scim-builtin-'))
    dirs.push(dir)
    const opts = {
      dir, log: silentLogger, host: '127.0.0.1', port: -1, tenants: ['acme'],
      jetstream: { encryptionKey: 'test-only-key-0123456789', maxFileStore: 256 * 1024 * 1024 }
    }
    const first = await startBuiltinNats(opts)
    const creds = await first.issueUser('acme', 'publisher', 'svc')
    const caBefore = await readFile(first.tls.caFile, 'utf8')
    let nc = await connectAs(first.url, creds, first.tls.caFile, { reconnect: false })
    const ack = await jetstream(nc).publish('HR.SAP.USER', 'plaintext-marker-7731', { msgID: 'enc-1' })
    await nc.close()
    await first.stop()

    // nothing in the store holds the payload in clear text
    const blocks = await findFiles(join(dir, 'jetstream'))
    assert.ok(blocks.length > 0)
    for (const f of blocks) assert.equal((await readFile(f)).includes('plaintext-marker-7731'), false, f)

    const second = await startBuiltinNats({ ...opts, tenants: [] })
    try {
      assert.deepEqual(second.tenants(), ['acme'])
      assert.equal(await readFile(second.tls.caFile, 'utf8'), caBefore)
      nc = await connectAs(second.url, creds, second.tls.caFile, { reconnect: false }) // old user still valid
      const msg = await (await jetstreamManager(nc)).streams.getMessage('acme', { seq: ack.seq })
      assert.equal(msg?.string(), 'plaintext-marker-7731')
      await nc.close()
    } finally {
      await second.stop()
    }
  })
})

async function findFiles (dir: string): Promise<string[]> {
  const out: string[] = []
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name)
    if (e.isDirectory()) out.push(...await findFiles(p))
    else out.push(p)
  }
  return out
}
