// A small private PKI for tests that bring their own certificates (nats.server.certificate): a CA and
// server certificates it issues for given DNS names, as PEM text (node-forge for X.509, Node's crypto
// for RSA keys).
import { generateKeyPairSync, randomBytes } from 'node:crypto'
import forge from 'node-forge'

/** A certificate with its private key, PEM. */
export interface Issued { certPem: string, keyPem: string }

/** A CA that can issue server certificates. */
export interface TestCa extends Issued {
  issueServer (dnsNames: string[]): Issued
}

/** Creates a CA named `name`. */
export function createTestCa (name = 'Test CA'): TestCa {
  const ca = keyed()
  const caCert = base(ca.publicKey, 365)
  const subject = [{ name: 'commonName', value: name }]
  caCert.setSubject(subject)
  caCert.setIssuer(subject)
  caCert.setExtensions([{ name: 'basicConstraints', cA: true, critical: true }, { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true }])
  caCert.sign(ca.privateKey, forge.md.sha256.create())
  return {
    certPem: forge.pki.certificateToPem(caCert),
    keyPem: forge.pki.privateKeyToPem(ca.privateKey),
    issueServer (dnsNames) {
      const k = keyed()
      const cert = base(k.publicKey, 30)
      cert.setSubject([{ name: 'commonName', value: dnsNames[0] ?? 'server' }])
      cert.setIssuer(subject)
      cert.setExtensions([
        { name: 'basicConstraints', cA: false },
        { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
        { name: 'extKeyUsage', serverAuth: true },
        { name: 'subjectAltName', altNames: dnsNames.map(value => ({ type: 2, value })) }
      ])
      cert.sign(ca.privateKey, forge.md.sha256.create())
      return { certPem: forge.pki.certificateToPem(cert), keyPem: forge.pki.privateKeyToPem(k.privateKey) }
    }
  }
}

function keyed (): { publicKey: forge.pki.rsa.PublicKey, privateKey: forge.pki.rsa.PrivateKey } {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048, publicKeyEncoding: { type: 'spki', format: 'pem' }, privateKeyEncoding: { type: 'pkcs8', format: 'pem' } })
  return { publicKey: forge.pki.publicKeyFromPem(publicKey) as forge.pki.rsa.PublicKey, privateKey: forge.pki.privateKeyFromPem(privateKey) as forge.pki.rsa.PrivateKey }
}

function base (publicKey: forge.pki.rsa.PublicKey, days: number): forge.pki.Certificate {
  const cert = forge.pki.createCertificate()
  cert.publicKey = publicKey
  const serial = randomBytes(8)
  serial[0] = (serial[0] ?? 0) & 0x7f
  cert.serialNumber = serial.toString('hex')
  cert.validity.notBefore = new Date(Date.now() - 60_000)
  cert.validity.notAfter = new Date(Date.now() + days * 86_400_000)
  return cert
}
