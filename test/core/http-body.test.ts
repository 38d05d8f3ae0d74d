// Request bodies over real HTTP (the Node stream path): size limit with and without Content-Length,
// malformed JSON, and the server keeps serving afterwards.
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { request } from 'node:http'
import { startTestGateway, type TestGateway } from '../support/gateway.ts'
import { basicAuthenticator } from '../../lib/auth/index.ts'

let gw: TestGateway
const auth = 'Basic ' + Buffer.from('u:p').toString('base64')
before(async () => { gw = await startTestGateway({ options: { maxPayloadBytes: 4096, authenticators: [basicAuthenticator([{ username: 'u', password: 'p' }])] } }) })
after(async () => { await gw.stop() })

/** POST with an explicit transfer: chunked (no Content-Length) when `chunked`. */
async function post (body: string, chunked: boolean): Promise<{ status: number, body: string }> {
  const url = new URL('/Users', gw.url)
  return await new Promise((resolve, reject) => {
    const headers: Record<string, string> = { authorization: auth, 'content-type': 'application/scim+json' }
    if (!chunked) headers['content-length'] = String(Buffer.byteLength(body))
    const req = request(url, { method: 'POST', headers, agent: false }, (res) => {
      let text = ''
      res.on('data', (d: Buffer) => { text += d.toString() })
      res.on('end', () => { resolve({ status: res.statusCode ?? 0, body: text }) })
    })
    req.on('error', reject)
    if (chunked) { for (let i = 0; i < body.length; i += 1000) req.write(body.slice(i, i + 1000)) } else req.write(body)
    req.end()
  })
}

test('oversized bodies answer 413 with and without Content-Length; small ones are created', async () => {
  const big = JSON.stringify({ userName: 'big', title: 'x'.repeat(10_000) })
  for (const chunked of [false, true]) {
    const r = await post(big, chunked)
    assert.equal(r.status, 413, `chunked=${chunked}`)
    assert.match(r.body, /exceeds the limit of 4096 bytes/)
  }
  const ok = await post(JSON.stringify({ userName: 'small' }), true)
  assert.equal(ok.status, 201)
  const bad = await post('{"userName":', false)
  assert.equal(bad.status, 400)
  assert.match(bad.body, /invalidSyntax/)
})

test('a 413 tells the client to close the connection, and a keep-alive client goes on on a fresh one', async () => {
  const big = JSON.stringify({ userName: 'big2', title: 'x'.repeat(200_000) })
  const headers = { authorization: auth, 'content-type': 'application/scim+json' }
  for (let i = 0; i < 3; i++) {
    // fetch keeps connections alive by default: a reused socket with an unread body would fail here
    const r = await fetch(`${gw.url}/Users`, { method: 'POST', headers, body: big })
    assert.equal(r.status, 413)
    assert.equal(r.headers.get('connection'), 'close')
    await r.text()
    const ok = await fetch(`${gw.url}/Users?filter=${encodeURIComponent('userName eq "small"')}`, { headers })
    assert.equal(ok.status, 200, `request ${i} after a 413`)
    await ok.text()
  }
})
