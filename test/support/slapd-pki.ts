// Test-only X.509 material for the throwaway slapd: a CA and a server certificate for 127.0.0.1 /
// localhost, made with node-forge (RSA keys from node:crypto, which is much faster than forge's).
import { generateKeyPairSync, randomBytes } from 'node:crypto'
import forge from 'node-forge'

export interface SlapdPki {
  caPem: string
  certPem: string
  keyPem: string
}

const { pki } = forge

function rsa (): forge.pki.rsa.PrivateKey {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
  return pki.privateKeyFromPem(privateKey.export({ type: 'pkcs1', format: 'pem' }).toString()) as forge.pki.rsa.PrivateKey
}

function sign (subject: string, issuer: string, pub: forge.pki.PublicKey, issuerKey: forge.pki.rsa.PrivateKey, ext: object[]): forge.pki.Certificate {
  const c = pki.createCertificate()
  c.publicKey = pub
  c.serialNumber = '01' + randomBytes(8).toString('hex')
  c.validity.notBefore = new Date(Date.now() - 60_000)
  c.validity.notAfter = new Date(Date.now() + 7 * 24 * 3600_000)
  c.setSubject([{ name: 'commonName', value: subject }])
  c.setIssuer([{ name: 'commonName', value: issuer }])
  c.setExtensions(ext)
  c.sign(issuerKey, forge.md.sha256.create())
  return c
}

/** A fresh CA and a server certificate (SAN 127.0.0.1 and localhost) signed by it. */
export function makeSlapdPki (): SlapdPki {
  const caName = `slapd test CA ${randomBytes(4).toString('hex')}`
  const caKey = rsa()
  const ca = sign(caName, caName, pki.setRsaPublicKey(caKey.n, caKey.e), caKey, [
    { name: 'basicConstraints', cA: true, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true }
  ])
  const key = rsa()
  const cert = sign('127.0.0.1', caName, pki.setRsaPublicKey(key.n, key.e), caKey, [
    { name: 'subjectAltName', altNames: [{ type: 7, ip: '127.0.0.1' }, { type: 2, value: 'localhost' }] },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
    { name: 'extKeyUsage', serverAuth: true }
  ])
  return { caPem: pki.certificateToPem(ca), certPem: pki.certificateToPem(cert), keyPem: pki.privateKeyToPem(key) }
}
