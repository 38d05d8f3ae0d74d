// Masking of secrets before anything is logged, mailed or streamed.
// Two entry points: `maskSecrets` walks structured values (log meta, parsed bodies) and masks by
// key name; `maskText` masks free text (messages, raw bodies, headers, URLs) by pattern, and masks
// JSON documents embedded in the text structurally. Both are pure; `createMasker` precompiles the
// key set once for the logger's hot path.

/** What every masked value is replaced by. */
export const MASK = '********'

/** A precompiled masker for one set of extra (custom) keys. */
export interface Masker {
  /** Deep copy of `value` with secret-keyed values replaced by `MASK` and strings run through `maskText`. */
  maskSecrets (value: unknown): unknown
  /** `text` with secrets replaced by `MASK`. */
  maskText (text: string): string
  /** True when a key (any case, `_`/`-` ignored) names a secret. */
  isSecretKey (key: string): boolean
}

/**
 * Masks secrets in a structured value (deep; keys compared case-insensitively, `_`/`-` ignored).
 * Keys such as `password`, `newPassword`, `client_secret`, `access_token`, `authorization`, `cookie`
 * and every key in `extraKeys` (scimgateway's `log.customMasking`) get `********`; a SCIM PATCH
 * operation whose `path` names a secret gets its `value` masked; strings are run through `maskText`.
 * Errors become plain `{name, message, stack, …}` objects; cycles become `'[Circular]'`.
 *
 * @example
 * maskSecrets({ userName: 'bjensen', password: 'x' }) // → { userName: 'bjensen', password: '********' }
 * maskSecrets({ op: 'replace', path: 'password', value: 'x' }) // → { op: 'replace', path: 'password', value: '********' }
 */
export function maskSecrets (value: unknown, extraKeys?: readonly string[]): unknown {
  return maskerFor(extraKeys).maskSecrets(value)
}

/**
 * Masks secrets in free text: JSON documents embedded in the text, `"key":"value"` and `key=value`
 * pairs with secret keys, `Authorization:` header values (`Basic …`, `Bearer …`), standalone
 * Basic/Bearer credentials, JWTs, NATS nkey seeds, PEM private keys, `<password>…</password>` XML
 * elements and passwords in URLs (`https://user:pass@host`).
 *
 * @example
 * maskText('Authorization: Basic dXNlcjpwYXNz') // → 'Authorization: Basic ********'
 * maskText('connect https://admin:pw@host/x')  // → 'connect https://admin:********@host/x'
 */
export function maskText (text: string, extraKeys?: readonly string[]): string {
  return maskerFor(extraKeys).maskText(text)
}

function maskerFor (extraKeys: readonly string[] | undefined): Masker {
  return extraKeys === undefined || extraKeys.length === 0 ? builtInMasker : createMasker(extraKeys)
}

/** Builds a masker whose key set is the built-in one plus `extraKeys` (compiled once). */
export function createMasker (extraKeys: readonly string[] = []): Masker {
  const extra = new Set(extraKeys.map(normalizeKey).filter(k => k !== ''))
  // Keys repeat endlessly (requestId, baseEntity, …), so decisions are cached, boundedly.
  const decided = new Map<string, boolean>()
  const isSecretKey = (key: string): boolean => {
    const known = decided.get(key)
    if (known !== undefined) return known
    const secret = decideSecret(normalizeKey(key), extra)
    if (decided.size >= KEY_CACHE_SIZE) decided.clear()
    decided.set(key, secret)
    return secret
  }
  const masker: Masker = {
    isSecretKey,
    maskSecrets: (value) => maskValue(value, masker, new WeakSet(), 0),
    maskText: (text) => maskString(text, masker)
  }
  return masker
}

// ---------------------------------------------------------------------------------------------
// Key names

/** Normalised (lower case, letters and digits only) names that are always secret. */
const SECRET_KEYS = new Set([
  'password', 'passwd', 'pwd', 'pass', 'newpassword', 'oldpassword', 'currentpassword',
  'secret', 'clientsecret', 'sharedsecret', 'token', 'accesstoken', 'refreshtoken', 'idtoken',
  'bearertoken', 'apikey', 'xapikey', 'apitoken', 'jwt', 'seed', 'nkey', 'nkeyseed',
  'authorization', 'proxyauthorization', 'cookie', 'setcookie', 'privatekey', 'passphrase',
  'assertion', 'clientassertion', 'samlassertion', 'credentials', 'sessionid', 'signature'
])

/** Normalised suffixes that make any key secret (`userPassword`, `bindPassword`, `sasToken`, …). */
const SECRET_SUFFIXES = ['password', 'passwd', 'secret', 'token', 'apikey', 'privatekey', 'passphrase', 'seed', 'jwt']

/** Keys of an object whose `value` a sibling names (`{op, path: 'password', value}`, `{name: 'password', value}`). */
const NAMING_KEYS = ['path', 'name', 'attribute', 'attr', 'key']
const VALUE_KEYS = ['value', 'values']

const KEY_CACHE_SIZE = 2000

function decideSecret (k: string, extra: ReadonlySet<string>): boolean {
  if (k === '') return false
  if (SECRET_KEYS.has(k) || extra.has(k)) return true
  for (const suffix of SECRET_SUFFIXES) if (k.endsWith(suffix)) return true
  return false
}

function normalizeKey (key: string): string {
  return key.toLowerCase().replace(/[^a-z0-9]/g, '')
}

/** True when an attribute path (`password`, `urn:…:User:password`, `x.password`) names a secret. */
function pathNamesSecret (path: string, m: Masker): boolean {
  for (const piece of path.split(/[:.[\]]/)) if (m.isSecretKey(piece)) return true
  return false
}

// ---------------------------------------------------------------------------------------------
// Structured values

const MAX_DEPTH = 32

function maskValue (value: unknown, m: Masker, seen: WeakSet<object>, depth: number): unknown {
  if (typeof value === 'string') return maskString(value, m)
  if (typeof value === 'bigint') return value.toString()
  if (typeof value === 'function' || typeof value === 'symbol') return undefined
  if (value === null || typeof value !== 'object') return value
  if (seen.has(value)) return '[Circular]'
  if (depth >= MAX_DEPTH) return '[Too deep]'
  if (value instanceof Date) return value
  if (value instanceof URL) return maskString(value.href, m)
  if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer) return `[binary ${value.byteLength} bytes]`
  seen.add(value)
  try {
    if (Array.isArray(value)) return value.map(v => maskValue(v, m, seen, depth + 1))
    if (value instanceof Map) return maskEntries([...value.entries()].map(([k, v]) => [String(k), v]), m, seen, depth)
    if (value instanceof Set) return [...value].map(v => maskValue(v, m, seen, depth + 1))
    const entries: Array<[string, unknown]> = value instanceof Error
      ? [['name', value.name], ['message', value.message], ['stack', value.stack], ...Object.entries(value)]
      : Object.entries(value)
    return maskEntries(entries, m, seen, depth)
  } finally {
    seen.delete(value)
  }
}

function maskEntries (entries: Array<[string, unknown]>, m: Masker, seen: WeakSet<object>, depth: number): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  let valueIsSecret = false
  for (const [k, v] of entries) {
    if (typeof v === 'string' && NAMING_KEYS.includes(k.toLowerCase()) && pathNamesSecret(v, m)) valueIsSecret = true
  }
  for (const [k, v] of entries) {
    if (v === undefined) continue
    if (m.isSecretKey(k) || (valueIsSecret && VALUE_KEYS.includes(k.toLowerCase()))) {
      out[k] = v === null ? null : MASK
    } else {
      out[k] = maskValue(v, m, seen, depth + 1)
    }
  }
  return out
}

// ---------------------------------------------------------------------------------------------
// Free text

/** Texts longer than this are masked by pattern only (no embedded-JSON parsing). */
const MAX_JSON_SCAN = 1_000_000
/** At most this many `{`/`[` positions are tried as the start of an embedded JSON document. */
const MAX_JSON_ATTEMPTS = 64
/** Bracket matching may scan at most this many times the text length in total (keeps it linear). */
const JSON_SCAN_BUDGET = 4

function maskString (text: string, m: Masker): string {
  // Most strings (ids, names, plain messages) contain nothing any rule could match.
  if (!MAYBE_SECRET.test(text)) return text
  let out = text
  const hasQuote = out.includes('"')
  if (hasQuote && out.length <= MAX_JSON_SCAN && (out.includes('{') || out.includes('['))) out = maskEmbeddedJson(out, m)
  if (out.includes('PRIVATE KEY')) out = out.replace(PEM_PRIVATE_KEY, `$1${MASK}$2`)
  if (out.includes('://')) out = out.replace(URL_CREDENTIALS, `$1$2:${MASK}@`)
  if (out.includes('eyJ')) out = out.replace(JWT, MASK)
  out = out.replace(NKEY_SEED, MASK)
  out = out.replace(COOKIE_HEADER, (all, key: string, sep: string) => `${key}${sep}${MASK}`)
  if (hasQuote) {
    out = out.replace(JSON_PAIR, (all, key: string, sep: string, val: string) =>
      m.isSecretKey(key) && val !== 'null' ? `"${key}"${sep}"${MASK}"` : all)
    if (out.includes('\\"')) {
      out = out.replace(ESCAPED_JSON_PAIR, (all, key: string, sep: string) =>
        m.isSecretKey(key) ? `\\"${key}\\"${sep}\\"${MASK}\\"` : all)
    }
    out = out.replace(PATH_THEN_VALUE, (all, head: string, path: string, mid: string) =>
      pathNamesSecret(path, m) ? `${head}${path}${mid}"${MASK}"` : all)
    out = out.replace(VALUE_THEN_PATH, (all, head: string, _val: string, tail: string, path: string) =>
      pathNamesSecret(path, m) ? `${head}"${MASK}"${tail}${path}` : all)
  }
  if (out.includes('</')) {
    out = out.replace(XML_ELEMENT, (all, open: string, name: string, close: string) =>
      m.isSecretKey(name.replace(/^[\w-]+:/, '')) ? `${open}${MASK}${close}` : all)
  }
  out = maskKeyValues(out, m, 0)
  out = out.replace(AUTH_SCHEME_CREDENTIAL, (all, scheme: string, cred: string) =>
    looksLikeCredential(scheme, cred) ? `${scheme} ${MASK}` : all)
  return out
}

/**
 * `key=value` / `key: value` pairs. A pair whose key is not a secret may hold one in its value
 * (`failed: password=x` reads as key `failed`, value `password=x`), so such a value is searched again.
 */
function maskKeyValues (text: string, m: Masker, depth: number): string {
  return text.replace(KEY_VALUE, (all, pre: string, key: string, sep: string, scheme: string | undefined, value: string) => {
    if (m.isSecretKey(key)) return `${pre}${key}${sep}${scheme ?? ''}${MASK}`
    if (depth < 4 && /[=:]/.test(value)) return `${pre}${key}${sep}${scheme ?? ''}${maskKeyValues(value, m, depth + 1)}`
    return all
  })
}

// Cheap pre-check: every rule below needs one of these (a separator, a quote, a bracket, a tag,
// a JWT header, a Basic/Bearer scheme or an nkey seed).
const MAYBE_SECRET = /[=:"<{[]|eyJ|Basic\s|Bearer\s|S[UAONCXP][A-Z2-7]{56}|PRIVATE KEY/

// `-----BEGIN RSA PRIVATE KEY-----…-----END RSA PRIVATE KEY-----`
const PEM_PRIVATE_KEY = /(-----BEGIN [A-Z ]*PRIVATE KEY-----)[\s\S]*?(-----END [A-Z ]*PRIVATE KEY-----)/g
// `scheme://user:password@` (the user name stays, the password goes)
const URL_CREDENTIALS = /\b([a-z][a-z0-9+.-]*:\/\/)([^\s:@/?#"'<>]+):([^\s@/?#"'<>]+)@/gi
// A JWT/JWS: base64url(JSON header, always starting `{"` = `eyJ`).payload.signature
const JWT = /\beyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*/g
// NATS nkey seeds: 'S' + type (User, Account, Operator, Server/N, Cluster, Curve/X, P) + 56 base32
const NKEY_SEED = /\bS[UAONCXP][A-Z2-7]{56}\b/g
// `Cookie: a=b; c=d` header lines: the whole value, up to the end of the line or a quote
const COOKIE_HEADER = /\b((?:set-)?cookie)(\s*:\s*)[^\r\n"]+/gi
// `"key": "value"` / `"key": 123` / `"key": true` inside JSON-like text (also truncated bodies)
const JSON_PAIR = /"([^"\\]{1,100})"(\s*:\s*)("(?:[^"\\]|\\.)*"|-?\d[\d.eE+-]*|true|false|null)/g
// `\"key\":\"value\"` — JSON encoded inside a JSON string
const ESCAPED_JSON_PAIR = /\\"([^"\\]{1,100})\\"(\s*:\s*)\\"((?:[^"\\]|\\[^"])*)\\"/g
// `"path":"password", … "value":"x"` (PATCH op in text that is not parseable JSON)
const PATH_THEN_VALUE = /("(?:path|name|attribute)"\s*:\s*")([^"\\]{1,200})("\s*,\s*"(?:value)"\s*:\s*)("(?:[^"\\]|\\.)*"|[^,}\]\s]+)/gi
const VALUE_THEN_PATH = /("value"\s*:\s*)("(?:[^"\\]|\\.)*"|[^,}\]\s]+)(\s*,\s*"(?:path|name|attribute)"\s*:\s*")([^"\\]{1,200})/gi
// `<password>x</password>`, `<ns:Password attr="">x</ns:Password>`
const XML_ELEMENT = /(<((?:[\w-]+:)?[\w-]+)(?:\s[^<>]*)?>)[^<]*(<\/\2\s*>)/g
// `key=value`, `key: value`, `key = 'value'`, `authorization: Bearer x` in free text, query strings and forms
const KEY_VALUE = /(^|[^\w.-])([A-Za-z][\w.-]{0,63})(\s*[=:]\s*)((?:Basic|Bearer|Digest|Negotiate|NTLM|Token|SharedAccessSignature)\s+)?("(?:[^"\\]|\\.)*"|'[^']*'|[^\s&,;"'<>]+)/gi
// `Basic dXNlcjpwYXNz` / `Bearer abc.def` anywhere
const AUTH_SCHEME_CREDENTIAL = /\b(Basic|Bearer)\s+([A-Za-z0-9._~+/=-]{6,})/g

/** Tells a credential after Basic/Bearer from an ordinary word ("Bearer authentication failed"). */
function looksLikeCredential (scheme: string, cred: string): boolean {
  if (cred === MASK) return false
  if (/[0-9._~+/=-]/.test(cred) || cred.length >= 20) return true
  if (scheme === 'Basic') {
    try { return Buffer.from(cred, 'base64').toString('latin1').includes(':') } catch { return false }
  }
  return false
}

/**
 * Finds JSON objects/arrays embedded in text, masks them structurally (so a PATCH op whose path is
 * `password` has its value masked) and puts them back compact. Unparseable fragments are left to
 * the pattern rules.
 */
function maskEmbeddedJson (text: string, m: Masker): string {
  let out = ''
  let from = 0
  let attempts = 0
  const budget = { left: JSON_SCAN_BUDGET * text.length }
  let i = nextOpen(text, 0)
  while (i !== -1 && attempts < MAX_JSON_ATTEMPTS && budget.left > 0) {
    attempts++
    const end = matchingClose(text, i, budget)
    if (end === -1) { i = nextOpen(text, i + 1); continue }
    const fragment = text.slice(i, end + 1)
    let parsed: unknown
    try { parsed = JSON.parse(fragment) } catch { i = nextOpen(text, i + 1); continue }
    if (parsed !== null && typeof parsed === 'object') {
      const masked = JSON.stringify(m.maskSecrets(parsed))
      if (masked !== JSON.stringify(parsed)) {
        out += text.slice(from, i) + masked
        from = end + 1
      }
    }
    i = nextOpen(text, end + 1)
  }
  return from === 0 ? text : out + text.slice(from)
}

function nextOpen (text: string, from: number): number {
  for (let i = from; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (c === 123 || c === 91) return i // { [
  }
  return -1
}

/** Index of the bracket closing the one at `start` (string-aware), or -1; spends `budget`. */
function matchingClose (text: string, start: number, budget: { left: number }): number {
  let depth = 0
  let inString = false
  for (let i = start; i < text.length; i++) {
    if (--budget.left < 0) return -1
    const c = text[i]
    if (inString) {
      if (c === '\\') i++
      else if (c === '"') inString = false
      continue
    }
    if (c === '"') inString = true
    else if (c === '{' || c === '[') depth++
    else if (c === '}' || c === ']') {
      depth--
      if (depth === 0) return i
    }
  }
  return -1
}

// The masker for the built-in keys only; its sole state is a bounded memo of key decisions,
// which cannot change any result, so sharing it is safe.
// (Defined last: it is built at import time, after every constant above.)
const builtInMasker = createMasker()
