// Hostile input against a gateway with every auth method on: garbage Authorization headers, malformed
// JWTs, non-UTF-8 credentials (raw bytes on the socket), huge headers, and garbage at the token
// endpoint. Every answer is a clean 4xx (401, 400, or 431 from the HTTP parser), never a 500.
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { connect } from 'node:net'
import {
  basicAuthenticator, bearerJwtAuthenticator, bearerTokenAuthenticator, createOAuthServer, createSigningKey
} from '../../lib/auth/index.ts'
import { startTestGateway, type TestGateway } from '../support/gateway.ts'
import { fullPlugin, rsaKey, startIdp, type IdpServer } from './support.ts'

/** Sends raw bytes, returns the status code of the response. */
async function raw (port: number, request: Buffer): Promise<number> {
  return await new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1')
    let got = ''
    s.on('data', (d: Buffer) => {
      got += d.toString('latin1')
      const m = /^HTTP\/1\.1 (\d{3})/.exec(got)
      if (m?.[1] !== undefined && got.includes('\r\n\r\n')) { s.destroy(); resolve(Number(m[1])) }
    })
    s.on('error', reject)
    s.on('close', () => { if (!/^HTTP/.test(got)) reject(new Error(`connection closed without a response: ${JSON.stringify(got.slice(0, 80))}`)) })
    s.write(request)
  })
}

function requestWith (authorization: Buffer | string, path = '/Users', method = 'GET', body?: Buffer): Buffer {
  const head = Buffer.from(`${method} ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n` + (body !== undefined ? `Content-Type: application/x-www-form-urlencoded\r\nContent-Length: ${body.length}\r\n` : '') + 'Authorization: ', 'latin1')
  return Buffer.concat([head, typeof authorization === 'string' ? Buffer.from(authorization, 'latin1') : authorization, Buffer.from('\r\n\r\n'), body ?? Buffer.alloc(0)])
}

const b64u = (s: string | Buffer): string => Buffer.from(s).toString('base64url')

let idp: IdpServer
let gw: TestGateway
before(async () => {
  idp = await startIdp()
  idp.keys.push((await rsaKey('k1')).publicJwk)
  const oauth = createOAuthServer({ clients: [{ clientId: 'c', clientSecret: 's' }], signingKey: createSigningKey() })
  gw = await startTestGateway({
    plugin: fullPlugin(),
    options: {
      authenticators: [
        basicAuthenticator([{ username: 'admin', password: 'pw' }]),
        bearerTokenAuthenticator([{ token: 'tok' }]),
        bearerJwtAuthenticator([{ secret: 'hmac-secret-0123456789abcdef' }, { wellKnownUri: `${idp.url}/.well-known/openid-configuration` }]),
        oauth.authenticator
      ],
      extraRoutes: [oauth.mount]
    }
  })
})
after(async () => { await gw.stop(); await idp.close() })

describe('bad input never makes a 500', () => {
  it('garbage and malformed Authorization headers → 401', async () => {
    const port = gw.gateway.port
    const headers: Array<string | Buffer> = [
      '', ' ', 'Basic', 'Basic ', 'Basic ====', 'Basic !!!!', `Basic ${Buffer.from('no-colon').toString('base64')}`, `Basic ${Buffer.from(':').toString('base64')}`,
      'basic YWRtaW46cHc= extra', 'Bearer', 'Bearer ', 'Bearer a.b', 'Bearer a.b.c', 'Bearer a.b.c.d', 'Bearer ...', 'Bearer .', 'Bearer \t tok',
      `Bearer ${b64u('{')}.${b64u('{}')}.sig`, `Bearer ${b64u('{"alg":"HS256"}')}.${b64u('not json')}.sig`,
      `Bearer ${b64u('{"alg":123}')}.${b64u('{}')}.sig`, `Bearer ${b64u('{"alg":"RS256","kid":{"x":1}}')}.${b64u('{}')}.sig`,
      `Bearer ${b64u('{"alg":"RS256","kid":"unknown"}')}.${b64u('{"sub":"x"}')}.${b64u('sig')}`,
      `Bearer ${b64u('{"alg":"HS256","crit":["zip"],"zip":1}')}.${b64u('{}')}.sig`, `Bearer ${b64u('{"alg":"ES256"}')}.${b64u('[]')}.`,
      `Bearer ${b64u('null')}.${b64u('null')}.null`, `Bearer ${b64u('{"alg":"none"}')}.${b64u('{"sub":"admin"}')}.`,
      'Negotiate YIIBhwYGKwYBBQUCoIIBezCCAXeg', 'Digest username="admin", response="x"', 'AWS4-HMAC-SHA256 Credential=x', 'Bearer%20tok', 'Bearer tok, Basic YWRtaW46cHc=',
      `Bearer ${'a'.repeat(8000)}`, `Bearer ${'a.'.repeat(3000)}a`, `Basic ${'A'.repeat(12000)}`,
      // non-UTF-8 credentials: raw bytes in the header, and base64 of invalid UTF-8
      Buffer.from([0x42, 0x61, 0x73, 0x69, 0x63, 0x20, 0xff, 0xfe, 0x80]), Buffer.concat([Buffer.from('Bearer '), Buffer.from([0xc3, 0x28, 0xa0, 0xa1])]),
      `Basic ${Buffer.from([0x61, 0x64, 0xff, 0x3a, 0xc3, 0x28, 0xed, 0xa0, 0x80]).toString('base64')}`
    ]
    for (const h of headers) {
      const status = await raw(port, requestWith(h))
      assert.ok(status === 401 || status === 400, `${JSON.stringify(h.toString().slice(0, 60))} → ${status}`)
    }
  })

  it('huge headers → 431 from the HTTP parser, and the gateway keeps serving', async () => {
    const port = gw.gateway.port
    const status = await raw(port, requestWith(`Bearer ${'x'.repeat(70_000)}`))
    assert.ok(status === 431 || status === 400, String(status))
    assert.equal(await raw(port, requestWith(`Basic ${Buffer.from('admin:pw').toString('base64')}`)), 200)
  })

  it('garbage at the token endpoint → 400/401', async () => {
    const port = gw.gateway.port
    const bodies = [Buffer.from([0xff, 0xfe, 0x00, 0x26, 0x3d]), Buffer.from('grant_type=client_credentials&client_id=%FF%FE&client_secret=%E0%A4%A'), Buffer.from('grant_type=client_credentials&&&==&client_id'), Buffer.from('grant_type[]=x')]
    for (const body of bodies) {
      const status = await raw(port, requestWith('Basic !!!', '/oauth/token', 'POST', body))
      assert.ok(status === 400 || status === 401, `${body.toString('hex').slice(0, 20)} → ${status}`)
      const noAuth = await raw(port, Buffer.concat([Buffer.from(`POST /oauth/token HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`), body]))
      assert.ok(noAuth === 400 || noAuth === 401, `json ${body.toString('hex').slice(0, 20)} → ${noAuth}`)
    }
  })
})
