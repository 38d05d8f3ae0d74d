// Configuration of the HR collector: the `auth` and `general` keys of an `hr.<tenant>` section, with
// the names the SCIM Stream product documents, read from the loosely typed tenant section (the
// service schema keeps `auth` as plain JSON) into a typed, defaulted, frozen form. Every problem is
// reported with its path, so a bad section lists all its mistakes at once.
//
//   auth:
//     base_urls: [https://api.example.com, https://api-dr.example.com]   # failover, in order
//     basic: { username, password }          | bearer_token: { token } (or the token itself)
//     header: { <name>: <value>, … }         (added to every request, with any of the others)
//     oauth: { token_url, client_id, client_secret, scope? }   or a list of them (failover),
//            or { token_url?, scope?, clients: [{ client_id, client_secret, token_url?, scope? }] }
//     oauth_saml_assertion: { token_url, client_id, company_id, name_id, key_file, cert_file,
//            issuer?, audience?, user_identifier_format?, life_time? }   (SAP SuccessFactors)
//   general:   (the HR keys may also sit under general.hr, as the product documents them)
//     collect_query_string: /odata/v2/PerPerson?$expand=…&$format=json
//     collect_query_result_path: d.results   (default: d.results, else value, else a top-level array)
//     collect_next_link_path: <path>          (default: d.__next, then @odata.nextLink)
//     collect_interval: 300 | "0 */15 * * * *"
//     request_timeout: 90                     (seconds, per request; the documented default)
//     max_retries: 3                          (429/503 with Retry-After, per request)
//     pre_activate_days: 0
//     start_date_path / end_date_path         (default employmentNav.results.startDate / …endDate)
import { isJsonObject, type JsonObject, type JsonValue } from '../../../scim/types.ts'
import { checkScheduleSpec } from '../../schedule.ts'

/** One OAuth client-credentials client. */
export interface HrOAuthClient {
  readonly token_url: string
  readonly client_id: string
  readonly client_secret: string
  readonly scope?: string
}

/** Who the SAML assertion's NameID names (SuccessFactors: user name, user id or e-mail). */
export type SamlUserIdentifierFormat = 'userName' | 'userId' | 'email'

/** `auth.oauth_saml_assertion`: OAuth 2.0 SAML2 bearer grant with a locally signed assertion. */
export interface HrSamlConfig {
  /** Token endpoint; absolute, or relative to the base URL in use (default `/oauth/token`). */
  readonly token_url: string
  /** SuccessFactors API key (client id), also the assertion's `api_key` attribute. */
  readonly client_id: string
  readonly company_id: string
  readonly name_id: string
  /** Private key and certificate PEM files (relative names: in the config's `certs` directory). */
  readonly key_file: string
  readonly cert_file: string
  readonly issuer: string
  readonly audience: string
  readonly user_identifier_format: SamlUserIdentifierFormat
  /** Seconds the assertion is valid. */
  readonly life_time: number
}

/** `hr.<tenant>.auth`. */
export interface HrAuthConfig {
  /** Base URLs tried in order; a connection error, timeout or 5xx moves to the next one. */
  readonly base_urls: readonly string[]
  readonly basic?: { readonly username: string, readonly password: string }
  readonly bearer_token?: string
  /** Extra headers sent with every request (API keys and the like). */
  readonly header?: Readonly<Record<string, string>>
  /** Client-credentials clients; several = failover in order (see auth.ts). */
  readonly oauth?: readonly HrOAuthClient[]
  readonly oauth_saml_assertion?: HrSamlConfig
}

/** `hr.<tenant>.general` (the keys the collector uses). */
export interface HrGeneralConfig {
  readonly collect_query_string: string
  /** Dotted path of the records array in a page; undefined = `d.results`, `value` or the body itself. */
  readonly collect_query_result_path?: string
  /** Dotted path of the next-page link; undefined = `d.__next`, then `@odata.nextLink`. */
  readonly collect_next_link_path?: string
  /** Seconds (number or numeric string) or a crontab expression. */
  readonly collect_interval: number | string
  /** Seconds per HTTP request. */
  readonly request_timeout: number
  /** Retries of one request answered 429/503 (waiting Retry-After each time). */
  readonly max_retries: number
  readonly pre_activate_days: number
  readonly start_date_path: string
  readonly end_date_path: string
  /** Upper bound of pages per collection (a server that links to itself forever is cut off). */
  readonly max_pages: number
}

/** Configuration of {@link createHrCollector}: the `auth` and `general` of an `hr.<tenant>` section. */
export interface HrCollectorConfig {
  readonly auth: HrAuthConfig
  readonly general: HrGeneralConfig
}

/** One configuration problem, with its path below the tenant section (`auth.base_urls[1]`). */
export interface HrConfigProblem {
  path: string
  message: string
}

/** Thrown by {@link parseHrConfig} (and so by createHrCollector) with every problem found. */
export class HrConfigError extends Error {
  readonly problems: readonly HrConfigProblem[]
  constructor (problems: HrConfigProblem[]) {
    super(`invalid HR collector config: ${problems.map(p => `${p.path}: ${p.message}`).join('; ')}`)
    this.name = 'HrConfigError'
    this.problems = problems
  }
}

/** The keys this reader knows (for the config's unknown-key report): `auth`, `auth.oauth_saml_assertion`, `general` (also under `general.hr`). */
export const HR_AUTH_KEYS: readonly string[] = ['base_urls', 'basic', 'bearer_token', 'header', 'oauth', 'oauth_saml_assertion']
export const HR_SAML_KEYS: readonly string[] = ['token_url', 'client_id', 'company_id', 'name_id', 'key_file', 'cert_file', 'issuer', 'audience', 'user_identifier_format', 'life_time']
export const HR_GENERAL_KEYS: readonly string[] = ['collect_query_string', 'collect_query_result_path', 'collect_next_link_path', 'collect_interval', 'request_timeout', 'max_retries', 'pre_activate_days', 'start_date_path', 'end_date_path', 'max_pages', 'hr']

export const DEFAULT_START_DATE_PATH = 'employmentNav.results.startDate'
export const DEFAULT_END_DATE_PATH = 'employmentNav.results.endDate'

/**
 * Reads and checks `{ auth, general }` of an HR tenant section (unknown keys are ignored: the
 * section also holds streams, mapper, …).
 * @throws HrConfigError listing every problem with its path
 * @example const cfg = parseHrConfig(config.hr.mycompany)
 */
export function parseHrConfig (raw: unknown): HrCollectorConfig {
  const problems: HrConfigProblem[] = []
  const section = isJsonObject((raw ?? null) as JsonValue) ? raw as JsonObject : {}
  if (!isJsonObject((raw ?? null) as JsonValue)) problems.push({ path: '', message: 'must be an object with auth and general' })
  const auth = readAuth(section.auth, problems)
  const general = readGeneral(section.general, problems)
  if (problems.length > 0) throw new HrConfigError(problems)
  return Object.freeze({ auth, general })
}

function readAuth (v: JsonValue | undefined, problems: HrConfigProblem[]): HrAuthConfig {
  const a = obj(v, 'auth', problems)
  const baseUrls: string[] = []
  const list = typeof a.base_urls === 'string' ? [a.base_urls] : a.base_urls
  if (!Array.isArray(list) || list.length === 0) problems.push({ path: 'auth.base_urls', message: 'at least one base URL is required' })
  else {
    list.forEach((u, i) => {
      if (typeof u !== 'string' || !isHttpUrl(u)) problems.push({ path: `auth.base_urls[${i}]`, message: 'must be an http(s) URL' })
      else baseUrls.push(u.replace(/\/+$/, ''))
    })
  }
  const out: { -readonly [K in keyof HrAuthConfig]: HrAuthConfig[K] } = { base_urls: Object.freeze(baseUrls) }
  if (a.basic !== undefined && a.basic !== null) {
    const b = obj(a.basic, 'auth.basic', problems)
    const username = str(b.username, 'auth.basic.username', problems)
    const password = str(b.password, 'auth.basic.password', problems, true)
    out.basic = Object.freeze({ username, password })
  }
  if (a.bearer_token !== undefined && a.bearer_token !== null) {
    // Documented shape `bearer_token: { token }`; the token itself is accepted too.
    out.bearer_token = isJsonObject(a.bearer_token)
      ? str(a.bearer_token.token, 'auth.bearer_token.token', problems)
      : str(a.bearer_token, 'auth.bearer_token', problems)
  }
  if (a.header !== undefined && a.header !== null) {
    const h = obj(a.header, 'auth.header', problems)
    const header: Record<string, string> = {}
    for (const [k, val] of Object.entries(h)) {
      if (typeof val === 'string' || typeof val === 'number') header[k] = String(val)
      else problems.push({ path: `auth.header.${k}`, message: 'must be a string' })
    }
    out.header = Object.freeze(header)
  }
  if (a.oauth !== undefined && a.oauth !== null) {
    // Documented shape `oauth: { clients: [...] }` (token_url/scope shared or per client), or one client, or a list.
    const shared = isJsonObject(a.oauth) && a.oauth.clients !== undefined ? a.oauth : undefined
    const list = shared !== undefined ? shared.clients : a.oauth
    const clients = Array.isArray(list) ? list : [list ?? null]
    out.oauth = Object.freeze(clients.map((c, i) => {
      const at = shared !== undefined ? `auth.oauth.clients[${i}]` : Array.isArray(a.oauth) ? `auth.oauth[${i}]` : 'auth.oauth'
      const o = { ...(shared !== undefined ? pick(shared, ['token_url', 'scope']) : {}), ...obj(c, at, problems) }
      const client: { -readonly [K in keyof HrOAuthClient]: HrOAuthClient[K] } = {
        token_url: str(o.token_url, o.token_url === undefined && shared !== undefined ? 'auth.oauth.token_url' : `${at}.token_url`, problems),
        client_id: str(o.client_id, `${at}.client_id`, problems),
        client_secret: str(o.client_secret, `${at}.client_secret`, problems, true)
      }
      if (o.scope !== undefined && o.scope !== null) client.scope = str(o.scope, `${at}.scope`, problems, true)
      return Object.freeze(client)
    }))
    if (clients.length === 0) problems.push({ path: 'auth.oauth', message: 'at least one client is required' })
  }
  if (a.oauth_saml_assertion !== undefined && a.oauth_saml_assertion !== null) {
    out.oauth_saml_assertion = readSaml(a.oauth_saml_assertion, problems)
    if (out.basic !== undefined || out.bearer_token !== undefined || out.oauth !== undefined) {
      problems.push({ path: 'auth', message: 'oauth_saml_assertion excludes basic, bearer_token and oauth (header may be combined with any)' })
    }
  }
  if (out.basic !== undefined && (out.bearer_token !== undefined || out.oauth !== undefined)) {
    problems.push({ path: 'auth', message: 'basic, bearer_token and oauth exclude each other (header may be combined with any)' })
  } else if (out.bearer_token !== undefined && out.oauth !== undefined) {
    problems.push({ path: 'auth', message: 'bearer_token and oauth exclude each other' })
  }
  return Object.freeze(out)
}

const SAML_FORMATS: readonly SamlUserIdentifierFormat[] = ['userName', 'userId', 'email']

function readSaml (v: JsonValue, problems: HrConfigProblem[]): HrSamlConfig {
  const at = 'auth.oauth_saml_assertion'
  const o = obj(v, at, problems)
  const format = o.user_identifier_format ?? 'userName'
  if (!SAML_FORMATS.includes(format as SamlUserIdentifierFormat)) problems.push({ path: `${at}.user_identifier_format`, message: `must be one of ${SAML_FORMATS.join(', ')}` })
  return Object.freeze({
    token_url: optStr(o.token_url, `${at}.token_url`, problems) ?? '/oauth/token',
    client_id: str(o.client_id, `${at}.client_id`, problems),
    company_id: str(o.company_id, `${at}.company_id`, problems),
    name_id: str(o.name_id, `${at}.name_id`, problems),
    key_file: str(o.key_file, `${at}.key_file`, problems),
    cert_file: str(o.cert_file, `${at}.cert_file`, problems),
    issuer: optStr(o.issuer, `${at}.issuer`, problems) ?? 'scim-stream',
    audience: optStr(o.audience, `${at}.audience`, problems) ?? 'scim-stream',
    user_identifier_format: SAML_FORMATS.includes(format as SamlUserIdentifierFormat) ? format as SamlUserIdentifierFormat : 'userName',
    life_time: num(o.life_time, `${at}.life_time`, 3600, problems, 1, true)
  })
}

/** The keys of `from` named in `keys` that are set. */
function pick (from: JsonObject, keys: readonly string[]): JsonObject {
  const out: JsonObject = {}
  for (const k of keys) if (from[k] !== undefined && from[k] !== null) out[k] = from[k] as JsonValue
  return out
}

function readGeneral (v: JsonValue | undefined, problems: HrConfigProblem[]): HrGeneralConfig {
  const outer = obj(v, 'general', problems)
  // The product documents the HR-only keys under general.hr; the flat form is accepted too.
  const inner = outer.hr !== undefined && outer.hr !== null ? obj(outer.hr, 'general.hr', problems) : {}
  for (const k of Object.keys(inner)) {
    if (outer[k] !== undefined && outer[k] !== null && JSON.stringify(outer[k]) !== JSON.stringify(inner[k])) problems.push({ path: `general.hr.${k}`, message: `also set as general.${k}; keep one` })
  }
  const g: JsonObject = { ...outer, ...inner }
  const at = (k: string): string => inner[k] !== undefined ? `general.hr.${k}` : `general.${k}`
  const query = str(g.collect_query_string, at('collect_query_string'), problems)
  const out: { -readonly [K in keyof HrGeneralConfig]: HrGeneralConfig[K] } = {
    collect_query_string: query.startsWith('/') || query === '' ? query : `/${query}`,
    collect_interval: interval(g.collect_interval, problems),
    request_timeout: num(g.request_timeout, at('request_timeout'), 90, problems, 0.001), // documented default
    max_retries: num(g.max_retries, at('max_retries'), 3, problems, 0, true),
    pre_activate_days: num(g.pre_activate_days, at('pre_activate_days'), 0, problems, 0, true),
    start_date_path: optStr(g.start_date_path, at('start_date_path'), problems) ?? DEFAULT_START_DATE_PATH,
    end_date_path: optStr(g.end_date_path, at('end_date_path'), problems) ?? DEFAULT_END_DATE_PATH,
    max_pages: num(g.max_pages, at('max_pages'), 100_000, problems, 1, true)
  }
  const resultPath = optStr(g.collect_query_result_path, at('collect_query_result_path'), problems)
  if (resultPath !== undefined) out.collect_query_result_path = resultPath
  const nextPath = optStr(g.collect_next_link_path, at('collect_next_link_path'), problems)
  if (nextPath !== undefined) out.collect_next_link_path = nextPath
  return Object.freeze(out)
}

function interval (v: JsonValue | undefined, problems: HrConfigProblem[]): number | string {
  if (v === undefined || v === null) return 300
  if (typeof v === 'number' || (typeof v === 'string' && v.trim() !== '')) {
    const spec = typeof v === 'string' ? v.trim() : v
    const problem = checkScheduleSpec(spec)
    if (problem === undefined) return spec
    problems.push({ path: 'general.collect_interval', message: problem })
    return 300
  }
  problems.push({ path: 'general.collect_interval', message: 'must be seconds (> 0) or a crontab expression' })
  return 300
}

function obj (v: JsonValue | undefined, path: string, problems: HrConfigProblem[]): JsonObject {
  if (v === undefined || v === null) return {}
  if (isJsonObject(v)) return v
  problems.push({ path, message: 'must be an object' })
  return {}
}

function str (v: JsonValue | undefined, path: string, problems: HrConfigProblem[], allowEmpty = false): string {
  if (typeof v === 'string' && (allowEmpty || v !== '')) return v
  problems.push({ path, message: v === undefined ? 'is required' : 'must be a non-empty string' })
  return ''
}

function optStr (v: JsonValue | undefined, path: string, problems: HrConfigProblem[]): string | undefined {
  if (v === undefined || v === null || v === '') return undefined
  return str(v, path, problems)
}

function num (v: JsonValue | undefined, path: string, dflt: number, problems: HrConfigProblem[], min: number, integer = false): number {
  if (v === undefined || v === null || v === '') return dflt
  const n = typeof v === 'string' ? Number(v) : v
  if (typeof n !== 'number' || !Number.isFinite(n) || n < min || (integer && !Number.isInteger(n))) {
    problems.push({ path, message: `must be ${integer ? 'an integer' : 'a number'} >= ${min}` })
    return dflt
  }
  return n
}

function isHttpUrl (s: string): boolean {
  try {
    const u = new URL(s)
    return u.protocol === 'http:' || u.protocol === 'https:'
  } catch {
    return false
  }
}
