// The relying side of the SAML2 bearer grant, for the token endpoint emulators: verifies a signed
// SAML 2.0 assertion the way a server such as SuccessFactors must — the signature checked with the
// REGISTERED certificate (never the one in KeyInfo), the signed reference being the assertion itself
// (no wrapping), RSA-SHA256 with exclusive c14n, then the conditions read from the signed XML only:
// time window, audience, recipient. Plus a helper that makes an RSA key pair with a self-signed
// certificate (PEM) for tests.
import { generateKeyPairSync, randomBytes } from 'node:crypto'
import { DOMParser, type Element } from '@xmldom/xmldom'
import { SignedXml } from 'xml-crypto'
import forge from 'node-forge'

const DSIG = 'http://www.w3.org/2000/09/xmldsig#'
const SAML = 'urn:oasis:names:tc:SAML:2.0:assertion'

/** What the verifier expects. */
export interface SamlExpectations {
  certificatePem: string
  audience: string
  /** Expected SubjectConfirmationData Recipient (when set). */
  recipient?: string
  now?: Date
  /** Allowed clock skew in seconds (default 0: the tests want exact rejections). */
  skewSeconds?: number
}

/** A verified assertion's content. */
export interface VerifiedAssertion {
  issuer: string
  nameId: string
  nameIdFormat: string
  attributes: Record<string, string[]>
}

/** Why an assertion was refused. */
export class SamlRejected extends Error {
  override name = 'SamlRejected'
}

/**
 * Verifies `xml` and returns what it asserts.
 * @throws SamlRejected with the reason (bad signature, expired, wrong audience, …)
 */
export function verifySamlAssertion (xml: string, exp: SamlExpectations): VerifiedAssertion {
  const doc = new DOMParser().parseFromString(xml, 'text/xml')
  const root = doc.documentElement
  if (root === null || root.localName !== 'Assertion' || root.namespaceURI !== SAML) throw new SamlRejected('not a SAML 2.0 Assertion')
  const sigs = root.getElementsByTagNameNS(DSIG, 'Signature')
  if (sigs.length !== 1) throw new SamlRejected(`expected one signature, found ${sigs.length}`)
  const sigNode = sigs.item(0)
  if (sigNode === null || sigNode.parentNode !== root) throw new SamlRejected('the signature is not a child of the assertion')
  const verifier = new SignedXml({ publicCert: exp.certificatePem, getCertFromKeyInfo: () => null })
  verifier.loadSignature(sigNode.toString())
  let ok = false
  try {
    ok = verifier.checkSignature(xml)
  } catch (err) {
    throw new SamlRejected(`signature check failed: ${(err as Error).message}`)
  }
  if (!ok) throw new SamlRejected('invalid signature')
  const sigXml = sigNode.toString()
  if (!sigXml.includes('Algorithm="http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"')) throw new SamlRejected('not signed with RSA-SHA256')
  if (!sigXml.includes('CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"')) throw new SamlRejected('not exclusive c14n')
  const id = root.getAttribute('ID')
  if (id === null || !sigXml.includes(`URI="#${id}"`)) throw new SamlRejected('the signature does not reference this assertion')
  const signed = verifier.getSignedReferences()
  if (signed.length !== 1) throw new SamlRejected('expected exactly one signed reference')
  // Read everything from the signed, canonical XML — never from the document that came in.
  const a = new DOMParser().parseFromString(signed[0] as string, 'text/xml').documentElement
  if (a === null) throw new SamlRejected('signed reference unreadable')
  const one = (name: string): Element | undefined => a.getElementsByTagNameNS(SAML, name).item(0) ?? undefined
  const now = (exp.now ?? new Date()).getTime()
  const skew = (exp.skewSeconds ?? 0) * 1000
  const conditions = one('Conditions')
  const notBefore = Date.parse(conditions?.getAttribute('NotBefore') ?? '')
  const notOnOrAfter = Date.parse(conditions?.getAttribute('NotOnOrAfter') ?? '')
  if (!Number.isFinite(notBefore) || !Number.isFinite(notOnOrAfter)) throw new SamlRejected('Conditions without NotBefore/NotOnOrAfter')
  if (now + skew < notBefore) throw new SamlRejected('assertion not yet valid')
  if (now - skew >= notOnOrAfter) throw new SamlRejected('assertion expired')
  const audiences = [...iter(a.getElementsByTagNameNS(SAML, 'Audience'))].map(e => e.textContent ?? '')
  if (!audiences.includes(exp.audience)) throw new SamlRejected(`wrong audience ${JSON.stringify(audiences)}, expected ${exp.audience}`)
  const scd = one('SubjectConfirmationData')
  const scdEnd = Date.parse(scd?.getAttribute('NotOnOrAfter') ?? '')
  if (Number.isFinite(scdEnd) && now - skew >= scdEnd) throw new SamlRejected('subject confirmation expired')
  if (exp.recipient !== undefined && scd?.getAttribute('Recipient') !== exp.recipient) throw new SamlRejected(`wrong recipient ${scd?.getAttribute('Recipient') ?? '(none)'}`)
  const nameIdEl = one('NameID')
  const attributes: Record<string, string[]> = {}
  for (const at of iter(a.getElementsByTagNameNS(SAML, 'Attribute'))) {
    attributes[at.getAttribute('Name') ?? ''] = [...iter(at.getElementsByTagNameNS(SAML, 'AttributeValue'))].map(v => v.textContent ?? '')
  }
  return {
    issuer: one('Issuer')?.textContent ?? '',
    nameId: nameIdEl?.textContent ?? '',
    nameIdFormat: nameIdEl?.getAttribute('Format') ?? '',
    attributes
  }
}

/** An RSA-2048 key (PKCS#8 PEM) and a self-signed certificate for it (PEM), valid `days` from now. */
export function makeSigningKeyPair (commonName = 'scim-stream test', days = 30): { keyPem: string, certPem: string } {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' }
  })
  const cert = forge.pki.createCertificate()
  cert.publicKey = forge.pki.publicKeyFromPem(publicKey)
  const serial = randomBytes(8)
  serial[0] = (serial[0] ?? 0) & 0x7f
  cert.serialNumber = serial.toString('hex')
  cert.validity.notBefore = new Date(Date.now() - 60_000)
  cert.validity.notAfter = new Date(Date.now() + days * 86_400_000)
  cert.setSubject([{ name: 'commonName', value: commonName }])
  cert.setIssuer([{ name: 'commonName', value: commonName }])
  cert.sign(forge.pki.privateKeyFromPem(privateKey) as forge.pki.rsa.PrivateKey, forge.md.sha256.create())
  return { keyPem: privateKey, certPem: forge.pki.certificateToPem(cert) }
}

function * iter<T> (list: { length: number, item: (i: number) => T | null }): Generator<T> {
  for (let i = 0; i < list.length; i++) {
    const v = list.item(i)
    if (v !== null) yield v
  }
}
