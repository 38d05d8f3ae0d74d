// GET /logger streams masked log lines live as Server-Sent Events (the `data:` framing that
// scimgateway's documented curl/fetch recipes parse); read-only credentials may read it, anonymous
// callers may not; /<baseEntity>/logger sees only that baseEntity's lines; the push level decides
// what is streamed; `?view=html` is a live page (checked in headless Chromium when it is installed).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ScimGateway } from '../../lib/core/gateway.ts'
import { createLokiPlugin } from '../../lib/plugins/plugin-loki.ts'
import { basicAuthenticator } from '../../lib/auth/index.ts'
import { createLogger, createLogPush } from '../../lib/logging/index.ts'
import type { LevelSetting } from '../../lib/logging/logger.ts'
import type { Logger } from '../../lib/logging/types.ts'
import type { LogPush } from '../../lib/logging/push.ts'

const ADMIN = { authorization: 'Basic ' + Buffer.from('admin:S3cret!pw').toString('base64') }
const READER = { authorization: 'Basic ' + Buffer.from('ro:ro-pw').toString('base64') }

async function gateway (pushLevel: LevelSetting = 'debug'): Promise<{ gw: ScimGateway, log: Logger, push: LogPush, close: () => Promise<void> }> {
  const push = createLogPush()
  const log = createLogger({ name: 'plugin-loki', console: 'off', push, pushLevel })
  const gw = new ScimGateway({
    plugin: createLokiPlugin({ persistence: 'memory', demoData: true, entities: ['clientA'] }),
    options: { port: 0, localhostOnly: true, entities: ['clientA'], authenticators: [basicAuthenticator([{ username: 'admin', password: 'S3cret!pw' }, { username: 'ro', password: 'ro-pw', readOnly: true }])] },
    log,
    logPush: push
  })
  await gw.start()
  return { gw, log, push, close: async () => { await gw.stop(); await log.close() } }
}

/** Reads SSE events the way the documented client recipe does: `data:` lines, an event per blank line. */
async function collectEvents (res: Response, until: (events: string[]) => boolean, ms = 10_000): Promise<{ events: string[], raw: string }> {
  const reader = (res.body as ReadableStream<Uint8Array>).getReader()
  const decoder = new TextDecoder()
  let raw = ''
  const events: string[] = []
  const deadline = Date.now() + ms
  while (!until(events) && Date.now() < deadline) {
    const r = await Promise.race([reader.read(), new Promise<{ done: true, value: undefined }>(resolve => setTimeout(() => { resolve({ done: true, value: undefined }) }, deadline - Date.now()))])
    if (r.done === true) break
    raw += decoder.decode(r.value, { stream: true })
    let i: number
    while ((i = raw.indexOf('\n\n')) >= 0) {
      const block = raw.slice(0, i)
      raw = raw.slice(i + 2)
      const data = block.split('\n').filter(l => l.startsWith('data: ')).map(l => l.slice(6))
      if (data.length > 0) events.push(data.join('\n'))
    }
  }
  await reader.cancel().catch(() => {})
  return { events, raw }
}

test('/logger frames every line of a multi-line message as a data field of one event; a client that leaves is unsubscribed', async () => {
  const { gw, log, push, close } = await gateway()
  const ac = new AbortController()
  try {
    const res = await fetch(`${gw.url}/logger`, { headers: ADMIN, signal: ac.signal })
    assert.equal(res.status, 200)
    assert.equal(res.headers.get('cache-control'), 'no-store')
    const done = collectEvents(res, ev => ev.some(e => e.includes('multi-line marker')))
    await new Promise(resolve => setTimeout(resolve, 50))
    log.info('multi-line marker\nsecond line\r\nthird line')
    const { events } = await done
    const event = events.find(e => e.includes('multi-line marker'))
    assert.ok(event !== undefined, events.join('\n'))
    assert.match(event, /multi-line marker\nsecond line\nthird line/)
    assert.equal(push.subscriberCount, 1)
    ac.abort() // collectEvents cancelled the body already; either way the server side must let go
    const deadline = Date.now() + 5000
    while (push.subscriberCount > 0 && Date.now() < deadline) await new Promise(resolve => setTimeout(resolve, 20))
    assert.equal(push.subscriberCount, 0, 'the log stream kept its subscription after the client left')
  } finally {
    ac.abort()
    await close()
  }
})

test('/logger is an SSE stream of masked lines; read-only credentials may read it, anonymous may not', async () => {
  const { gw, close } = await gateway()
  const ac = new AbortController()
  try {
    assert.equal((await fetch(`${gw.url}/logger`)).status, 401)
    const res = await fetch(`${gw.url}/logger`, { headers: { ...READER, accept: 'text/event-stream' }, signal: ac.signal })
    assert.equal(res.status, 200)
    assert.match(res.headers.get('content-type') ?? '', /^text\/event-stream/)
    const done = collectEvents(res, ev => ev.some(e => e.includes('GET /Users')) && ev.some(e => e.includes('POST /Users')))
    await new Promise(resolve => setTimeout(resolve, 50))
    await fetch(`${gw.url}/Users?filter=${encodeURIComponent('userName eq "bjensen"')}`, { headers: ADMIN })
    await fetch(`${gw.url}/Users`, { method: 'POST', headers: { ...ADMIN, 'content-type': 'application/scim+json' }, body: JSON.stringify({ userName: 'x', password: 'UserPw#1' }) })
    const { events } = await done
    assert.ok(events.some(e => /GET \/Users\?filter=.* 200/.test(e)), events.join('\n'))
    assert.ok(events.some(e => /POST \/Users 201/.test(e)), events.join('\n'))
    assert.ok(!events.some(e => /S3cret!pw|UserPw#1/.test(e)))
  } finally {
    ac.abort()
    await close()
  }
})

test('/<baseEntity>/logger streams only that baseEntity; the push level filters what is streamed', async () => {
  const { gw, close } = await gateway('info')
  const ac = new AbortController()
  try {
    const res = await fetch(`${gw.url}/clientA/logger`, { headers: ADMIN, signal: ac.signal })
    assert.equal(res.status, 200)
    const done = collectEvents(res, ev => ev.some(e => e.includes('/clientA/Users/marker')))
    await new Promise(resolve => setTimeout(resolve, 50))
    await fetch(`${gw.url}/Users/other-tenant`, { headers: ADMIN })
    await fetch(`${gw.url}/clientA/Users/marker`, { headers: ADMIN })
    const { events } = await done
    assert.ok(events.some(e => e.includes('/clientA/Users/marker 404')), events.join('\n'))
    assert.ok(!events.some(e => e.includes('/Users/other-tenant')), 'a line of no/another baseEntity was streamed')
    assert.ok(!events.some(e => /\bdebug\b/.test(e)), 'debug lines streamed at push level info')
  } finally {
    ac.abort()
    await close()
  }
})

test('/logger answers 405 to writes', async () => {
  const { gw, close } = await gateway()
  try {
    assert.equal((await fetch(`${gw.url}/logger`, { method: 'POST', headers: ADMIN })).status, 405)
  } finally { await close() }
})

const chromium = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find(p => existsSync(p))
test('/logger?view=html shows lines arriving live in a browser', { skip: chromium === undefined ? 'Debian chromium is not installed (apt-get install chromium)' : false }, async () => {
  const { chromium: pw } = await import('playwright-core')
  const { gw, close } = await gateway()
  const profile = mkdtempSync(join(tmpdir(), 'gw-chromium-'))
  const browser = await pw.launch({
    executablePath: chromium,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync']
  })
  try {
    const ctx = await browser.newContext({ httpCredentials: { username: 'ro', password: 'ro-pw' } })
    const page = await ctx.newPage()
    const r = await page.goto(`${gw.url}/logger?view=html`)
    assert.equal(r?.status(), 200)
    await page.waitForFunction(() => document.getElementById('state')?.textContent === 'live', undefined, { timeout: 10_000 })
    await fetch(`${gw.url}/Users/browser-marker`, { headers: ADMIN })
    await page.waitForFunction(() => (document.getElementById('log')?.textContent ?? '').includes('/Users/browser-marker'), undefined, { timeout: 10_000 })
    const shot = await page.screenshot({ fullPage: false })
    assert.ok(shot.length > 1000, 'a screenshot was taken')
    const text = await page.textContent('#log') ?? ''
    assert.match(text, /GET \/Users\/browser-marker 404/)
    assert.match(await page.textContent('#count') ?? '', /^[1-9]\d* lines$/)
  } finally {
    await browser.close()
    await close()
    rmSync(profile, { recursive: true, force: true })
  }
})
