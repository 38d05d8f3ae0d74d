// Mutual TLS: a principal from the client certificate the TLS server verified against its CAs
// (`certificate.ca` with requestCert). Each entry names the certificates it admits by subject common
// name, full subject or SHA-256 fingerprint, with the usual readOnly/baseEntities.
import type { AccessEntry, Authenticator, AuthResult } from './types.ts'

export interface ClientCertificateEntry extends AccessEntry {
  /** Subject CN to accept (e.g. "idp-client"). */
  commonName?: string | undefined
  /** Whole subject as the certificate lists it (e.g. "C=NO, O=Example, CN=idp-client"). */
  subject?: string | undefined
  /** SHA-256 fingerprint, `AA:BB:…` (case and colons ignored). */
  fingerprint256?: string | undefined
}

/**
 * Authenticates by verified client certificate; skips requests without one, so other methods apply.
 * @example clientCertificateAuthenticator([{ commonName: 'entra-provisioning', baseEntities: ['clientA'] }])
 */
export function clientCertificateAuthenticator (entries: readonly ClientCertificateEntry[]): Authenticator {
  const hex = (s: string): string => s.replace(/:/g, '').toUpperCase()
  return {
    scheme: 'Bearer',
    authenticate (req): AuthResult {
      const cert = req.clientCertificate
      if (cert === undefined) return { kind: 'skip' }
      // an explicit Authorization header is the caller's choice: let the other methods judge it
      if (req.authorization !== undefined) return { kind: 'skip' }
      const found = entries.find(e =>
        (e.commonName !== undefined || e.subject !== undefined || e.fingerprint256 !== undefined) &&
        (e.commonName === undefined || e.commonName === cert.commonName) &&
        (e.subject === undefined || e.subject === cert.subject) &&
        (e.fingerprint256 === undefined || hex(e.fingerprint256) === hex(cert.fingerprint256)))
      if (found === undefined) return { kind: 'fail', reason: `client certificate "${cert.subject.slice(0, 200)}" is not admitted` }
      return {
        kind: 'ok',
        principal: { name: cert.commonName ?? cert.subject, method: 'clientCertificate', readOnly: found.readOnly === true, baseEntities: found.baseEntities ?? [] }
      }
    }
  }
}
