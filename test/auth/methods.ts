// The auth methods under contract test: each builds the gateway options for one principal with the
// given access, then yields valid credentials and a list of wrong ones of the same scheme.
import { randomBytes } from 'node:crypto'
import type { GatewayOptions } from '../../lib/core/options.ts'
import type { AccessEntry } from '../../lib/auth/types.ts'
import {
  basicAuthenticator, bearerJwtAuthenticator, bearerTokenAuthenticator, createOAuthServer, createSigningKey, passThroughAuthenticator
} from '../../lib/auth/index.ts'
import { rsaKey, signJwt, type IdpServer } from './support.ts'

export interface MethodSetup {
  options: Partial<GatewayOptions>
  /** Called once the gateway listens (OAuth fetches its token from the gateway). */
  credentials: (baseUrl: string) => Promise<string>
  /** Wrong credentials of the same scheme; each must give 401. */
  wrong: (baseUrl: string) => Promise<string[]>
}

export interface AuthMethodCase {
  name: string
  setup: (access: AccessEntry) => Promise<MethodSetup>
}

const b64 = (s: string): string => Buffer.from(s).toString('base64')

export function authMethodCases (idp: IdpServer): AuthMethodCase[] {
  return [
    {
      name: 'basic',
      async setup (access) {
        return {
          options: { authenticators: [basicAuthenticator([{ username: 'scim-user', password: 'pw-9f8e7d', ...access }])] },
          credentials: async () => `Basic ${b64('scim-user:pw-9f8e7d')}`,
          wrong: async () => [`Basic ${b64('scim-user:wrong')}`, `Basic ${b64('nobody:pw-9f8e7d')}`, `Basic ${b64('scim-user')}`, 'Basic', 'Basic !!!']
        }
      }
    },
    {
      name: 'bearerToken',
      async setup (access) {
        const token = randomBytes(24).toString('base64url')
        return {
          options: { authenticators: [bearerTokenAuthenticator([{ token, ...access }])] },
          credentials: async () => `Bearer ${token}`,
          wrong: async () => [`Bearer ${token}x`, `Bearer ${token.slice(1)}`, 'Bearer', `Token ${token}`]
        }
      }
    },
    {
      name: 'bearerJwt secret (HS256)',
      async setup (access) {
        const secret = randomBytes(32).toString('hex')
        const key = new TextEncoder().encode(secret)
        const other = new TextEncoder().encode(`${secret}-other`)
        return {
          options: { authenticators: [bearerJwtAuthenticator([{ secret, options: { audience: 'scim' }, ...access }])] },
          credentials: async () => `Bearer ${await signJwt({ sub: 'hs-client', aud: 'scim' }, key, { alg: 'HS256' }, { expiresIn: '5m' })}`,
          wrong: async () => [
            `Bearer ${await signJwt({ sub: 'hs-client', aud: 'scim' }, other, { alg: 'HS256' }, { expiresIn: '5m' })}`,
            `Bearer ${await signJwt({ sub: 'hs-client', aud: 'other' }, key, { alg: 'HS256' }, { expiresIn: '5m' })}`,
            `Bearer ${await signJwt({ sub: 'hs-client', aud: 'scim', exp: Math.floor(Date.now() / 1000) - 3600 }, key, { alg: 'HS256' })}`
          ]
        }
      }
    },
    {
      name: 'bearerJwt wellKnownUri (RS256, JWKS)',
      async setup (access) {
        const k = await rsaKey()
        const stranger = await rsaKey(k.kid) // same kid, key not published
        idp.keys.push(k.publicJwk)
        return {
          options: { authenticators: [bearerJwtAuthenticator([{ wellKnownUri: `${idp.url}/.well-known/openid-configuration`, options: { audience: 'scim' }, ...access }])] },
          credentials: async () => `Bearer ${await signJwt({ sub: 'oidc-client', aud: 'scim', iss: idp.issuer }, k.privateKey, { alg: 'RS256', kid: k.kid }, { expiresIn: '5m' })}`,
          wrong: async () => [
            `Bearer ${await signJwt({ sub: 'oidc-client', aud: 'scim', iss: idp.issuer }, stranger.privateKey, { alg: 'RS256', kid: k.kid }, { expiresIn: '5m' })}`,
            `Bearer ${await signJwt({ sub: 'oidc-client', aud: 'scim', iss: 'https://evil.example/' }, k.privateKey, { alg: 'RS256', kid: k.kid }, { expiresIn: '5m' })}`
          ]
        }
      }
    },
    {
      name: 'bearerJwt azureTenantId',
      async setup (access) {
        const tenant = '11111111-2222-3333-4444-555555555555'
        const k = await rsaKey()
        idp.keys.push(k.publicJwk)
        const aud = '8adf8e6e-67b2-4cf2-a259-e3dc5476c621'
        return {
          options: { authenticators: [bearerJwtAuthenticator([{ azureTenantId: tenant, options: { audience: aud }, ...access }], { azureAuthority: idp.url })] },
          credentials: async () => `Bearer ${await signJwt({ appid: 'entra-app', aud, iss: `https://sts.windows.net/${tenant}/`, tid: tenant }, k.privateKey, { alg: 'RS256', kid: k.kid }, { expiresIn: '5m' })}`,
          wrong: async () => [
            `Bearer ${await signJwt({ appid: 'entra-app', aud, iss: 'https://sts.windows.net/99999999-2222-3333-4444-555555555555/' }, k.privateKey, { alg: 'RS256', kid: k.kid }, { expiresIn: '5m' })}`
          ]
        }
      }
    },
    {
      name: 'bearerOAuth',
      async setup (access) {
        const oauth = createOAuthServer({ clients: [{ clientId: 'idp-client', clientSecret: 'cs-1a2b3c', ...access }], signingKey: createSigningKey() })
        const foreign = createOAuthServer({ clients: [{ clientId: 'idp-client', clientSecret: 'cs-1a2b3c' }], signingKey: { ...createSigningKey(), kid: 'same-kid' } })
        return {
          options: { authenticators: [oauth.authenticator], extraRoutes: [oauth.mount] },
          credentials: async (base) => {
            const res = await fetch(`${base}/oauth/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'grant_type=client_credentials&client_id=idp-client&client_secret=cs-1a2b3c' })
            const body = await res.json() as { access_token: string }
            return `Bearer ${body.access_token}`
          },
          wrong: async () => {
            // a token of another gateway's OAuth server
            const { Hono } = await import('hono')
            const app = new Hono()
            foreign.mount(app)
            const res = await app.request('http://other/oauth/token', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${b64('idp-client:cs-1a2b3c')}` }, body: 'grant_type=client_credentials' })
            const token = (await res.json() as { access_token: string }).access_token
            return [`Bearer ${token}`, 'Bearer a.b.c', `Basic ${b64('idp-client:cs-1a2b3c')}`]
          }
        }
      }
    },
    {
      name: 'passThrough',
      async setup (access) {
        return {
          options: { authenticators: [passThroughAuthenticator({ pluginSupportsPassThrough: true, ...access })], passThrough: true },
          credentials: async () => 'Bearer endpoint-decides',
          wrong: async () => [' ']
        }
      }
    }
  ]
}
