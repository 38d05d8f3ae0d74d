// End-to-end tests of the mailer against a real smtp-server on a free port with AUTH.
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { createMailer } from './mailer.ts'
import { startTestSmtpServer, type TestSmtpServer } from './smtp-test-server.ts'
import { createMemoryLogger } from '../logging/memory.ts'

const USER = 'gwmailer'
const PASS = 'Mail-Pa55!'
let smtp: TestSmtpServer
let tlsSmtp: TestSmtpServer

before(async () => {
  smtp = await startTestSmtpServer({ username: USER, password: PASS })
  tlsSmtp = await startTestSmtpServer({ username: USER, password: PASS, starttls: true })
})
after(async () => {
  await smtp.close()
  await tlsSmtp.close()
})

test('sends an authenticated mail with the right headers and body', async () => {
  const log = createMemoryLogger()
  const mailer = createMailer({ smtp: { host: '127.0.0.1', port: smtp.port, username: USER, password: PASS }, from: '"SCIM Gateway" <gw@example.com>', log })
  const before = smtp.messages.length
  await mailer.send({ to: ['ops@example.com', 'dev@example.com'], cc: ['boss@example.com'], subject: 'Gateway notice', text: 'Line one\nLine two æøå', html: '<p>Line one</p>' })
  mailer.close()
  assert.equal(smtp.messages.length, before + 1)
  const m = smtp.messages.at(-1)
  assert.ok(m !== undefined)
  assert.equal(m.user, USER)
  assert.equal(m.from, 'gw@example.com')
  assert.deepEqual(m.rcptTo, ['ops@example.com', 'dev@example.com', 'boss@example.com'])
  assert.equal(m.headers.subject, 'Gateway notice')
  assert.equal(m.headers.from, 'SCIM Gateway <gw@example.com>')
  assert.equal(m.headers.to, 'ops@example.com, dev@example.com')
  assert.equal(m.headers.cc, 'boss@example.com')
  assert.equal(m.text, 'Line one\nLine two æøå')
  assert.equal(m.html, '<p>Line one</p>')
  assert.ok(log.lines.some(l => l.level === 'debug' && l.message === 'mail sent'))
})

test('wrong password: send rejects and the failure is logged without the password', async () => {
  const log = createMemoryLogger()
  const mailer = createMailer({ smtp: { host: '127.0.0.1', port: smtp.port, username: USER, password: 'wrong-pw' }, from: 'gw@example.com', log })
  await assert.rejects(mailer.send({ to: ['ops@example.com'], subject: 's', text: 't' }), /auth|Invalid/i)
  mailer.close()
  const errors = log.lines.filter(l => l.level === 'error')
  assert.equal(errors.length, 1)
  assert.match(errors[0]?.message ?? '', /^sending mail failed/)
  assert.ok(!JSON.stringify(log.lines).includes('wrong-pw'))
})

test('STARTTLS with a self-signed certificate fails by default and works with rejectUnauthorized false', async () => {
  const log = createMemoryLogger()
  const strict = createMailer({ smtp: { host: '127.0.0.1', port: tlsSmtp.port, username: USER, password: PASS }, from: 'gw@example.com', log })
  await assert.rejects(strict.send({ to: ['ops@example.com'], subject: 's', text: 't' }))
  strict.close()
  const lax = createMailer({ smtp: { host: '127.0.0.1', port: tlsSmtp.port, username: USER, password: PASS, tls: { rejectUnauthorized: false } }, from: 'gw@example.com', log })
  await lax.send({ to: ['ops@example.com'], subject: 'over tls', text: 't' })
  lax.close()
  assert.equal(tlsSmtp.messages.at(-1)?.headers.subject, 'over tls')
})

test('refuses to send without recipients', async () => {
  const mailer = createMailer({ smtp: { host: '127.0.0.1', port: smtp.port }, from: 'gw@example.com', log: createMemoryLogger() })
  await assert.rejects(mailer.send({ to: [], subject: 's', text: 't' }), /no recipients/)
  mailer.close()
})
