// email in the documented shape, end to end: an error logged by the running service is mailed through
// a real HTTP CONNECT proxy that demands the configured proxy_username/proxy_password, to the
// recipients of a comma-separated `on_error.to`, at a real SMTP server (smtp-server) with AUTH; the
// proxy password is encrypted in the file. A socks proxy or proxy credentials without a proxy are
// refused at start with their paths.
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { readFile, rm } from 'node:fs/promises'
import { startService, type StreamService } from '../../lib/collector/service.ts'
import { loadStreamConfig } from '../../lib/collector/config.ts'
import { createMemoryLogger } from '../../lib/logging/index.ts'
import { startTestSmtpServer, type TestSmtpServer } from '../../lib/mail/smtp-test-server.ts'
import { startConnectProxy, type ConnectProxy } from '../support/connect-proxy.ts'
import { freePort, makeWorkDir, writeConfig } from './support.ts'

describe('email.on_error through an authenticating SMTP proxy', () => {
  let dir: string
  let file: string
  let smtp: TestSmtpServer
  let proxy: ConnectProxy
  let svc: StreamService | undefined

  const yaml = (smtpLines: string, to = "'ops@acme.test, security@acme.test'"): string => `hr: {}
entra: {}
email:
  smtp:
${smtpLines}
  on_error:
    enabled: true
    send_interval: 0.05
    subject: SCIM Stream error
    to: ${to}
nats:
  server:
    host: 127.0.0.1
    port: PORT
log:
  console: false
`

  before(async () => {
    dir = await makeWorkDir()
    smtp = await startTestSmtpServer({ username: 'mailer@acme.test', password: 'mail-secret' })
    proxy = await startConnectProxy({ username: 'px user', password: 'px:p@ss' })
    file = await writeConfig(dir, yaml(`    host: 127.0.0.1
    port: ${smtp.port}
    username: mailer@acme.test
    password: mail-secret
    proxy: ${proxy.url}
    proxy_username: px user
    proxy_password: "px:p@ss"`).replace('PORT', String(await freePort())))
    svc = await startService({ configFile: file, log: createMemoryLogger(), runAtStart: false, watch: false, env: { ...process.env, SEED: 'email-e2e' } })
  })

  after(async () => {
    await svc?.stop()
    await smtp?.close()
    await proxy?.close()
    await rm(dir, { recursive: true, force: true })
  })

  it('an error is mailed to every recipient of the comma-separated list, through the proxy with its credentials', async () => {
    (svc as StreamService).log.error('collector exploded (e2e)')
    await smtp.waitFor(1, 15_000)
    const m = smtp.messages[0]
    assert.ok(m !== undefined)
    assert.deepEqual(m.rcptTo.sort(), ['ops@acme.test', 'security@acme.test'])
    assert.equal(m.user, 'mailer@acme.test')
    assert.match(m.text, /collector exploded \(e2e\)/)
    assert.ok(proxy.attempts.length >= 1)
    assert.deepEqual(proxy.attempts.map(a => [a.target, a.user, a.accepted]), proxy.attempts.map(() => [`127.0.0.1:${smtp.port}`, 'px user', true]))
    const text = await readFile(file, 'utf8')
    assert.ok(!text.includes('px:p@ss'), 'proxy_password encrypted in place')
  })

  it('a socks proxy, or proxy credentials without a proxy, are refused with their paths', async () => {
    const socks = await writeConfig(dir, yaml('    host: 127.0.0.1\n    port: 25\n    proxy: socks5://127.0.0.1:1080').replace('PORT', '4222'), 'socks.yaml')
    await assert.rejects(loadStreamConfig(socks, { encryptInPlace: false }), /email\.smtp\.proxy: must be an HTTP proxy URL/)
    const orphan = await writeConfig(dir, yaml('    host: 127.0.0.1\n    port: 25\n    proxy_username: u').replace('PORT', '4222'), 'orphan.yaml')
    await assert.rejects(loadStreamConfig(orphan, { encryptInPlace: false }), /email\.smtp\.proxy: proxy_username\/proxy_password need proxy/)
  })

  it('on_error.to as a list still works', async () => {
    const list = await writeConfig(dir, yaml('    host: 127.0.0.1\n    port: 25', '[ a@acme.test, b@acme.test ]').replace('PORT', '4222'), 'list.yaml')
    const { config } = await loadStreamConfig(list, { encryptInPlace: false })
    assert.deepEqual(config.email.on_error.to, ['a@acme.test', 'b@acme.test'])
  })
})
