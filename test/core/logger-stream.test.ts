// GET /logger streams masked log lines live; read-only credentials and anonymous callers are refused.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { ScimGateway } from '../../lib/core/gateway.ts'
import { createLokiPlugin } from '../../lib/plugins/plugin-loki.ts'
import { basicAuthenticator } from '../../lib/auth/index.ts'
import { createLogger, createLogPush } from '../../lib/logging/index.ts'

test('/logger streams request lines as they happen, masked', async () => {
  const push = createLogPush()
  const log = createLogger({ name: 'plugin-loki', console: 'off', push, pushLevel: 'debug' })
  const gw = new ScimGateway({
    plugin: createLokiPlugin({ persistence: 'memory', demoData: true }),
    options: { port: 0, localhostOnly: true, authenticators: [basicAuthenticator([{ username: 'admin', password: 'S3cret!pw' }, { username: 'ro', password: 'ro-pw', readOnly: true }])] },
    log,
    logPush: push
  })
  await gw.start()
  const admin = { authorization: 'Basic ' + Buffer.from('admin:S3cret!pw').toString('base64') }
  const ac = new AbortController()
  try {
    assert.equal((await fetch(`${gw.url}/logger`)).status, 401)
    assert.equal((await fetch(`${gw.url}/logger`, { headers: { authorization: 'Basic ' + Buffer.from('ro:ro-pw').toString('base64') } })).status, 403)
    const res = await fetch(`${gw.url}/logger`, { headers: admin, signal: ac.signal })
    assert.equal(res.status, 200)
    const reader = (res.body as ReadableStream<Uint8Array>).getReader()
    await reader.read() // banner
    await fetch(`${gw.url}/Users?filter=${encodeURIComponent('userName eq "bjensen"')}`, { headers: admin })
    await fetch(`${gw.url}/Users`, { method: 'POST', headers: { ...admin, 'content-type': 'application/scim+json' }, body: JSON.stringify({ userName: 'x', password: 'UserPw#1' }) })
    let text = ''
    const deadline = Date.now() + 10_000
    while (!(text.includes('GET /Users') && text.includes('POST /Users')) && Date.now() < deadline) {
      const { value, done } = await reader.read()
      if (done) break
      text += new TextDecoder().decode(value)
    }
    assert.match(text, /GET \/Users\?filter=.* 200/)
    assert.match(text, /POST \/Users 201/)
    assert.doesNotMatch(text, /S3cret!pw|UserPw#1/)
  } finally {
    ac.abort()
    await gw.stop()
    await log.close()
  }
})
