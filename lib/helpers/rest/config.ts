// The connection configuration of the REST client, in scimgateway's documented terms
// (`endpoint.entity.<baseEntity>.connection`: baseUrls, auth {type, options}, options {headers, tls},
// proxy), declared with the config schema toolkit so problems are reported with their paths and no
// key is silently ignored: an auth option the chosen `auth.type` does not use is an error too.
import { ConfigError } from '../../config/errors.ts'
import { formatPath, type PathSegment } from '../../config/path.ts'
import * as s from '../../config/schema.ts'

/** Auth types scimgateway documents, plus none (no `auth`). */
export const AUTH_TYPES = ['basic', 'bearer', 'token', 'oauth', 'oauthJwtBearer', 'oauthSamlBearer'] as const
export type AuthType = typeof AUTH_TYPES[number]

const url = s.string({ pattern: /^https?:\/\/[^\s/]+/i, patternName: 'http(s) URL' })
/** A token endpoint: an absolute URL, or a path resolved against the origin of the base URL in use. */
const urlOrPath = s.string({ pattern: /^(https?:\/\/[^\s/]+|\/)/i, patternName: 'http(s) URL or /path' })
const nonEmpty = s.string({ minLength: 1 })
/** A PEM text, or a file name (relative names resolve against the certs directory). */
const pemOrFile = nonEmpty
const pemList = s.oneOf(pemOrFile, s.array(pemOrFile, { minItems: 1 }))

export const tlsSchema = s.object({
  ca: pemList.optional().describe('CA certificate(s) trusted for the server (PEM or file)'),
  cert: pemOrFile.optional().describe('client certificate (PEM or file)'),
  key: pemOrFile.optional().describe('private key of the client certificate (PEM or file)'),
  pfx: pemOrFile.optional().describe('PKCS#12 file with client certificate and key'),
  passphrase: s.string().optional().describe('passphrase of key or pfx'),
  rejectUnauthorized: s.boolean().optional().describe('false accepts any server certificate (testing only)'),
  servername: nonEmpty.optional().describe('SNI / certificate name to expect')
})

const authOptionsSchema = s.object({
  username: s.string().optional(),
  password: s.string().optional(),
  token: nonEmpty.optional(),
  tokenUrl: urlOrPath.optional(),
  azureTenantId: nonEmpty.optional(),
  loginUrl: url.optional().describe('Microsoft identity platform host (default https://login.microsoftonline.com)'),
  clientId: nonEmpty.optional(),
  clientSecret: nonEmpty.optional(),
  scope: nonEmpty.optional(),
  resource: nonEmpty.optional(),
  clients: s.array(s.object({
    clientId: nonEmpty,
    clientSecret: nonEmpty,
    tokenUrl: urlOrPath.optional(),
    scope: nonEmpty.optional()
  }), { minItems: 1 }).optional().describe('several client-credentials clients (instead of clientId/clientSecret)'),
  clientRotation: s.enumOf(['failover', 'roundRobin'] as const).optional().describe('failover: keep the client that works; roundRobin: the next client for each request'),
  tls: s.object({ key: pemOrFile.optional(), cert: pemOrFile.optional(), passphrase: s.string().optional() }).optional(),
  fedCred: s.object({ issuer: url, subject: nonEmpty, name: nonEmpty.optional() }).optional(),
  federatedTokenFile: nonEmpty.optional().describe('file holding an external OIDC token used as client assertion (workload identity federation)'),
  jwtPayload: s.jsonObject().optional(),
  serviceAccountKeyFile: nonEmpty.optional(),
  samlPayload: s.object({
    clientId: nonEmpty,
    companyId: nonEmpty,
    nameId: nonEmpty,
    userIdentifierFormat: nonEmpty.optional(),
    lifetime: s.integer({ min: 1, max: 86_400 }).optional(),
    audience: nonEmpty.optional(),
    issuer: nonEmpty.optional()
  }).optional()
})
type AuthOptions = s.Infer<typeof authOptionsSchema>
type AuthOptionKey = keyof AuthOptions

/** Which options each type may use, and which of them it needs (alternatives separated by "|"). */
const AUTH_RULES: Record<AuthType, { allowed: AuthOptionKey[], required: string[] }> = {
  basic: { allowed: ['username', 'password'], required: ['username', 'password'] },
  bearer: { allowed: ['token'], required: ['token'] },
  token: { allowed: ['tokenUrl', 'username', 'password'], required: ['tokenUrl', 'password'] },
  oauth: { allowed: ['tokenUrl', 'azureTenantId', 'loginUrl', 'clientId', 'clientSecret', 'scope', 'resource', 'tls', 'clients', 'clientRotation'], required: ['tokenUrl|azureTenantId|clients', 'clientId|clients', 'clientSecret|tls|clients'] },
  oauthJwtBearer: {
    allowed: ['tokenUrl', 'azureTenantId', 'loginUrl', 'clientId', 'scope', 'tls', 'fedCred', 'federatedTokenFile', 'jwtPayload', 'serviceAccountKeyFile'],
    required: ['tokenUrl|azureTenantId|serviceAccountKeyFile']
  },
  oauthSamlBearer: { allowed: ['tokenUrl', 'tls', 'samlPayload'], required: ['tokenUrl', 'tls', 'samlPayload'] }
}

const authSchema = s.object({
  type: s.enumOf(AUTH_TYPES),
  options: authOptionsSchema.default({})
}).refine((auth, report) => {
  const rule = AUTH_RULES[auth.type]
  const o = auth.options as Record<string, unknown>
  for (const key of Object.keys(o)) {
    if (o[key] !== undefined && !rule.allowed.includes(key as AuthOptionKey)) report(`not used by auth.type "${auth.type}" (it uses ${rule.allowed.join(', ')})`, ['options', key])
  }
  for (const need of rule.required) {
    const alts = need.split('|')
    if (!alts.some(k => o[k] !== undefined)) report(`auth.type "${auth.type}" needs options.${alts.join(' or options.')}`, ['options'])
  }
  if (auth.type === 'oauthJwtBearer') refineJwtBearer(auth.options, report)
  if (auth.type === 'oauth' && o.clients !== undefined) refineClients(auth.options, report)
  else if (auth.type === 'oauth' && o.clientSecret === undefined && o.azureTenantId === undefined) report('a certificate (options.tls) instead of clientSecret is only supported with options.azureTenantId', ['options', 'tls'])
})

/** Several clients: none of the single-client keys, and each client knows its token endpoint. */
function refineClients (o: AuthOptions, report: (message: string, subPath?: PathSegment[]) => void): void {
  for (const k of ['clientId', 'clientSecret', 'tls'] as const) if (o[k] !== undefined) report('not used with options.clients (each client has its own)', ['options', k])
  const shared = o.tokenUrl !== undefined || o.azureTenantId !== undefined
  o.clients?.forEach((c, i) => { if (!shared && c.tokenUrl === undefined) report('needs tokenUrl (or options.tokenUrl / options.azureTenantId for all clients)', ['options', 'clients', i]) })
}

/** The sub-modes of oauthJwtBearer (Entra certificate, Entra federated, Google, generic) and what each needs. */
function refineJwtBearer (o: AuthOptions, report: (message: string, subPath?: PathSegment[]) => void): void {
  if (o.azureTenantId !== undefined) {
    if (o.fedCred === undefined && o.clientId === undefined) report('Entra ID needs options.clientId (or options.fedCred)', ['options'])
    const modes = [o.fedCred, o.federatedTokenFile, o.tls?.cert].filter(x => x !== undefined).length
    if (modes !== 1) report('Entra ID oauthJwtBearer needs exactly one of options.tls (key + cert), options.fedCred, options.federatedTokenFile', ['options'])
    if (o.tls !== undefined && (o.tls.key === undefined || o.tls.cert === undefined)) report('needs both key and cert', ['options', 'tls'])
  } else if (o.serviceAccountKeyFile !== undefined) {
    if (o.jwtPayload?.scope === undefined || o.jwtPayload.subject === undefined) report('a Google service account needs options.jwtPayload.scope and options.jwtPayload.subject', ['options', 'jwtPayload'])
  } else {
    if (o.jwtPayload === undefined) report('without azureTenantId/serviceAccountKeyFile, oauthJwtBearer needs options.jwtPayload', ['options'])
    if (o.tls?.key === undefined) report('without azureTenantId/serviceAccountKeyFile, oauthJwtBearer needs options.tls.key', ['options'])
  }
}

export const retrySchema = s.object({
  maxAttempts: s.integer({ min: 1, max: 20 }).default(4).describe('attempts per request, failovers included'),
  baseDelayMs: s.integer({ min: 0, max: 60_000 }).default(200),
  maxDelayMs: s.integer({ min: 0, max: 300_000 }).default(10_000).describe('longest back-off between attempts'),
  maxRetryAfterMs: s.integer({ min: 0, max: 600_000 }).default(30_000).describe('a longer Retry-After fails the request instead of waiting'),
  capRetryAfter: s.boolean().optional().describe('true: wait at most maxRetryAfterMs for a longer Retry-After instead of failing'),
  retriesPerUrl: s.integer({ min: 0, max: 100 }).optional().describe('per-URL mode: retries of 429/503/504 on the same base URL before the next one; each base URL is tried once per request (maxAttempts unused)')
})

export const connectionSchema = s.object({
  baseUrls: s.array(url).default([]),
  auth: authSchema.optional(),
  options: s.object({
    headers: s.record(s.string()).optional(),
    tls: tlsSchema.optional(),
    abortTimeout: s.number({ min: 0.001, max: 3600 }).optional().describe('seconds before a request (retries included) is aborted; default 120, none when attemptTimeout is set'),
    attemptTimeout: s.number({ min: 0.001, max: 3600 }).optional().describe('seconds one attempt may take; a timed-out attempt moves to the next base URL in per-URL mode')
  }).optional(),
  proxy: s.object({
    host: url.optional().describe('proxy URL, e.g. http://proxy.example.com:8080 (null = none)'),
    username: s.string().optional(),
    password: s.string().optional(),
    tls: tlsSchema.optional()
  }).optional(),
  retry: retrySchema.default({}),
  connections: s.integer({ min: 1, max: 10_000 }).default(128).describe('max sockets per origin'),
  maxConcurrent: s.integer({ min: 1, max: 10_000 }).optional().describe('requests in flight at once; others wait their turn (the wait is not part of attemptTimeout)')
})

export type ConnectionConfig = s.Infer<typeof connectionSchema>
export type TlsConfig = s.Infer<typeof tlsSchema>
export type AuthConfig = NonNullable<ConnectionConfig['auth']>
export type RetryConfig = ConnectionConfig['retry']

/**
 * Validates a `connection` section; every problem is reported with its path in one ConfigError.
 * @example parseConnection(config.endpoint.entity.undefined.connection, ['endpoint', 'entity', 'undefined', 'connection'])
 */
export function parseConnection (raw: unknown, path: PathSegment[] = ['connection'], file?: string): ConnectionConfig {
  const r = s.validate(connectionSchema, raw, { coerce: true }, path)
  if (!r.ok) throw new ConfigError(file, r.errors)
  const c = r.value
  if (c.auth?.options.azureTenantId !== undefined && c.baseUrls.length === 0) c.baseUrls = [GRAPH_URL]
  if (c.baseUrls.length === 0) throw new ConfigError(file, [{ path: formatPath([...path, 'baseUrls']), message: 'needs at least one base URL' }])
  return c
}

/** Default base URL when an Entra tenant is configured without baseUrls (as scimgateway does). */
export const GRAPH_URL = 'https://graph.microsoft.com/v1.0'
