// `auth.oauth_saml_assertion` of the HR collector (SAP SuccessFactors): a SAML 2.0 assertion signed
// with the configured key (lib/helpers/saml) is exchanged at `token_url` with the SAML2 bearer grant
// (RFC 7522) plus SuccessFactors' `client_id` and `company_id`. A fresh assertion is signed for every
// token request, so its short life_time never outlives the request. The key files are read once at
// start (checkSamlFiles reports a missing or unusable file with its config path before anything runs).
import { X509Certificate, createPrivateKey, createPublicKey } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { isAbsolute, join } from 'node:path'
import { createSamlAssertion, NAMEID_EMAIL, NAMEID_UNSPECIFIED } from '../../../helpers/saml/assertion.ts'
import type { HrSamlConfig } from './config.ts'
import { postTokenForm, type TokenAnswer } from './token.ts'

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
 * Signs an assertion and exchanges it for an access token.
 * @example const { token, expiresIn } = await requestSamlToken(cfg, keys, 'https://api.sf.example', fetch, 30_000, signal)
 */
export async function requestSamlToken (cfg: HrSamlConfig, keys: SamlKeys, baseUrl: string, f: typeof fetch, timeoutMs: number, signal: AbortSignal, now = new Date()): Promise<TokenAnswer> {
  const url = new URL(cfg.token_url, `${baseUrl}/`).toString()
  const assertion = createSamlAssertion({
    issuer: cfg.issuer,
    audience: cfg.audience,
    nameId: cfg.name_id,
    nameIdFormat: cfg.user_identifier_format === 'email' ? NAMEID_EMAIL : NAMEID_UNSPECIFIED,
    recipient: url,
    lifetimeSeconds: cfg.life_time,
    privateKeyPem: keys.privateKeyPem,
    certificatePem: keys.certificatePem,
    // SuccessFactors reads the API key from the assertion's api_key attribute.
    attributes: { api_key: cfg.client_id, company_id: cfg.company_id, user_identifier_format: cfg.user_identifier_format }
  }, now)
  const form = new URLSearchParams({
    grant_type: SAML2_BEARER_GRANT,
    client_id: cfg.client_id,
    company_id: cfg.company_id,
    assertion: Buffer.from(assertion, 'utf8').toString('base64')
  })
  return await postTokenForm(url, form, f, timeoutMs, signal)
}

function readText (file: string, key: string): string {
  try {
    return readFileSync(file, 'utf8')
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    throw new Error(`${key} ${file} cannot be read (${code === 'ENOENT' ? 'no such file' : code ?? (err as Error).message})`)
  }
}
