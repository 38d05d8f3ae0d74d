// The schema of a plugin config file (config/plugin-<name>.json). It keeps scimgateway's JSON shape
// so existing configs load unchanged: `null` means "not set" for optional keys, and the placeholder
// auth entries scimgateway ships (every credential null) are dropped. Unknown keys under
// `scimgateway` are errors with a "did you mean"; `endpoint` is the plugin's own and free-form.
import * as s from './schema.ts'

const logLevel = s.enumOf(['error', 'warn', 'info', 'debug', 'off'])
const baseEntities = s.array(s.string({ minLength: 1 })).default([]).describe('baseEntities this credential may use; [] = all')
const stringOrList = s.oneOf(s.string(), s.array(s.string()))

/** Drops array entries whose credential keys are all null/absent/"" (scimgateway's shipped placeholders). */
function dropPlaceholders (credentialKeys: readonly string[]) {
  return (raw: unknown): unknown => {
    if (!Array.isArray(raw)) return raw
    return raw.filter(entry => {
      if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) return true
      return credentialKeys.some(k => { const v: unknown = (entry as Record<string, unknown>)[k]; return v !== undefined && v !== null && v !== '' })
    })
  }
}

const natsCredentials = s.object({
  tenant: s.string({ minLength: 1 }).optional().describe('NATS account (tenant) name'),
  subject: s.string({ minLength: 1 }).optional().describe('channel / subject'),
  jwt: s.string({ minLength: 1 }).optional().describe('NATS user JWT'),
  secret: s.string({ minLength: 1 }).optional().describe('NATS user nkey seed (encrypted at rest)')
})

function requireNats (label: string) {
  return (entities: Record<string, { nats: s.Infer<typeof natsCredentials> }>, report: (m: string, p?: Array<string | number>) => void): void => {
    for (const [name, e] of Object.entries(entities)) {
      for (const k of ['tenant', 'subject', 'jwt', 'secret'] as const) {
        if (e.nats[k] === undefined) report(`required when ${label} is enabled`, ['entity', name, 'nats', k])
      }
    }
  }
}

const subscriberEntity = s.object({
  nats: natsCredentials.default({}),
  deleteUserOnLastGroupRoleRemoval: s.boolean().default(false),
  skipConvertRolesToGroups: s.boolean().default(false),
  generateUserPassword: s.boolean().default(false),
  modifyOnly: s.boolean().default(false),
  replaceDomains: s.array(s.object({ from: s.string({ minLength: 1 }), to: s.string() })).default([])
})

/** Limits of a GW responder for requests that arrive in chunks (larger than the NATS max_payload). */
const gwChunking = s.object({
  maxTransfers: s.integer({ min: 1, max: 1000 }).optional().describe('chunked requests open at once (default 8)'),
  maxBytes: s.integer({ min: 1024 }).optional().describe('bytes held by open chunked requests in total (default 64 MiB)'),
  maxRequestBytes: s.integer({ min: 1024 }).optional().describe('largest chunked request in bytes (default 32 MiB)'),
  idleMs: s.integer({ min: 100, max: 3_600_000 }).optional().describe('a chunked request without a message this long is dropped (default 30000)')
})

const subscriber = s.object({
  enabled: s.boolean().default(false),
  chunking: gwChunking.default({}),
  entity: s.record(subscriberEntity).default({})
}).refine((v, report) => { if (v.enabled) requireNats('stream.subscriber')(v.entity, report) })

const gwTimeout = s.integer({ min: 1, max: 3_600_000 }).optional().describe('GW request/reply timeout in ms (default 60000)')

const publisher = s.object({
  enabled: s.boolean().default(false),
  timeout: gwTimeout,
  entity: s.record(s.object({ nats: natsCredentials.default({}), timeout: gwTimeout })).default({})
}).refine((v, report) => { if (v.enabled) requireNats('stream.publisher')(v.entity, report) })

const smtp = {
  host: s.string({ minLength: 1 }).optional(),
  port: s.integer({ min: 1, max: 65535 }).default(587),
  proxy: s.string().optional(),
  authenticate: s.boolean().default(true),
  username: s.string().optional(),
  password: s.string().optional()
}

const auth = s.object({
  basic: s.array(s.object({
    username: s.string({ minLength: 1 }),
    password: s.string({ minLength: 1 }),
    readOnly: s.boolean().default(false),
    baseEntities
  })).default([]).preprocess(dropPlaceholders(['username', 'password'])),
  bearerToken: s.array(s.object({
    token: s.string({ minLength: 1 }),
    readOnly: s.boolean().default(false),
    baseEntities
  })).default([]).preprocess(dropPlaceholders(['token'])),
  bearerJwtAzure: s.array(s.object({
    tenantIdGUID: s.string({ minLength: 1 }),
    readOnly: s.boolean().default(false),
    baseEntities
  })).default([]).preprocess(dropPlaceholders(['tenantIdGUID'])).describe('kept for compatibility; prefer bearerJwt with azureTenantId'),
  bearerJwt: s.array(s.object({
    secret: s.string({ minLength: 1 }).optional().describe('HMAC secret'),
    publicKey: s.string({ minLength: 1 }).optional().describe('PEM public key, or a file name in config/certs'),
    wellKnownUri: s.string({ minLength: 1 }).optional().describe('OpenID configuration URI (JWKS discovery)'),
    azureTenantId: s.string({ minLength: 1 }).optional(),
    options: s.object({
      issuer: s.string().optional(),
      audience: stringOrList.optional(),
      clockTolerance: s.integer({ min: 0 }).optional().describe('seconds'),
      algorithms: s.array(s.string()).optional(),
      subject: s.string().optional(),
      maxTokenAge: s.oneOf(s.string(), s.integer({ min: 0 })).optional(),
      requireExp: s.boolean().optional().describe('refuse tokens without exp (default true)')
    }).default({}),
    readOnly: s.boolean().default(false),
    baseEntities
  })).default([]).preprocess(dropPlaceholders(['secret', 'publicKey', 'wellKnownUri', 'azureTenantId'])),
  bearerOAuth: s.array(s.object({
    clientId: s.string({ minLength: 1 }),
    clientSecret: s.string({ minLength: 1 }),
    readOnly: s.boolean().default(false),
    baseEntities,
    expiresIn: s.integer({ min: 1 }).optional().describe('token lifetime, seconds')
  })).default([]).preprocess(dropPlaceholders(['clientId', 'clientSecret'])),
  passThrough: s.object({
    enabled: s.boolean().default(false),
    readOnly: s.boolean().default(false),
    baseEntities
  }).default({}),
  clientCertificate: s.array(s.object({
    commonName: s.string({ minLength: 1 }).optional().describe('subject CN of an admitted client certificate'),
    subject: s.string({ minLength: 1 }).optional().describe('whole subject, e.g. "C=NO, O=Example, CN=idp"'),
    fingerprint256: s.string({ minLength: 1 }).optional().describe('SHA-256 fingerprint AA:BB:…'),
    readOnly: s.boolean().default(false),
    baseEntities
  })).default([]).preprocess(dropPlaceholders(['commonName', 'subject', 'fingerprint256'])).describe('mutual TLS: principals from verified client certificates (needs certificate.ca)'),
  failedAuth: s.object({
    freeAttempts: s.integer({ min: 0 }).default(3).describe('failures from one address before requests are delayed'),
    delayMs: s.integer({ min: 0 }).default(500).describe('first delay, doubled per further failure; 0 = off'),
    maxDelayMs: s.integer({ min: 0 }).default(10_000),
    windowSeconds: s.integer({ min: 1 }).default(900).describe('failures older than this are forgotten')
  }).default({}),
  rateLimit: s.object({
    perAddress: s.object({ requestsPerSecond: s.number({ min: 0 }).optional(), burst: s.integer({ min: 1 }).optional() }).default({}).describe('requestsPerSecond unset = no limit'),
    perPrincipal: s.object({ requestsPerSecond: s.number({ min: 0 }).optional(), burst: s.integer({ min: 1 }).optional() }).default({})
  }).default({})
})

const scimgateway = s.object({
  port: s.integer({ min: 1, max: 65535 }).default(8880).describe('listen port; the environment variable PORT overrides it'),
  localhostonly: s.boolean().default(false).describe('listen on 127.0.0.1 only'),
  baseUrl: s.string({ minLength: 1 }).optional().refine((v, report) => {
    if (v === undefined) return
    let u: URL | undefined
    try { u = new URL(v) } catch { report('expected an absolute http(s) URL, e.g. "https://scim.example.com"'); return }
    if (u.protocol !== 'http:' && u.protocol !== 'https:') report('expected an http or https URL')
    else if (u.search !== '' || u.hash !== '' || u.username !== '') report('expected a base URL without query, fragment or credentials')
  }).describe('public base URL for Location and meta.location; unset: the Host header only when it names this gateway'),
  hostnames: s.array(s.string({ minLength: 1 })).default([]).describe('host names clients reach this gateway by (Host header accepted for Location)'),
  chainingBaseUrl: s.string({ minLength: 1 }).optional().describe('forward every request to another gateway'),
  idleTimeout: s.integer({ min: 1 }).optional().describe('seconds a keep-alive connection may idle'),
  payloadSize: s.byteSize().default(1024 ** 2).describe('maximum request body, bytes (accepts "1mb", "500kb")'),
  jsonMaxDepth: s.integer({ min: 1, max: 10_000 }).default(64).describe('deepest JSON nesting accepted in a request body; deeper → 400 invalidSyntax'),
  scim: s.object({
    version: s.enumOf(['2.0', '1.1']).default('2.0'),
    skipTypeConvert: s.boolean().default(false).describe('scimgateway default kept: multi-valued attributes are type-converted'),
    skipMetaLocation: s.boolean().default(false),
    groupMemberOfUser: s.boolean().default(false),
    usePutSoftSync: s.boolean().default(false),
    maxResults: s.integer({ min: 1 }).optional().describe('page size cap for list responses')
  }).default({}),
  log: s.object({
    loglevel: s.object({
      file: logLevel.default('info'),
      console: logLevel.default('info'),
      push: logLevel.optional()
    }).default({}),
    customMasking: s.array(s.string({ minLength: 1 })).default([]).describe('extra attribute names masked in logs'),
    colorize: s.boolean().optional(),
    maxSize: s.byteSize().optional(),
    maxFiles: s.integer({ min: 1 }).optional(),
    logDirectory: s.string({ minLength: 1 }).optional()
  }).default({}),
  auth: auth.default({}),
  ipAllowList: s.array(s.string({ minLength: 1 })).default([]).describe('CIDR ranges or addresses; [] = any'),
  trustProxy: s.oneOf(s.boolean(), s.integer({ min: 0 }), s.string(), s.array(s.string({ minLength: 1 }))).optional()
    .describe('X-Forwarded-For is used only from trusted proxies: true (all), a hop count, or proxy CIDRs (array or comma-separated)'),
  certificate: s.object({
    key: s.string().optional(),
    cert: s.string().optional(),
    ca: stringOrList.optional(),
    pfx: s.object({ bundle: s.string().optional(), password: s.string().optional() }).optional(),
    requestCert: s.boolean().optional().describe('require client certificates signed by ca (default: when auth.clientCertificate is set)')
  }).default({}).refine((c, report) => {
    if ((c.key === undefined) !== (c.cert === undefined)) report('key and cert go together', [c.key === undefined ? 'key' : 'cert'])
  }),
  email: s.object({
    auth: s.object({
      type: s.enumOf(['oauth', 'smtp', 'basic']).describe('oauth = Microsoft Graph sendMail; smtp/basic = SMTP login'),
      options: s.object({
        azureTenantId: s.string().optional(),
        tenantIdGUID: s.string().optional(),
        clientId: s.string().optional(),
        clientSecret: s.string().optional(),
        host: s.string().optional(),
        port: s.integer({ min: 1, max: 65535 }).optional(),
        secure: s.boolean().optional().describe('SMTP: implicit TLS (default: port 465)'),
        proxy: s.string().optional().describe('SMTP: proxy URL'),
        username: s.string().optional(),
        password: s.string().optional(),
        serviceAccountKeyFile: s.string().optional().describe('Google Workspace: refused at start (not supported)'),
        authorityUrl: s.string().optional().describe('oauth: token authority (default https://login.microsoftonline.com)'),
        graphUrl: s.string().optional().describe('oauth: Graph base (default https://graph.microsoft.com)')
      }).default({})
    }).optional().describe('scimgateway 5.x shape'),
    emailOnError: s.object({
      enabled: s.boolean().default(false),
      from: s.string().optional(),
      to: stringOrList.optional(),
      cc: stringOrList.optional(),
      subject: s.string().optional(),
      sendInterval: s.integer({ min: 1 }).default(15).describe('minutes between error mails')
    }).optional(),
    enabled: s.boolean().default(false),
    smtp: s.object(smtp).optional(),
    proxy: s.string().optional(),
    from: s.string().optional(),
    to: stringOrList.optional(),
    cc: stringOrList.optional(),
    subject: s.string().optional(),
    sendInterval: s.integer({ min: 1 }).default(15).describe('minutes between error mails')
  }).optional(),
  emailOnError: s.object({
    smtp: s.object({
      ...smtp,
      enabled: s.boolean().default(false),
      sendInterval: s.integer({ min: 1 }).default(15),
      to: s.string().optional(),
      cc: s.string().optional()
    }).default({})
  }).optional().describe('scimgateway 4.x shape, accepted as is'),
  azureRelay: s.object({
    enabled: s.boolean().default(false),
    connectionUrl: s.string().optional(),
    apiKey: s.string().optional()
  }).optional(),
  stream: s.object({
    baseUrls: s.array(s.string({ minLength: 1 })).default([]).describe('NATS server URLs'),
    certificate: s.object({ ca: stringOrList.optional() }).default({}),
    subscriber: subscriber.default({}),
    publisher: publisher.default({})
  }).default({}),
  kubernetes: s.json().optional().describe('accepted and ignored'),
  plugin: s.object({
    timeout: s.integer({ min: 0, max: 3_600_000 }).default(60_000)
      .describe('ms one plugin call may take before it is aborted (ctx.signal) and answered 504; 0 = no limit')
  }).default({})
})

/**
 * The whole plugin config: `scimgateway` (validated here) and `endpoint` (the plugin's own, free-form;
 * `endpoint.entity.<baseEntity>` objects hold per-tenant settings).
 */
export const gatewayConfigSchema = s.object({
  scimgateway: scimgateway.default({}),
  endpoint: s.object({ entity: s.record(s.jsonObject()).optional() }, { unknownKeys: 'keep' }).default({})
})

/** The validated, defaulted plugin config (frozen at runtime). */
export type GatewayConfig = s.Infer<typeof gatewayConfigSchema>
