// The key the gateway's OAuth token endpoint signs access tokens with. Generated once (EC P-256,
// ES256), kept in a file under the config directory with the private key encrypted by lib/config's
// secrets (SEED or machine key), so tokens stay valid across restarts and the key is never in clear
// on disk. Read synchronously: this runs once while the gateway is configured, never per request.
import { createPrivateKey, createPublicKey, generateKeyPairSync, randomUUID, type KeyObject } from 'node:crypto'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname } from 'node:path'
import type { JWK } from 'jose'
import { decryptSecret, encryptSecret, type SecretKey } from '../config/secrets.ts'

export interface SigningKey {
  kid: string
  alg: 'ES256'
  privateKey: KeyObject
  publicKey: KeyObject
  /** The public key as published in /.well-known/jwks.json. */
  publicJwk: JWK
}

/** A fresh key kept in memory only (tests, embedders without a config directory). */
export function createSigningKey (): SigningKey {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  return fromPrivate(privateKey, randomUUID())
}

/**
 * Reads the key from `file`, or creates the file with a new key (mode 0600, private key encrypted).
 * Two gateways starting together on one config directory end up with the same key.
 * @example
 * const key = loadOrCreateSigningKey(join(configDir, 'certs', 'oauth-signing-key.json'), deriveSecretKey({ seed: process.env.SEED }))
 */
export function loadOrCreateSigningKey (file: string, secretKey: SecretKey): SigningKey {
  const existing = readKeyFile(file, secretKey)
  if (existing !== undefined) return existing
  const key = createSigningKey()
  const pem = key.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString()
  const body = JSON.stringify({ kid: key.kid, alg: key.alg, privateKey: encryptSecret(pem, secretKey) }, null, 2) + '\n'
  mkdirSync(dirname(file), { recursive: true })
  try {
    writeFileSync(file, body, { mode: 0o600, flag: 'wx' })
  } catch (err) {
    // another gateway created it meanwhile: use that one
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') {
      const other = readKeyFile(file, secretKey)
      if (other !== undefined) return other
    }
    throw err
  }
  return key
}

function readKeyFile (file: string, secretKey: SecretKey): SigningKey | undefined {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw err
  }
  const parsed = JSON.parse(text) as { kid?: unknown, alg?: unknown, privateKey?: unknown }
  if (typeof parsed.kid !== 'string' || parsed.alg !== 'ES256' || typeof parsed.privateKey !== 'string') {
    throw new Error(`${file}: not an OAuth signing key file (expected kid, alg ES256, privateKey)`)
  }
  const pem = decryptSecret(parsed.privateKey, secretKey, `${file}:privateKey`)
  return fromPrivate(createPrivateKey(pem), parsed.kid)
}

function fromPrivate (privateKey: KeyObject, kid: string): SigningKey {
  const publicKey = createPublicKey(privateKey)
  const jwk = publicKey.export({ format: 'jwk' }) as JWK
  return { kid, alg: 'ES256', privateKey, publicKey, publicJwk: { ...jwk, kid, alg: 'ES256', use: 'sig' } }
}
