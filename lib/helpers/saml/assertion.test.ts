// The SAML assertion builder against the relying-party verifier of the tests
// (test/support/saml-verifier.ts): a signed assertion verifies with the certificate and says what was
// asked; any change after signing, another certificate, an expired or not yet valid assertion, a
// wrong audience or recipient, and a signature moved onto a wrapped copy are all refused.
import { test, describe } from 'node:test'
import assert from 'node:assert/strict'
import { createSamlAssertion, NAMEID_EMAIL, type SamlAssertionOptions } from './assertion.ts'
import { makeSigningKeyPair, verifySamlAssertion, SamlRejected } from '../../../test/support/saml-verifier.ts'

const keys = makeSigningKeyPair('signer')
const other = makeSigningKeyPair('someone else')
const T0 = new Date('2026-06-01T10:00:00Z')
const base: SamlAssertionOptions = {
  issuer: 'scim-stream', audience: 'www.successfactors.com', nameId: 'sfapi & <admin>', recipient: 'https://api.sf.test/oauth/token',
  lifetimeSeconds: 600, privateKeyPem: keys.keyPem, certificatePem: keys.certPem, attributes: { api_key: 'KEY-1', roles: ['a', 'b'] }
}
const expect = { certificatePem: keys.certPem, audience: 'www.successfactors.com', recipient: 'https://api.sf.test/oauth/token', now: new Date(T0.getTime() + 1000) }

describe('createSamlAssertion', () => {
  test('verifies with the certificate and carries issuer, NameID, format and attributes', () => {
    const xml = createSamlAssertion({ ...base, nameIdFormat: NAMEID_EMAIL }, T0)
    const a = verifySamlAssertion(xml, expect)
    assert.equal(a.issuer, 'scim-stream')
    assert.equal(a.nameId, 'sfapi & <admin>')
    assert.equal(a.nameIdFormat, NAMEID_EMAIL)
    assert.deepEqual(a.attributes, { api_key: ['KEY-1'], roles: ['a', 'b'] })
    assert.match(xml, /rsa-sha256/)
    assert.match(xml, /xml-exc-c14n#/)
  })

  const rejected: Array<[string, (xml: string) => string, Partial<typeof expect>, RegExp]> = [
    ['a changed NameID', xml => xml.replace('sfapi &amp; &lt;admin&gt;', 'root'), {}, /invalid signature|digest/i],
    ['a changed audience', xml => xml.replace('<saml:Audience>www.successfactors.com', '<saml:Audience>evil'), { audience: 'evil' }, /invalid signature|digest/i],
    ['another certificate', xml => xml, { certificatePem: other.certPem }, /invalid signature/i],
    ['expired', xml => xml, { now: new Date(T0.getTime() + 601_000) }, /expired/],
    ['not yet valid', xml => xml, { now: new Date(T0.getTime() - 3_600_000) }, /not yet valid/],
    ['the wrong audience', xml => xml, { audience: 'scim-stream' }, /wrong audience/],
    ['the wrong recipient', xml => xml, { recipient: 'https://other.test/oauth/token' }, /wrong recipient/]
  ]
  for (const [name, tamper, exp, reason] of rejected) {
    test(`refuses ${name}`, () => {
      const xml = tamper(createSamlAssertion(base, T0))
      assert.throws(() => verifySamlAssertion(xml, { ...expect, ...exp }), (err: Error) => err instanceof SamlRejected && reason.test(err.message))
    })
  }

  test('refuses a signature wrapped around a forged assertion', () => {
    const good = createSamlAssertion(base, T0)
    const sig = /<ds:Signature[\s\S]*<\/ds:Signature>/.exec(good)?.[0] ?? ''
    // A forged assertion (other ID) that carries the genuine signature of the original.
    const forged = createSamlAssertion({ ...base, nameId: 'root', id: '_forged' }, T0).replace(/<ds:Signature[\s\S]*<\/ds:Signature>/, sig)
    assert.throws(() => verifySamlAssertion(forged, expect), SamlRejected)
  })

  test('a bad key or empty option is an error, not an unsigned assertion', () => {
    assert.throws(() => createSamlAssertion({ ...base, privateKeyPem: 'not a key' }, T0))
    assert.throws(() => createSamlAssertion({ ...base, nameId: ' ' }, T0), /nameId is empty/)
    assert.throws(() => createSamlAssertion({ ...base, lifetimeSeconds: 0 }, T0), /lifetimeSeconds/)
  })
})
