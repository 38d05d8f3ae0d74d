// Test support for lib/auth: a plugin that implements every route (loki + roles + api + passThrough),
// JWT signing helpers, a local OpenID/JWKS server (also shaped like Entra ID's discovery endpoints),
// and X.509 material (CA, server, client certificates) made with node-forge in the test.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { generateKeyPairSync, randomBytes } from 'node:crypto'
import forge from 'node-forge'
import { exportJWK, generateKeyPair, SignJWT, type JWK, type JWTPayload } from 'jose'
import { createLokiPlugin } from '../../lib/plugins/plugin-loki.ts'
import type { ScimPlugin, PluginContext } from '../../lib/plugins/types.ts'

/** Loki (memory, demo data, entities clientA/clientB) plus Roles, /api and passThrough; records what the plugin saw. */
export function fullPlugin (seen: { passThrough: string[] } = { passThrough: [] }): ScimPlugin {
  const loki = createLokiPlugin({ persistence: 'memory', demoData: true, entities: ['clientA', 'clientB'] })
  const note = (ctx: PluginContext): void => { if (ctx.passThrough !== undefined) seen.passThrough.push(ctx.passThrough.authorization) }
  return {
    ...loki,
    name: 'full',
    capabilities: { filter: 'simple', passThrough: true },
    start: async (log) => { await loki.start?.(log) },
    stop: async () => { await loki.stop?.() },
    getUsers: async (q, ctx) => { note(ctx); return await (loki.getUsers?.(q, ctx) ?? Promise.reject(new Error('no getUsers'))) },
    getRoles: async () => ({ Resources: [{ id: 'r1', displayName: 'Role 1' }] }),
    getApi: async () => ({ ok: true }),
    postApi: async (req) => ({ received: req.body ?? null })
  }
}

/** Signs a JWT with the given key and header. */
export async function signJwt (payload: JWTPayload, key: CryptoKey | Uint8Array | forge.pki.PrivateKey | unknown, header: { alg: string, kid?: string }, opts: { expiresIn?: string | number, notBefore?: string | number } = {}): Promise<string> {
  let jwt = new SignJWT(payload).setProtectedHeader(header).setIssuedAt()
  if (opts.expiresIn !== undefined) jwt = jwt.setExpirationTime(opts.expiresIn)
  if (opts.notBefore !== undefined) jwt = jwt.setNotBefore(opts.notBefore)
  return await jwt.sign(key as CryptoKey)
}

/** An unsigned `alg: none` token. */
export function unsignedJwt (payload: JWTPayload): string {
  const b64 = (o: unknown): string => Buffer.from(JSON.stringify(o)).toString('base64url')
  return `${b64({ alg: 'none', typ: 'JWT' })}.${b64(payload)}.`
}

export interface RsaKey { kid: string, privateKey: CryptoKey, publicJwk: JWK, publicPem: string }

export async function rsaKey (kid = randomBytes(6).toString('hex')): Promise<RsaKey> {
  const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true })
  const publicJwk = { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' }
  const { exportSPKI } = await import('jose')
  return { kid, privateKey, publicJwk, publicPem: await exportSPKI(publicKey) }
}

export interface IdpServer {
  url: string
  /** Keys published in the JWKS (change to rotate). */
  keys: JWK[]
  /** When true every request answers 503. */
  down: boolean
  /** Requests received per path. */
  hits: Map<string, number>
  issuer: string
  close: () => Promise<void>
}

/**
 * A local identity provider: `/.well-known/openid-configuration` + `/jwks`, and Entra-shaped
 * `/<tenant>/v2.0/.well-known/openid-configuration` + `/<tenant>/discovery/v2.0/keys`.
 */
export async function startIdp (): Promise<IdpServer> {
  const state: Omit<IdpServer, 'url' | 'close' | 'issuer'> & { url?: string } = { keys: [], down: false, hits: new Map() }
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? '/').split('?')[0] ?? '/'
    state.hits.set(path, (state.hits.get(path) ?? 0) + 1)
    const send = (status: number, body: unknown): void => {
      res.writeHead(status, { 'content-type': 'application/json' })
      res.end(JSON.stringify(body))
    }
    if (state.down) { send(503, { error: 'down' }); return }
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
    if (path === '/.well-known/openid-configuration') { send(200, { issuer: `${base}/`, jwks_uri: `${base}/jwks` }); return }
    if (path === '/jwks') { send(200, { keys: state.keys }); return }
    const azure = /^\/([^/]+)\/v2\.0\/\.well-known\/openid-configuration$/.exec(path)
    if (azure?.[1] !== undefined) {
      send(200, { issuer: `https://login.microsoftonline.com/${azure[1]}/v2.0`, jwks_uri: `${base}/${azure[1]}/discovery/v2.0/keys` })
      return
    }
    if (/^\/[^/]+\/discovery\/v2\.0\/keys$/.test(path)) { send(200, { keys: state.keys }); return }
    send(404, { error: 'not found' })
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  const idp = state as IdpServer
  idp.url = url
  idp.issuer = `${url}/`
  idp.close = async () => { await new Promise<void>(resolve => { server.close(() => { resolve() }); server.closeAllConnections() }) }
  return idp
}

// ---- X.509 (node-forge) ----

export interface Pki {
  caPem: string
  serverKeyPem: string
  serverCertPem: string
  client: (cn: string, signer?: 'ca' | 'other') => { keyPem: string, certPem: string }
  /** The server cert + key as a PKCS#12 bundle protected by `password`. */
  serverPfx: (password: string) => Buffer
}

const { pki } = forge

function forgeKeys (): { privateKey: forge.pki.rsa.PrivateKey, publicKey: forge.pki.rsa.PublicKey } {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
  const pem = privateKey.export({ type: 'pkcs1', format: 'pem' }).toString()
  const priv = pki.privateKeyFromPem(pem) as forge.pki.rsa.PrivateKey
  return { privateKey: priv, publicKey: pki.setRsaPublicKey(priv.n, priv.e) }
}

function cert (subjectCn: string, publicKey: forge.pki.PublicKey, issuer: { cn: string, key: forge.pki.rsa.PrivateKey }, ext: object[]): forge.pki.Certificate {
  const c = pki.createCertificate()
  c.publicKey = publicKey
  c.serialNumber = '01' + randomBytes(8).toString('hex')
  c.validity.notBefore = new Date(Date.now() - 60_000)
  c.validity.notAfter = new Date(Date.now() + 24 * 3600_000)
  c.setSubject([{ name: 'organizationName', value: 'Gateway Tests' }, { name: 'commonName', value: subjectCn }])
  c.setIssuer([{ name: 'organizationName', value: 'Gateway Tests' }, { name: 'commonName', value: issuer.cn }])
  c.setExtensions(ext)
  c.sign(issuer.key, forge.md.sha256.create())
  return c
}

/** A CA, a server certificate for 127.0.0.1/localhost, and client certificates on demand. */
export function makePki (): Pki {
  // distinct CA names: OpenSSL looks issuers up by name, so two test CAs must not share one
  const caName = `Test CA ${randomBytes(4).toString('hex')}`
  const ca = forgeKeys()
  const caCert = cert(caName, ca.publicKey, { cn: caName, key: ca.privateKey }, [{ name: 'basicConstraints', cA: true }, { name: 'keyUsage', keyCertSign: true, cRLSign: true }])
  const other = forgeKeys()
  const server = forgeKeys()
  const serverCert = cert('127.0.0.1', server.publicKey, { cn: caName, key: ca.privateKey }, [
    { name: 'subjectAltName', altNames: [{ type: 7, ip: '127.0.0.1' }, { type: 2, value: 'localhost' }] },
    { name: 'extKeyUsage', serverAuth: true }
  ])
  return {
    caPem: pki.certificateToPem(caCert),
    serverKeyPem: pki.privateKeyToPem(server.privateKey),
    serverCertPem: pki.certificateToPem(serverCert),
    client (cn, signer = 'ca') {
      const k = forgeKeys()
      const issuer = signer === 'ca' ? { cn: caName, key: ca.privateKey } : { cn: `Other ${caName}`, key: other.privateKey }
      const c = cert(cn, k.publicKey, issuer, [{ name: 'extKeyUsage', clientAuth: true }])
      return { keyPem: pki.privateKeyToPem(k.privateKey), certPem: pki.certificateToPem(c) }
    },
    serverPfx (password) {
      const p12 = forge.pkcs12.toPkcs12Asn1(server.privateKey, [serverCert, caCert], password, { algorithm: '3des' })
      return Buffer.from(forge.asn1.toDer(p12).getBytes(), 'binary')
    }
  }
}
