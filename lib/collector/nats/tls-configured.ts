// `nats.server.certificate` of the SCIM Stream config: the builtin server uses the operator's own
// certificate files (certfile, keyfile, cafile, in the config's certs directory unless absolute)
// instead of generating them. They are checked before the server starts — readable PEM, the key
// belonging to the certificate, the certificate issued by the CA — so a mistake is a clear start
// error, not a TLS failure later. When the certificate does not name localhost/127.0.0.1, the
// service's own connections to the local server verify it under its first DNS name instead.
import { X509Certificate, createPrivateKey } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { isAbsolute, join } from 'node:path'

/** The configured file names (documented defaults cert.pem, key.pem, ca.pem). */
export interface CertificateNames {
  certfile: string
  keyfile: string
  cafile: string
}

/** TLS files of the server, and the name the local client verifies it under when not its address. */
export interface ServerTlsFiles {
  certFile: string
  keyFile: string
  caFile: string
  /** TLS server name for local clients (undefined: the certificate names localhost/127.0.0.1). */
  servername?: string
}

/** A problem with one of the files: `key` is certfile, keyfile or cafile. */
export class CertificateFileError extends Error {
  constructor (readonly key: keyof CertificateNames, message: string) {
    super(message)
    this.name = 'CertificateFileError'
  }
}

/**
 * Resolves and checks the configured files.
 * @throws CertificateFileError naming the key and the problem
 * @example const tls = loadConfiguredTls('/etc/scim-stream/certs', { certfile: 'nats.pem', keyfile: 'nats-key.pem', cafile: 'ca.pem' })
 */
export function loadConfiguredTls (certDir: string, names: CertificateNames): ServerTlsFiles {
  const path = (n: string): string => isAbsolute(n) ? n : join(certDir, n)
  const files = { certFile: path(names.certfile), keyFile: path(names.keyfile), caFile: path(names.cafile) }
  const cert = x509(files.certFile, 'certfile')
  const ca = x509(files.caFile, 'cafile')
  let key
  try {
    key = createPrivateKey(read(files.keyFile, 'keyfile'))
  } catch (err) {
    if (err instanceof CertificateFileError) throw err
    throw new CertificateFileError('keyfile', `${files.keyFile} holds no usable private key (${(err as Error).message})`)
  }
  if (!cert.checkPrivateKey(key)) throw new CertificateFileError('keyfile', `${files.keyFile} is not the key of ${files.certFile}`)
  if (!cert.checkIssued(ca) || !cert.verify(ca.publicKey)) throw new CertificateFileError('cafile', `${files.certFile} is not issued by the CA in ${files.caFile} (subscribers verify the server with that CA)`)
  if (Date.parse(cert.validTo) <= Date.now()) throw new CertificateFileError('certfile', `${files.certFile} expired on ${cert.validTo}`)
  const local = cert.checkHost('localhost') !== undefined || cert.checkIP('127.0.0.1') !== undefined
  const dns = /DNS:([^,\s]+)/.exec(cert.subjectAltName ?? '')?.[1]
  return { ...files, ...(!local && dns !== undefined ? { servername: dns } : {}) }
}

function read (file: string, key: keyof CertificateNames): string {
  try {
    return readFileSync(file, 'utf8')
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    throw new CertificateFileError(key, `${file} cannot be read (${code === 'ENOENT' ? 'no such file; files named in nats.server.certificate must exist — remove the key to have them generated' : code ?? (err as Error).message})`)
  }
}

function x509 (file: string, key: keyof CertificateNames): X509Certificate {
  const pem = read(file, key)
  try {
    return new X509Certificate(pem)
  } catch (err) {
    throw new CertificateFileError(key, `${file} holds no X.509 certificate (${(err as Error).message})`)
  }
}
