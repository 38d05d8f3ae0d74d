// Child process of bench/auth.bench.ts: a gateway with plugin-loki (memory) and ONE auth method
// (argv[2]) on a free port. Prints `PORT <n>` and `AUTH <Authorization header>` on stdout; stops on
// the IPC message 'stop'. The JWKS method also runs its identity provider here (one fetch, then cached).
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { exportJWK, generateKeyPair, SignJWT } from 'jose'
import { ScimGateway } from '../../lib/core/gateway.ts'
import type { GatewayOptions } from '../../lib/core/options.ts'
import { createLokiPlugin } from '../../lib/plugins/plugin-loki.ts'
import {
  basicAuthenticator, bearerJwtAuthenticator, bearerTokenAuthenticator, createOAuthServer, createSigningKey, ipAllowGate,
  addressRateLimitGate, createRateLimiter, failedAuthSlowDown
} from '../../lib/auth/index.ts'
import { silentLogger } from '../../lib/logging/types.ts'

const method = process.argv[2] ?? 'none'
let options: Partial<GatewayOptions> = {}
let authorization: string | ((base: string) => Promise<string>) = ''
const secret = 'bench-hmac-secret-0123456789abcdef'

switch (method) {
  case 'none':
    options = { allowAnonymous: true }
    break
  case 'basic':
    options = { authenticators: [basicAuthenticator([{ username: 'gwadmin', password: 'password' }])] }
    authorization = `Basic ${Buffer.from('gwadmin:password').toString('base64')}`
    break
  case 'bearerToken':
    options = { authenticators: [bearerTokenAuthenticator([{ token: 'bench-static-token' }])] }
    authorization = 'Bearer bench-static-token'
    break
  case 'bearerJwt-hmac':
    options = { authenticators: [bearerJwtAuthenticator([{ secret, options: { audience: 'scim' } }])] }
    authorization = `Bearer ${await new SignJWT({ sub: 'bench', aud: 'scim' }).setProtectedHeader({ alg: 'HS256' }).setIssuedAt().setExpirationTime('1h').sign(new TextEncoder().encode(secret))}`
    break
  case 'bearerJwt-jwks': {
    const { privateKey, publicKey } = await generateKeyPair('RS256')
    const jwk = { ...(await exportJWK(publicKey)), kid: 'bench', alg: 'RS256', use: 'sig' }
    const idp = createServer((req, res) => {
      const base = `http://127.0.0.1:${(idp.address() as AddressInfo).port}`
      res.setHeader('content-type', 'application/json')
      res.end(JSON.stringify(req.url === '/jwks' ? { keys: [jwk] } : { issuer: `${base}/`, jwks_uri: `${base}/jwks` }))
    })
    await new Promise<void>(resolve => idp.listen(0, '127.0.0.1', resolve))
    const base = `http://127.0.0.1:${(idp.address() as AddressInfo).port}`
    options = { authenticators: [bearerJwtAuthenticator([{ wellKnownUri: `${base}/.well-known/openid-configuration`, options: { audience: 'scim' } }])] }
    authorization = `Bearer ${await new SignJWT({ sub: 'bench', aud: 'scim', iss: `${base}/` }).setProtectedHeader({ alg: 'RS256', kid: 'bench' }).setIssuedAt().setExpirationTime('1h').sign(privateKey)}`
    break
  }
  case 'bearerOAuth': {
    const oauth = createOAuthServer({ clients: [{ clientId: 'bench', clientSecret: 'bench-secret' }], signingKey: createSigningKey() })
    options = { authenticators: [oauth.authenticator], extraRoutes: [oauth.mount] }
    authorization = async (url) => {
      const r = await fetch(`${url}/oauth/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'grant_type=client_credentials&client_id=bench&client_secret=bench-secret' })
      return `Bearer ${(await r.json() as { access_token: string }).access_token}`
    }
    break
  }
  case 'basic+network': {
    // basic plus every network protection on: IP allow list, per-address rate limit (high), slow-down
    const slow = failedAuthSlowDown()
    options = {
      authenticators: [basicAuthenticator([{ username: 'gwadmin', password: 'password' }])],
      gates: [ipAllowGate({ allow: ['127.0.0.0/8', '::1'] }), addressRateLimitGate(createRateLimiter({ ratePerSecond: 1e9 })), slow.gate],
      authObservers: [slow.observer]
    }
    authorization = `Basic ${Buffer.from('gwadmin:password').toString('base64')}`
    break
  }
  default:
    throw new Error(`unknown method ${method}`)
}

const gw = new ScimGateway({ plugin: createLokiPlugin({ persistence: 'memory', demoData: false }), options: { ...options, port: 0, localhostOnly: true }, log: silentLogger })
await gw.start()
const auth = typeof authorization === 'string' ? authorization : await authorization(gw.url)
process.stdout.write(`AUTH ${auth}\nPORT ${gw.port}\n`)
process.on('message', (m) => {
  if (m === 'stop') void gw.stop().then(() => process.exit(0))
})
