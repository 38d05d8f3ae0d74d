// Secrets at rest: AES-256-GCM with a key derived (scrypt) from the environment variable SEED, or,
// when SEED is unset, from the machine (hostname + /etc/machine-id + a fixed salt).
//
// Encrypted form: `{enc:v1}<base64url(iv[12] | tag[16] | ciphertext)>` — recognisable by its prefix,
// ASCII-only (safe in JSON and YAML double quotes), and portable between machines that share SEED.
//
// Trade-off of the machine key: it needs no setup and keeps a copied config file useless elsewhere,
// but the file then decrypts only on that machine — a renamed host, a rebuilt VM or a container
// (random hostname, usually no machine-id) cannot read it. Set SEED for containers, clusters and
// anything that moves; keep SEED itself out of the config (orchestrator secret, systemd credential).
import { createCipheriv, createDecipheriv, randomBytes, scryptSync } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { hostname } from 'node:os'
import type { PathSegment } from './path.ts'
import { isReference } from './references.ts'

/** Prefix of every encrypted value. */
export const ENCRYPTED_PREFIX = '{enc:v1}'

/**
 * Keys whose string values are secrets (compared case-sensitively; the last path segment counts).
 * Covers auth.basic[].password, auth.bearerToken[].token, auth.bearerJwt[].secret,
 * auth.bearerOAuth[].clientSecret, certificate.pfx.password, email.smtp.password,
 * stream.*.entity.*.nats.secret (NATS nkey seed) and the usual endpoint credentials.
 * Not included: `jwt` (a NATS user JWT is signed public data; useless without its seed),
 * certificate `key`/`cert` (file names, not key material).
 */
export const SECRET_KEY_NAMES: ReadonlySet<string> = new Set([
  'password', 'passphrase', 'secret', 'sharedSecret',
  'client_secret', 'clientSecret',
  'token', 'accessToken', 'access_token', 'refreshToken', 'refresh_token',
  'apiKey', 'api_key', 'apikey', 'privateKeyPassphrase', 'privateKeyPassword',
  'proxy_password'
])

/** A derived 256-bit key and where it came from. Create with `deriveSecretKey`. */
export interface SecretKey {
  readonly source: 'SEED' | 'machine'
  /** @internal raw key bytes */
  readonly bytes: Uint8Array
}

/** What the machine-derived key is made of; injectable so tests can play different machines. */
export interface MachineIdentity { hostname: string, machineId: string }

/** Wrong key, corrupted or truncated ciphertext. The message names the config path, never the value. */
export class SecretDecryptError extends Error {
  constructor (readonly path: string, reason: string) {
    super(`${path !== '' ? `${path}: ` : ''}${reason}`)
    this.name = 'SecretDecryptError'
  }
}

const SALT = 'scimgateway-ts/config-secrets/v1'
const IV_BYTES = 12
const TAG_BYTES = 16

/**
 * Derives the secret key: from `seed` when given and non-empty, else from the machine identity.
 * Costs one scrypt (tens of ms): derive once per load, not per value.
 * @example const key = deriveSecretKey({ seed: process.env.SEED })
 */
export function deriveSecretKey (opts: { seed?: string | undefined, machine?: MachineIdentity } = {}): SecretKey {
  if (opts.seed !== undefined && opts.seed !== '') {
    return { source: 'SEED', bytes: scryptSync(opts.seed, `${SALT}/seed`, 32) }
  }
  const m = opts.machine ?? readMachineIdentity()
  return { source: 'machine', bytes: scryptSync(`${m.hostname}\n${m.machineId}`, `${SALT}/machine`, 32) }
}

/** This machine's identity: os.hostname() and /etc/machine-id (or dbus's copy; '' when neither exists). */
export function readMachineIdentity (): MachineIdentity {
  for (const file of ['/etc/machine-id', '/var/lib/dbus/machine-id']) {
    try {
      const id = readFileSync(file, 'utf8').trim()
      if (id !== '') return { hostname: hostname(), machineId: id }
    } catch { /* try the next one */ }
  }
  return { hostname: hostname(), machineId: '' }
}

/** True for a value in the encrypted form (by prefix: detection never needs the key). */
export function isEncrypted (value: unknown): value is string {
  return typeof value === 'string' && value.startsWith(ENCRYPTED_PREFIX)
}

/**
 * Encrypts a secret (random IV each time, so equal secrets give different ciphertexts).
 * @example encryptSecret('hunter2', key) // '{enc:v1}q1w2…'
 */
export function encryptSecret (plain: string, key: SecretKey): string {
  const iv = randomBytes(IV_BYTES)
  const cipher = createCipheriv('aes-256-gcm', key.bytes, iv)
  cipher.setAAD(Buffer.from(ENCRYPTED_PREFIX))
  const ct = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()])
  return ENCRYPTED_PREFIX + Buffer.concat([iv, cipher.getAuthTag(), ct]).toString('base64url')
}

/**
 * Decrypts a value made by `encryptSecret`. Throws SecretDecryptError naming `path` on a wrong key
 * or damaged value.
 */
export function decryptSecret (encrypted: string, key: SecretKey, path = ''): string {
  if (!isEncrypted(encrypted)) throw new SecretDecryptError(path, `not an encrypted value (expected the prefix ${ENCRYPTED_PREFIX})`)
  const raw = Buffer.from(encrypted.slice(ENCRYPTED_PREFIX.length), 'base64url')
  if (raw.length < IV_BYTES + TAG_BYTES) throw new SecretDecryptError(path, 'encrypted value is truncated')
  const decipher = createDecipheriv('aes-256-gcm', key.bytes, raw.subarray(0, IV_BYTES))
  decipher.setAAD(Buffer.from(ENCRYPTED_PREFIX))
  decipher.setAuthTag(raw.subarray(IV_BYTES, IV_BYTES + TAG_BYTES))
  try {
    return Buffer.concat([decipher.update(raw.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]).toString('utf8')
  } catch {
    const hint = key.source === 'SEED'
      ? 'the SEED differs from the one it was encrypted with'
      : 'SEED is not set and this machine\'s key differs from the one it was encrypted with (set the SEED it was encrypted with)'
    throw new SecretDecryptError(path, `cannot decrypt secret: wrong key or damaged value (${hint})`)
  }
}

/** True when the value at `path` is a secret: a key named in SECRET_KEY_NAMES. */
export function isSecretPath (path: readonly PathSegment[]): boolean {
  const last = path[path.length - 1]
  return typeof last === 'string' && SECRET_KEY_NAMES.has(last)
}

/**
 * True when a string at `path` should be encrypted at rest: a secret key, non-empty, not already
 * encrypted, and not a `process.env/file/text` reference (those stay as they are).
 */
export function needsEncryption (path: readonly PathSegment[], value: string): boolean {
  return isSecretPath(path) && value !== '' && !isEncrypted(value) && !isReference(value)
}
