// Tests of the throttled error notifier, mailing through a real smtp-server on a free port.
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { createErrorNotifier } from './notifier.ts'
import { createMailer, type Mailer, type MailMessage } from './mailer.ts'
import { startTestSmtpServer, type TestSmtpServer } from './smtp-test-server.ts'
import { createMemoryLogger } from '../logging/memory.ts'

const USER = 'notifier'
const PASS = 'N0tify-pw'
let smtp: TestSmtpServer
let mailer: Mailer

before(async () => {
  smtp = await startTestSmtpServer({ username: USER, password: PASS })
  mailer = createMailer({ smtp: { host: '127.0.0.1', port: smtp.port, username: USER, password: PASS }, from: 'gw@example.com', log: createMemoryLogger() })
})
after(async () => {
  mailer.close()
  await smtp.close()
})

/** A clock the test moves by hand. */
function fakeClock (start = 1_700_000_000_000): { now: () => number, advance: (ms: number) => void } {
  let t = start
  return { now: () => t, advance: (ms) => { t += ms } }
}

test('first error mails at once, the next ones are batched into one mail when the interval ends', async () => {
  const clock = fakeClock()
  const subject = `errors ${Date.now()}-a`
  const n = createErrorNotifier({ mailer, to: ['ops@example.com'], subject, sendInterval: 0.01, enabled: true, now: clock.now })
  const mine = (): typeof smtp.messages => smtp.messages.filter(m => m.headers.subject === subject)
  for (let i = 1; i <= 5; i++) {
    n.notify(`error number ${i}`, { requestId: `r${i}` })
    clock.advance(10)
  }
  await smtp.waitFor(smtp.messages.length + 1)
  assert.equal(mine().length, 1)
  const first = mine()[0]?.text ?? ''
  assert.match(first, /^1 error since the last notification/)
  assert.ok(first.includes('error number 1') && first.includes('"requestId":"r1"'))
  assert.ok(!first.includes('error number 2'))
  // the batch goes out when the (real) 0.6 s timer fires
  await waitUntil(() => mine().length === 2, 5000)
  const second = mine()[1]?.text ?? ''
  assert.match(second, /^4 errors since the last notification/)
  for (let i = 2; i <= 5; i++) assert.ok(second.includes(`error number ${i}`), `missing error ${i}`)
  assert.ok(!second.includes('error number 1'))
  await n.close()
  assert.equal(mine().length, 2)
})

test('after a quiet interval the next error is mailed at once again', async () => {
  const clock = fakeClock()
  const sent: MailMessage[] = []
  const recorder: Mailer = { send: async (m) => { sent.push(m) }, close () {} }
  const n = createErrorNotifier({ mailer: recorder, to: ['ops@example.com'], subject: 's', sendInterval: 15, enabled: true, now: clock.now })
  n.notify('one')
  await Promise.resolve()
  clock.advance(16 * 60_000)
  n.notify('two')
  await new Promise(resolve => setImmediate(resolve))
  assert.deepEqual(sent.map(m => m.text.includes('two') ? 'two' : 'one'), ['one', 'two'])
  n.notify('three') // within the interval: pending until close
  await new Promise(resolve => setImmediate(resolve))
  assert.equal(sent.length, 2)
  await n.close()
  assert.equal(sent.length, 3)
  assert.ok(sent[2]?.text.includes('three'))
  n.notify('after close')
  await new Promise(resolve => setImmediate(resolve))
  assert.equal(sent.length, 3)
})

test('disabled notifier sends nothing', async () => {
  const subject = `errors ${Date.now()}-disabled`
  const n = createErrorNotifier({ mailer, to: ['ops@example.com'], subject, sendInterval: 0.01, enabled: false })
  for (let i = 0; i < 3; i++) n.notify('boom')
  await n.close()
  await new Promise(resolve => setTimeout(resolve, 100))
  assert.equal(smtp.messages.filter(m => m.headers.subject === subject).length, 0)
})

test('secrets in error text and meta are masked in the mail', async () => {
  const subject = `errors ${Date.now()}-mask`
  const n = createErrorNotifier({ mailer, to: ['ops@example.com'], subject, sendInterval: 0.01, enabled: true, customMasking: ['ssn'] })
  n.notify('createUser failed: {"userName":"bjensen","password":"Sup3rS3cret","ssn":"123-45-6789"} Authorization: Basic Z3dhZG1pbjpwYXNzd29yZA==',
    { client_secret: 'cs-123456', url: 'https://svc:UrlPw99@api.example.com' })
  await n.close()
  const m = smtp.messages.find(x => x.headers.subject === subject)
  assert.ok(m !== undefined)
  for (const secret of ['Sup3rS3cret', '123-45-6789', 'Z3dhZG1pbjpwYXNzd29yZA', 'cs-123456', 'UrlPw99']) {
    assert.ok(!m.raw.includes(secret), `${secret} in mail`)
  }
  assert.ok(m.text.includes('bjensen') && m.text.includes('********'))
})

test('a failing mailer is never thrown into the caller and does not stop later mails', async () => {
  const log = createMemoryLogger()
  const badMailer = createMailer({ smtp: { host: '127.0.0.1', port: smtp.port, username: USER, password: 'nope' }, from: 'gw@example.com', log })
  const n = createErrorNotifier({ mailer: badMailer, to: ['ops@example.com'], subject: 'x', sendInterval: 0, enabled: true })
  assert.doesNotThrow(() => { n.notify('first'); n.notify('second') })
  await n.close()
  badMailer.close()
  assert.equal(log.lines.filter(l => l.level === 'error').length, 2)
})

test('an error storm is listed up to maxListed and counted beyond', async () => {
  const sent: MailMessage[] = []
  const n = createErrorNotifier({ mailer: { send: async (m) => { sent.push(m) }, close () {} }, to: ['a@b'], subject: 's', sendInterval: 60, enabled: true, maxListed: 3 })
  for (let i = 0; i < 10; i++) n.notify(`e${i}`)
  await n.close()
  assert.equal(sent.length, 2)
  assert.match(sent[1]?.text ?? '', /^9 errors/)
  assert.match(sent[1]?.text ?? '', /and 6 more not listed/)
})

async function waitUntil (cond: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!cond()) {
    if (Date.now() > deadline) throw new Error('condition not met before deadline')
    await new Promise(resolve => setTimeout(resolve, 20))
  }
}
