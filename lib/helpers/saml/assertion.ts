// A SAML 2.0 assertion signed locally, for the OAuth 2.0 SAML2 bearer grant (RFC 7522): SAP
// SuccessFactors' `/oauth/token` and any other token endpoint that takes
// `grant_type=urn:ietf:params:oauth:grant-type:saml2-bearer`. The assertion is signed enveloped with
// RSA-SHA256 and exclusive c14n (xml-crypto); the signature sits right after <saml:Issuer>, where the
// SAML schema wants it. Values are XML-escaped; nothing here does I/O (keys are passed as PEM text).
import { randomUUID } from 'node:crypto'
import { SignedXml } from 'xml-crypto'

/** What goes into the assertion. */
export interface SamlAssertionOptions {
  /** <saml:Issuer> (SuccessFactors: the name the API client is registered with; SCIM Stream default "scim-stream"). */
  issuer: string
  /** <saml:Audience> of the AudienceRestriction. */
  audience: string
  /** <saml:NameID>: the user the token is for. */
  nameId: string
  /** NameID Format (default `urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified`). */
  nameIdFormat?: string
  /** SubjectConfirmationData Recipient (the token endpoint URL); omitted when absent. */
  recipient?: string
  /** Seconds the assertion is valid from `now`. */
  lifetimeSeconds: number
  /** PEM private key (PKCS#1 or PKCS#8) that signs. */
  privateKeyPem: string
  /** PEM certificate of that key, carried in KeyInfo/X509Data. */
  certificatePem: string
  /** Extra <saml:Attribute>s (SuccessFactors: `api_key` = client id). Values are strings. */
  attributes?: Readonly<Record<string, string | readonly string[]>>
  /** Seconds subtracted from `now` for NotBefore (clock skew; default 60). */
  skewSeconds?: number
  /** Assertion ID (default a fresh `_<uuid>`). */
  id?: string
}

export const SAML_NS = 'urn:oasis:names:tc:SAML:2.0:assertion'
export const NAMEID_UNSPECIFIED = 'urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified'
export const NAMEID_EMAIL = 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress'
const RSA_SHA256 = 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256'
const SHA256 = 'http://www.w3.org/2001/04/xmlenc#sha256'
const EXC_C14N = 'http://www.w3.org/2001/10/xml-exc-c14n#'
const ENVELOPED = 'http://www.w3.org/2000/09/xmldsig#enveloped-signature'

/**
 * Builds and signs the assertion; returns its XML (base64-encode it for the `assertion` form field).
 * @throws Error when the key cannot sign (bad PEM) or an option is empty
 * @example
 * const xml = createSamlAssertion({ issuer: 'scim-stream', audience: 'www.successfactors.com', nameId: 'apiuser',
 *   recipient: tokenUrl, lifetimeSeconds: 3600, privateKeyPem, certificatePem, attributes: { api_key: clientId } })
 */
export function createSamlAssertion (opts: SamlAssertionOptions, now: Date = new Date()): string {
  for (const k of ['issuer', 'audience', 'nameId', 'privateKeyPem', 'certificatePem'] as const) {
    if (opts[k].trim() === '') throw new Error(`SAML assertion: ${k} is empty`)
  }
  if (!(opts.lifetimeSeconds > 0)) throw new Error('SAML assertion: lifetimeSeconds must be > 0')
  const id = opts.id ?? `_${randomUUID()}`
  const issued = iso(now)
  const notBefore = iso(new Date(now.getTime() - (opts.skewSeconds ?? 60) * 1000))
  const notOnOrAfter = iso(new Date(now.getTime() + opts.lifetimeSeconds * 1000))
  const recipient = opts.recipient !== undefined && opts.recipient !== '' ? ` Recipient="${esc(opts.recipient)}"` : ''
  const attrs = Object.entries(opts.attributes ?? {}).map(([name, v]) => {
    const values = (typeof v === 'string' ? [v] : v).map(x => `<saml:AttributeValue xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="xs:string">${esc(x)}</saml:AttributeValue>`)
    return `<saml:Attribute Name="${esc(name)}">${values.join('')}</saml:Attribute>`
  })
  const xml = `<saml:Assertion xmlns:saml="${SAML_NS}" ID="${esc(id)}" IssueInstant="${issued}" Version="2.0">` +
    `<saml:Issuer>${esc(opts.issuer)}</saml:Issuer>` +
    '<saml:Subject>' +
    `<saml:NameID Format="${esc(opts.nameIdFormat ?? NAMEID_UNSPECIFIED)}">${esc(opts.nameId)}</saml:NameID>` +
    '<saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer">' +
    `<saml:SubjectConfirmationData NotOnOrAfter="${notOnOrAfter}"${recipient}/>` +
    '</saml:SubjectConfirmation>' +
    '</saml:Subject>' +
    `<saml:Conditions NotBefore="${notBefore}" NotOnOrAfter="${notOnOrAfter}">` +
    `<saml:AudienceRestriction><saml:Audience>${esc(opts.audience)}</saml:Audience></saml:AudienceRestriction>` +
    '</saml:Conditions>' +
    `<saml:AuthnStatement AuthnInstant="${issued}" SessionNotOnOrAfter="${notOnOrAfter}">` +
    '<saml:AuthnContext><saml:AuthnContextClassRef>urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport</saml:AuthnContextClassRef></saml:AuthnContext>' +
    '</saml:AuthnStatement>' +
    (attrs.length > 0 ? `<saml:AttributeStatement>${attrs.join('')}</saml:AttributeStatement>` : '') +
    '</saml:Assertion>'
  const sig = new SignedXml({
    privateKey: opts.privateKeyPem,
    publicCert: opts.certificatePem,
    signatureAlgorithm: RSA_SHA256,
    canonicalizationAlgorithm: EXC_C14N
  })
  // The reference names the assertion by its ID (not "the document"), so a verifier can check that the
  // signed element is the assertion it reads — the usual defence against signature wrapping.
  sig.addReference({ xpath: `/*[local-name(.)='Assertion' and @ID='${id}']`, transforms: [ENVELOPED, EXC_C14N], digestAlgorithm: SHA256 })
  sig.computeSignature(xml, { prefix: 'ds', location: { reference: "/*[local-name(.)='Assertion']/*[local-name(.)='Issuer']", action: 'after' } })
  return sig.getSignedXml()
}

function iso (d: Date): string {
  // SAML wants xs:dateTime in UTC; milliseconds are allowed but some servers choke on them.
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z')
}

function esc (s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;')
}
