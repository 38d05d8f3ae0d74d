// Tests of the TLS material: a CA that signs a server certificate with the required SANs, reuse of
// existing files, and re-issue of only the server certificate when a host name is added.
import { describe, it, after } from 'node:test'
import assert from 'node:assert/strict'
import { X509Certificate } from 'node:crypto'
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ensureTlsFiles } from './index.ts'

describe('TLS material', () => {
  const dirs: string[] = []
  after(async () => { for (const d of dirs) await rm(d, { recursive: true, force: true }) })
  const newDir = async (): Promise<string> => {
    const d = await mkdtemp(join(tmpdir(), 'scim-tls-'))
    dirs.push(d)
    return join(d, 'certs')
  }

  it('creates a CA and a server certificate for localhost, 127.0.0.1, ::1 and configured hosts', async () => {
    const files = await ensureTlsFiles(await newDir(), { hosts: ['nats.example.com', '10.1.2.3'] })
    const ca = new X509Certificate(await readFile(files.caFile))
    const cert = new X509Certificate(await readFile(files.certFile))
    assert.equal(ca.ca, true)
    assert.equal(cert.ca, false)
    assert.ok(cert.checkIssued(ca))
    assert.ok(cert.verify(ca.publicKey))
    const san = cert.subjectAltName ?? ''
    for (const name of ['DNS:localhost', 'IP Address:127.0.0.1', 'DNS:nats.example.com', 'IP Address:10.1.2.3']) {
      assert.ok(san.includes(name), `${name} in ${san}`)
    }
    assert.ok(cert.checkIP('::1') !== undefined)
    assert.equal((await stat(files.keyFile)).mode & 0o777, 0o600)
    assert.equal((await stat(files.caKeyFile)).mode & 0o777, 0o600)
  })

  it('reuses existing files and re-issues only the server certificate for a new host', async () => {
    const dir = await newDir()
    const first = await ensureTlsFiles(dir)
    const ca1 = await readFile(first.caFile, 'utf8')
    const cert1 = await readFile(first.certFile, 'utf8')
    await ensureTlsFiles(dir)
    assert.equal(await readFile(first.certFile, 'utf8'), cert1)
    await ensureTlsFiles(dir, { hosts: ['added.example.com'] })
    assert.equal(await readFile(first.caFile, 'utf8'), ca1)
    const cert2 = new X509Certificate(await readFile(first.certFile))
    assert.ok(cert2.checkHost('added.example.com') !== undefined)
    assert.ok(cert2.checkIssued(new X509Certificate(ca1)))
  })
})
