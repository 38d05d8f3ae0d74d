// Gateway e-mail from the documented config shapes, through runGateway as index.ts uses it:
// error-level log lines are mailed (SMTP to a real smtp-server; OAuth through the Graph emulator's
// sendMail), plugins send mail through `sendMail` from their factory env, and settings that cannot
// work stop the start with their paths.
import { after, afterEach, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { runGateway, type FactoryEnv } from '../../lib/launcher/index.ts'
import type { ScimGateway } from '../../lib/core/gateway.ts'
import { isConfigError } from '../../lib/config/index.ts'
import type { ScimPlugin } from '../../lib/plugins/types.ts'
import { startTestSmtpServer } from '../../lib/mail/smtp-test-server.ts'
import { startGraphEmulator } from '../support/graph-emulator.ts'

const dirs: string[] = []
const running: ScimGateway[] = []
const savedEnv = { dir: process.env.SCIM_CONFIG_DIR, port: process.env.PORT, seed: process.env.SEED }
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true })
  process.env.SCIM_CONFIG_DIR = savedEnv.dir
  process.env.PORT = savedEnv.port
  process.env.SEED = savedEnv.seed
})
afterEach(async () => { for (const g of running.splice(0)) await g.stop() })

async function freePort (): Promise<number> {
  return await new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port
      s.close(() => { resolve(port) })
    })
  })
}

/** A plugin whose getUsers fails with a plain error (logged at error level → mailed). */
function failingPlugin (): ScimPlugin {
  return { name: 'failing', async getUsers () { throw new Error('backend exploded: password=Hunter2') } }
}

async function start (name: string, scimgateway: Record<string, unknown>): Promise<{ gw: ScimGateway, env: FactoryEnv }> {
  const dir = mkdtempSync(join(tmpdir(), 'gw-mail-'))
  dirs.push(dir)
  writeFileSync(join(dir, `plugin-${name}.json`), JSON.stringify({
    scimgateway: { log: { loglevel: { console: 'off', file: 'off' }, logDirectory: join(dir, 'logs') }, auth: { basic: [{ username: 'gwadmin', password: 'password' }] }, ...scimgateway },
    endpoint: {}
  }))
  process.env.SCIM_CONFIG_DIR = dir
  process.env.PORT = String(await freePort())
  process.env.SEED = 'mail-test-seed'
  let env: FactoryEnv | undefined
  const gw = await runGateway(name, (_endpoint, e) => { env = e; return failingPlugin() }, { exitOnConfigError: false })
  running.push(gw)
  assert.ok(env !== undefined)
  return { gw, env }
}

const ADMIN = { authorization: 'Basic ' + Buffer.from('gwadmin:password').toString('base64') }

describe('gateway e-mail', () => {
  it('6.x shape, SMTP: an error is mailed (masked); plugins and embedders send with sendMail', async () => {
    const smtp = await startTestSmtpServer({ username: 'mailer', password: 'smtp-pw' })
    try {
      const { gw, env } = await start('mailsmtp', {
        email: {
          auth: { type: 'smtp', options: { host: '127.0.0.1', port: smtp.port, username: 'mailer', password: 'smtp-pw' } },
          emailOnError: { enabled: true, from: 'gateway@example.test', to: 'ops@example.test, oncall@example.test', subject: 'GW error', sendInterval: 15 }
        }
      })
      assert.equal((await fetch(`${gw.url}/Users`, { headers: ADMIN })).status, 500)
      await smtp.waitFor(1, 10_000)
      const m = smtp.messages[0]
      assert.ok(m !== undefined)
      assert.deepEqual(m.rcptTo.sort(), ['oncall@example.test', 'ops@example.test'])
      assert.equal(m.headers.subject, 'GW error')
      assert.match(m.text, /backend exploded/)
      assert.doesNotMatch(m.text, /Hunter2/)

      await env.sendMail({ to: ['report@example.test'], subject: 'from the plugin', text: 'plugin says hi' })
      await gw.sendMail({ to: ['report@example.test'], subject: 'from the embedder', text: 'embedder says hi' })
      await smtp.waitFor(3, 10_000)
      assert.deepEqual(smtp.messages.slice(1).map(x => x.headers.subject), ['from the plugin', 'from the embedder'])
      assert.equal(smtp.messages[1]?.from, 'gateway@example.test')
    } finally { await smtp.close() }
  })

  it('4.x shape (top-level emailOnError.smtp) mails errors', async () => {
    const smtp = await startTestSmtpServer({ username: 'legacy', password: 'legacy-pw' })
    try {
      const { gw } = await start('mailv4', {
        emailOnError: { smtp: { enabled: true, host: '127.0.0.1', port: smtp.port, authenticate: true, username: 'legacy', password: 'legacy-pw', sendInterval: 15, to: 'ops@example.test' } }
      })
      assert.equal((await fetch(`${gw.url}/Users`, { headers: ADMIN })).status, 500)
      await smtp.waitFor(1, 10_000)
      assert.deepEqual(smtp.messages[0]?.rcptTo, ['ops@example.test'])
      assert.equal(smtp.messages[0]?.user, 'legacy')
    } finally { await smtp.close() }
  })

  it('oauth: Microsoft Graph sendMail with client credentials', async () => {
    const graph = await startGraphEmulator({ clients: [{ client_id: 'mail-app', client_secret: 'mail-secret' }], users: [{ id: 'mbx-1', userPrincipalName: 'noreply@contoso.test', mail: 'noreply@contoso.test' }] })
    try {
      const { gw, env } = await start('mailgraph', {
        email: {
          auth: { type: 'oauth', options: { azureTenantId: graph.tenantId, clientId: 'mail-app', clientSecret: 'mail-secret', authorityUrl: graph.url, graphUrl: graph.url } },
          emailOnError: { enabled: true, from: 'noreply@contoso.test', to: ['ops@contoso.test'], cc: 'audit@contoso.test', subject: 'GW error (Graph)' }
        }
      })
      assert.equal((await fetch(`${gw.url}/Users`, { headers: ADMIN })).status, 500)
      const deadline = Date.now() + 10_000
      while (graph.sentMail.length === 0 && Date.now() < deadline) await new Promise(resolve => setTimeout(resolve, 50))
      const sent = graph.sentMail[0]
      assert.ok(sent !== undefined, 'no mail reached Graph')
      assert.equal(sent.mailbox, 'mbx-1')
      assert.equal(sent.message.subject, 'GW error (Graph)')
      assert.deepEqual(sent.message.toRecipients, [{ emailAddress: { address: 'ops@contoso.test' } }])
      assert.deepEqual(sent.message.ccRecipients, [{ emailAddress: { address: 'audit@contoso.test' } }])
      assert.match(JSON.stringify(sent.message.body), /backend exploded/)
      await env.sendMail({ to: ['x@contoso.test'], subject: 'plugin mail', text: 'hi' })
      assert.equal(graph.sentMail.length, 2)
      assert.equal(graph.tokenRequests, 1, 'the token is cached')
    } finally { await graph.stop() }
  })

  it('settings that cannot work are refused at start with their paths', async () => {
    await assert.rejects(start('mailbad1', { email: { auth: { type: 'oauth', options: { azureTenantId: 't', clientId: 'c' } }, emailOnError: { enabled: true, from: 'a@b.c', to: 'x@y.z' } } }), (err: unknown) => {
      assert.ok(isConfigError(err))
      assert.match(err.message, /scimgateway\.email\.auth: type "oauth" .* needs options\.clientSecret/)
      return true
    })
    await assert.rejects(start('mailbad2', { email: { auth: { type: 'oauth', options: { serviceAccountKeyFile: 'google.json' } }, emailOnError: { enabled: true, to: 'x@y.z' } } }), /serviceAccountKeyFile: Google Workspace/)
    await assert.rejects(start('mailbad3', { email: { auth: { type: 'smtp', options: { host: 'smtp.example.test' } }, emailOnError: { enabled: true } } }), /scimgateway\.email\.emailOnError\.to: error mail is enabled but has no recipients/)
    await assert.rejects(start('mailbad4', { email: { auth: { type: 'smtp', options: { host: 'h', smtpHots: 'typo' } } } }), /scimgateway\.email\.auth\.options\.smtpHots/)
  })

  it('without mail settings, sendMail says what is missing', async () => {
    const { env } = await start('nomail', {})
    await assert.rejects(env.sendMail({ to: ['a@b.c'], subject: 's', text: 't' }), /no mail is configured \(scimgateway\.email\)/)
  })
})
