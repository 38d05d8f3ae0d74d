// TLS material of the builtin NATS server: a private CA and a server certificate signed by it,
// as PEM files in one directory. Pure JS (node-forge for X.509, Node's crypto for RSA keys) so no
// openssl binary is needed. Existing files are reused; the server certificate alone is re-issued when
// it expires soon or lacks a configured host name, so subscribers keep trusting the same CA file.
import { generateKeyPairSync, randomBytes } from 'node:crypto'
import { mkdir, readFile, writeFile, access } from 'node:fs/promises'
import { isIP } from 'node:net'
import { join } from 'node:path'
import forge from 'node-forge'
/** Paths of the PEM files (key files are mode 0600). */
export interface TlsFiles {
  caFile: string
  caKeyFile: string
  certFile: string
  keyFile: string
}

/** Options of {@link ensureTlsFiles}. */
export interface TlsOptions {
  /** Extra DNS names or IP addresses for the server certificate (localhost, 127.0.0.1, ::1 always). */
  hosts?: string[]
  /** Validity of a new server certificate in days (default 825); the CA gets 10 years. */
  validDays?: number
}

const DEFAULT_HOSTS = ['localhost', '127.0.0.1', '::1']
const RENEW_BEFORE_MS = 30 * 24 * 3600 * 1000
const DAY_MS = 24 * 3600 * 1000
const { pki } = forge

interface CertAndKey { cert: forge.pki.Certificate, key: forge.pki.rsa.PrivateKey }

/**
 * Makes sure `dir` holds ca.pem, ca-key.pem, server-cert.pem and server-key.pem; creates what is
 * missing and returns the paths.
 * @example const tls = await ensureTlsFiles('/var/lib/scim-stream/certs', { hosts: ['nats.example.com'] })
 */
export async function ensureTlsFiles (dir: string, opts: TlsOptions = {}): Promise<TlsFiles> {
  const files: TlsFiles = {
    caFile: join(dir, 'ca.pem'),
    caKeyFile: join(dir, 'ca-key.pem'),
    certFile: join(dir, 'server-cert.pem'),
    keyFile: join(dir, 'server-key.pem')
  }
  const hosts = [...new Set([...DEFAULT_HOSTS, ...(opts.hosts ?? [])])]
  await mkdir(dir, { recursive: true, mode: 0o700 })
  let ca: CertAndKey
  if (await exists(files.caFile) && await exists(files.caKeyFile)) {
    ca = {
      cert: pki.certificateFromPem(await readFile(files.caFile, 'utf8')),
      key: pki.privateKeyFromPem(await readFile(files.caKeyFile, 'utf8'))
    }
    if (await exists(files.certFile) && await exists(files.keyFile)) {
      const current = pki.certificateFromPem(await readFile(files.certFile, 'utf8'))
      if (certificateCovers(current, hosts)) return files
    }
  } else {
    ca = createCa()
    await writeFile(files.caFile, pki.certificateToPem(ca.cert))
    await writeFile(files.caKeyFile, pki.privateKeyToPem(ca.key), { mode: 0o600 })
  }
  const server = createServerCert(ca, hosts, opts.validDays ?? 825)
  await writeFile(files.certFile, pki.certificateToPem(server.cert))
  await writeFile(files.keyFile, pki.privateKeyToPem(server.key), { mode: 0o600 })
  return files
}

/** True when `cert` is valid for at least 30 more days and names every host in its SANs. */
export function certificateCovers (cert: forge.pki.Certificate, hosts: string[]): boolean {
  if (cert.validity.notAfter.getTime() - Date.now() < RENEW_BEFORE_MS) return false
  const san = cert.getExtension('subjectAltName') as { altNames?: { type: number, value?: string, ip?: string }[] } | undefined
  const names = new Set((san?.altNames ?? []).map(n => (n.ip ?? n.value ?? '').toLowerCase()))
  return hosts.every(h => names.has(h.toLowerCase()))
}

function createCa (): CertAndKey {
  const keys = rsaKeys()
  const cert = baseCert(keys.publicKey, 10 * 365)
  const subject = [{ name: 'commonName', value: 'SCIM-Stream NATS CA' }]
  cert.setSubject(subject)
  cert.setIssuer(subject)
  cert.setExtensions([
    { name: 'basicConstraints', cA: true, pathLenConstraint: 0, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
    { name: 'subjectKeyIdentifier' }
  ])
  cert.sign(keys.privateKey, forge.md.sha256.create())
  return { cert, key: keys.privateKey }
}

function createServerCert (ca: CertAndKey, hosts: string[], days: number): CertAndKey {
  const keys = rsaKeys()
  const cert = baseCert(keys.publicKey, days)
  cert.setSubject([{ name: 'commonName', value: 'SCIM-Stream' }])
  cert.setIssuer(ca.cert.subject.attributes)
  cert.setExtensions([
    { name: 'basicConstraints', cA: false, critical: true },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', serverAuth: true },
    // type 2 = dNSName, 7 = iPAddress (forge encodes `ip` for IPv4 and IPv6)
    { name: 'subjectAltName', altNames: hosts.map(h => (isIP(h) !== 0 ? { type: 7, ip: h } : { type: 2, value: h })) },
    { name: 'subjectKeyIdentifier' },
    { name: 'authorityKeyIdentifier', keyIdentifier: ca.cert.generateSubjectKeyIdentifier().getBytes() }
  ])
  cert.sign(ca.key, forge.md.sha256.create())
  return { cert, key: keys.privateKey }
}

function baseCert (publicKey: forge.pki.rsa.PublicKey, days: number): forge.pki.Certificate {
  const cert = pki.createCertificate()
  cert.publicKey = publicKey
  // positive 128-bit serial (leading byte < 0x80)
  const serial = randomBytes(16)
  serial[0] = (serial[0] ?? 0) & 0x7f
  cert.serialNumber = serial.toString('hex')
  const now = Date.now()
  cert.validity.notBefore = new Date(now - 60_000)
  cert.validity.notAfter = new Date(now + days * DAY_MS)
  return cert
}

/** RSA 2048 generated natively (fast), handed to forge as PEM. */
function rsaKeys (): { publicKey: forge.pki.rsa.PublicKey, privateKey: forge.pki.rsa.PrivateKey } {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' }
  })
  return {
    publicKey: pki.publicKeyFromPem(publicKey) as forge.pki.rsa.PublicKey,
    privateKey: pki.privateKeyFromPem(privateKey) as forge.pki.rsa.PrivateKey
  }
}

async function exists (p: string): Promise<boolean> {
  try { await access(p); return true } catch { return false }
}
