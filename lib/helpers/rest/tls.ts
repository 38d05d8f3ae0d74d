// TLS material of a connection: PEM text given inline or file names (relative names resolve
// against the certs directory, `config/certs` as in scimgateway), read once when the client is made
// so a missing file is a config error at start, not a failure on the first request.
import { readFileSync } from 'node:fs'
import { isAbsolute, join } from 'node:path'
import type { ConnectionOptions } from 'node:tls'
import { RestError } from './errors.ts'
import type { TlsConfig } from './config.ts'

/** Reads a PEM value: inline PEM as is, otherwise the file (relative to `certsDir`). */
export function readPem (value: string, certsDir: string, what: string): string {
  if (value.includes('-----BEGIN')) return value
  return readFile(value, certsDir, what).toString('utf8')
}

/** Reads a file (relative to `certsDir`); a missing or unreadable file is a `config` RestError. */
export function readFile (name: string, certsDir: string, what: string): Buffer {
  const file = isAbsolute(name) ? name : join(certsDir, name)
  try {
    return readFileSync(file)
  } catch (e) {
    const code = (e as { code?: unknown }).code
    throw new RestError(`${what}: cannot read ${file}${typeof code === 'string' ? ` (${code})` : ''}`, { kind: 'config', cause: e })
  }
}

/** Node TLS connect options (for undici's `connect`) from a `tls` config section. */
export function tlsConnectOptions (tls: TlsConfig | undefined, certsDir: string, where: string): ConnectionOptions {
  if (tls === undefined) return {}
  const out: ConnectionOptions = {}
  if (tls.ca !== undefined) out.ca = (Array.isArray(tls.ca) ? tls.ca : [tls.ca]).map(c => readPem(c, certsDir, `${where}.ca`))
  if (tls.cert !== undefined) out.cert = readPem(tls.cert, certsDir, `${where}.cert`)
  if (tls.key !== undefined) out.key = readPem(tls.key, certsDir, `${where}.key`)
  if (tls.pfx !== undefined) out.pfx = readFile(tls.pfx, certsDir, `${where}.pfx`)
  if (tls.passphrase !== undefined) out.passphrase = tls.passphrase
  if (tls.rejectUnauthorized !== undefined) out.rejectUnauthorized = tls.rejectUnauthorized
  if (tls.servername !== undefined) out.servername = tls.servername
  return out
}
