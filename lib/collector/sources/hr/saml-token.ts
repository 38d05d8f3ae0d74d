// `auth.oauth_saml_assertion` of the HR collector (SAP SuccessFactors): the key files (read and
// checked once at start: checkSamlFiles reports a missing or unusable file with its config path before
// anything runs) and the SAML 2.0 assertion the REST client (lib/helpers/rest, auth.type
// oauthSamlBearer) exchanges at `token_url` with the SAML2 bearer grant plus `client_id` and
// `company_id`. A fresh assertion is signed for every token request, so its short life_time never
// outlives the request.
import { X509Certificate, createPrivateKey, createPublicKey } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { isAbsolute, join } from 'node:path'
import { createSamlAssertion, NAMEID_EMAIL, NAMEID_UNSPECIFIED } from '../../../helpers/saml/assertion.ts'
import type { SamlAssertionProvider } from '../../../helpers/rest/index.ts'
import type { HrSamlConfig } from './config.ts'

export const SAML2_BEARER_GRANT = 'urn:ietf:params:oauth:grant-type:saml2-bearer'

/** The PEM texts of the signing key and its certificate. */
export interface SamlKeys {
  privateKeyPem: string
  certificatePem: string
}

/** Where a relative key_file / cert_file is (the config's `certs` directory). */
export function samlFilePath (certDir: string, file: string): string {
  return isAbsolute(file) ? file : join(certDir, file)
}

/**
 * Reads and checks key_file and cert_file: both readable PEM, the key private, the certificate
 * X.509, and the two belonging together.
 * @throws Error naming the file and what is wrong with it
 */
export function loadSamlKeys (cfg: HrSamlConfig, certDir: string): SamlKeys {
  const keyPath = samlFilePath(certDir, cfg.key_file)
  const certPath = samlFilePath(certDir, cfg.cert_file)
  const privateKeyPem = readText(keyPath, 'key_file')
  const certificatePem = readText(certPath, 'cert_file')
  let key
  try {
    key = createPrivateKey(privateKeyPem)
  } catch (err) {
    throw new Error(`key_file ${keyPath} holds no usable private key (${(err as Error).message})`)
  }
  if (key.asymmetricKeyType !== 'rsa') throw new Error(`key_file ${keyPath}: an RSA key is needed for RSA-SHA256 signatures, got ${key.asymmetricKeyType ?? 'unknown'}`)
  let cert
  try {
    cert = new X509Certificate(certificatePem)
  } catch (err) {
    throw new Error(`cert_file ${certPath} holds no X.509 certificate (${(err as Error).message})`)
  }
  const fromKey = createPublicKey(key).export({ type: 'spki', format: 'der' })
  const fromCert = cert.publicKey.export({ type: 'spki', format: 'der' })
  if (!fromKey.equals(fromCert)) throw new Error(`key_file ${keyPath} and cert_file ${certPath} do not belong together (different public keys)`)
  return { privateKeyPem, certificatePem }
}

/** The problems with the key files, as `{ path, message }` below the tenant section (none when usable). */
export function checkSamlFiles (cfg: HrSamlConfig, certDir: string): Array<{ path: string, message: string }> {
  try {
    loadSamlKeys(cfg, certDir)
    return []
  } catch (err) {
    const msg = (err as Error).message
    return [{ path: `auth.oauth_saml_assertion.${msg.startsWith('cert_file') ? 'cert_file' : 'key_file'}`, message: msg }]
  }
}

/**
 * The assertion maker of the REST client for this config: signed with the configured key, the API key
 * (client id), company and identifier format as attributes, as SuccessFactors reads them.
 * @example createRestClient(connection, { samlAssertion: hrSamlAssertion(cfg.auth.oauth_saml_assertion) })
 */
export function hrSamlAssertion (cfg: HrSamlConfig, now: () => Date = () => new Date()): SamlAssertionProvider {
  return (req) => createSamlAssertion({
    issuer: req.issuer,
    audience: req.audience,
    nameId: req.nameId,
    nameIdFormat: cfg.user_identifier_format === 'email' ? NAMEID_EMAIL : NAMEID_UNSPECIFIED,
    recipient: req.recipient,
    lifetimeSeconds: req.lifetimeS,
    privateKeyPem: req.key,
    certificatePem: req.cert,
    // SuccessFactors reads the API key from the assertion's api_key attribute.
    attributes: { api_key: cfg.client_id, company_id: cfg.company_id, user_identifier_format: cfg.user_identifier_format }
  }, now())
}

function readText (file: string, key: string): string {
  try {
    return readFileSync(file, 'utf8')
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    throw new Error(`${key} ${file} cannot be read (${code === 'ENOENT' ? 'no such file' : code ?? (err as Error).message})`)
  }
}
