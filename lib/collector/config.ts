// The SCIM Stream service's YAML configuration: schema (key names as the SCIM Stream product
// documents them), loading with environment/vault overrides, and the semantic checks that need the
// compilers (mapper entries, stream rules, dynamics), so a bad file lists every problem at once.
//
//   entra:|hr: <tenant>: { auth, general, streams, dynamics, mapper }
//   log: { console, level, file, max_size, max_backups, max_age }
//   email: { smtp{host,port,username,password,proxy}, on_error{enabled,send_interval,subject,to} }
//   nats: { server{use_external_server,host,port,…}, publisher{<tenant>{max_age,urls,jwt,secret}} }
import { dirname, isAbsolute, resolve } from 'node:path'
import { loadYamlConfig, schema as s, validate, deepFreeze, ConfigError, isConfigError } from '../config/index.ts'
import type { ConfigProblem, Infer } from '../config/index.ts'
import { isJsonObject, type JsonValue } from '../scim/types.ts'
import type { Logger } from '../logging/types.ts'
import { compileMapper } from './mapper/index.ts'
import { compileStreamRules } from './rules/index.ts'
import { compileDynamics } from './dynamics/index.ts'
import type { DynamicDef } from './dynamics/index.ts'
import { COLLECTOR_TYPES, sourceDefinition } from './sources/registry.ts'
import type { CollectorType } from './sources/types.ts'
import { checkScheduleSpec } from './schedule.ts'
import { applyOverrides, readOverrides, shapeFromSchema } from './env-overrides.ts'
import { liftGeneralHr, renameDynamicId, unknownTenantKeys } from './config-keys.ts'
import { compileTenantMapper, prepareTenantMapper } from './tenant-mapper.ts'
import { compileInitialLoadFilter } from './initial-load.ts'
import { CertificateFileError, loadConfiguredTls } from './nats/tls-configured.ts'
import { checkConfiguredAuth } from './nats/imported-auth.ts'

const TENANT_NAME = /^[A-Za-z0-9_-]+$/

const general = s.object({
  /** Seconds between collections, or a crontab expression. */
  collect_interval: s.oneOf(s.integer({ min: 1 }), s.string({ minLength: 1 }).refine((v, report) => {
    // The same reading as the scheduler's, so whatever validates also schedules.
    const problem = checkScheduleSpec(v)
    if (problem !== undefined) report(problem)
  })).default(300),
  do_initial_load: s.boolean().default(false),
  /** Entra (and HR): one stream-rule filter; the next start republishes the users it holds for, then it is set back to null. */
  do_initial_load_filter: s.string().optional(),
  /** HR: read by the HR collector (also under general.hr); no default here so the two places can be compared. */
  pre_activate_days: s.integer({ min: 0 }).optional(),
  /** Publish deleteUser for persons that disappear from a complete collection. */
  delete_missing: s.boolean().default(true),
  /** Publishes in flight per tenant. */
  max_inflight: s.integer({ min: 1, max: 10_000 }).default(256)
}, { unknownKeys: 'keep' })

const stream = s.object({
  channel: s.string({ minLength: 1 }),
  comment: s.string().optional(),
  rules: s.array(s.object({ filter: s.string({ minLength: 1 }), comment: s.string().optional() }), { minItems: 1 })
})

// Entries in either shape (documented `- <source>: { map_to }` or `{ source, map_to }`), checked and
// translated by tenant-mapper.ts, which also reports unknown keys of the section.
const mapperSchema = s.object({
  user: s.array(s.json()).default([]),
  rules: s.array(s.json()).default([])
}, { unknownKeys: 'keep' })

const tenant = s.object({
  auth: s.jsonObject().default({}),
  general: general.default({}),
  streams: s.array(stream).default([]),
  dynamics: s.array(s.jsonObject()).default([]),
  mapper: mapperSchema.default({})
})

const tenants = s.record(tenant).refine((v, report) => {
  for (const name of Object.keys(v)) if (!TENANT_NAME.test(name)) report('tenant name must use letters, digits, _ and - only', [name])
})

const PUBLISHER = s.object({
  /** Days messages stay in the tenant's stream. */
  max_age: s.integer({ min: 1 }).default(14),
  /** External NATS servers (use_external_server). */
  urls: s.array(s.string({ minLength: 1 })).default([]),
  /** Publisher user JWT and nkey seed on an external server. */
  jwt: s.string().optional(),
  secret: s.string().optional(),
  /** CA file of an external server (relative to the config directory). */
  ca: s.string().optional()
})

const level = s.enumOf(['error', 'warn', 'info', 'debug', 'off'] as const)

const configSchema = s.object({
  entra: tenants.default({}),
  hr: tenants.default({}),
  log: s.object({
    console: s.boolean().default(true),
    level: level.default('info'),
    /** Log file path (relative to the config directory); none when absent. */
    file: s.string({ minLength: 1 }).optional(),
    /** Rotation by size: megabytes per file; rotated files kept besides the current one; days a rotated file is kept (0 = no age limit). */
    max_size: s.integer({ min: 1 }).default(20),
    max_backups: s.integer({ min: 1 }).default(5),
    max_age: s.integer({ min: 0 }).default(0),
    json: s.boolean().default(false)
  }).default({}),
  email: s.object({
    smtp: s.object({
      host: s.string({ minLength: 1 }),
      port: s.integer({ min: 1, max: 65535 }).default(587),
      username: s.string().optional(),
      password: s.string().optional(),
      proxy: s.string().refine((v, report) => {
        // nodemailer tunnels SMTP through HTTP CONNECT proxies by itself (socks would need another module).
        let u: URL | undefined
        try { u = new URL(v) } catch {}
        if (u === undefined || (u.protocol !== 'http:' && u.protocol !== 'https:')) report('must be an HTTP proxy URL like http://proxy-host:1234 (HTTP CONNECT; socks is not supported)')
      }).optional(),
      /** Proxy-Authorization of the CONNECT tunnel (documented keys; the password is a secret). */
      proxy_username: s.string().optional(),
      proxy_password: s.string().optional(),
      from: s.string().optional(),
      secure: s.boolean().optional(),
      reject_unauthorized: s.boolean().default(true)
    }).refine((v, report) => {
      if (v.proxy === undefined && (v.proxy_username !== undefined || v.proxy_password !== undefined)) report('proxy_username/proxy_password need proxy', ['proxy'])
    }).optional(),
    on_error: s.object({
      enabled: s.boolean().default(false),
      /** Minutes between mails. */
      send_interval: s.number({ min: 0 }).default(15),
      subject: s.string().default('SCIM Stream error'),
      /** A list, or a comma-separated string as the product documents it. */
      to: s.oneOf(s.array(s.string({ minLength: 3 })), s.string()).default([])
    }).default({})
  }).default({}),
  nats: s.object({
    server: s.object({
      use_external_server: s.boolean().default(false),
      host: s.string({ minLength: 1 }).default('0.0.0.0'),
      port: s.integer({ min: -1, max: 65535 }).default(9012),
      /** Extra host names for the server certificate. */
      hosts: s.array(s.string({ minLength: 1 })).default([]),
      /** nats-server binary (default: from PATH). */
      binary: s.string({ minLength: 1 }).optional(),
      /** State directory: credentials, resolver, JetStream store (default <config dir>/nats). */
      dir: s.string({ minLength: 1 }).optional(),
      /** TLS files directory (default <config dir>/certs). */
      cert_dir: s.string({ minLength: 1 }).optional(),
      /** Own certificate files in cert_dir (documented; generated ones when absent). */
      certificate: s.object({
        certfile: s.string({ minLength: 1 }).default('cert.pem'),
        keyfile: s.string({ minLength: 1 }).default('key.pem'),
        cafile: s.string({ minLength: 1 }).default('ca.pem')
      }).optional(),
      /** Existing operator and tenant accounts (documented; generated ones when absent). */
      auth: s.object({
        operator: s.object({
          jwt: s.string({ minLength: 1 }),
          secret: s.string({ minLength: 1 }),
          sys_account_jwt: s.string({ minLength: 1 }),
          sys_account_secret: s.string({ minLength: 1 })
        }).optional(),
        account: s.record(s.object({
          jwt: s.string({ minLength: 1 }),
          secret: s.string({ minLength: 1 }),
          signing: s.object({
            pub_secret: s.string().optional(),
            sub_entra_secret: s.string().optional(),
            sub_hr_secret: s.string().optional()
          }).optional()
        })).optional()
      }).optional(),
      encryption_at_rest_key: s.string({ minLength: 1 }).optional(),
      trace: s.boolean().default(false),
      max_memory_store: s.byteSize().optional(),
      max_file_store: s.byteSize().optional()
    }).default({}),
    publisher: s.record(PUBLISHER).default({})
  }).default({}),
  /** Local store of the last published state (default <config dir>/state). */
  state: s.object({ dir: s.string({ minLength: 1 }).optional() }).default({}),
  /** Operations HTTP port: /healthz, /readyz, /metrics (off unless a port is set; 0 = any free port). */
  metrics: s.object({
    port: s.integer({ min: 0, max: 65535 }).optional(),
    host: s.string({ minLength: 1 }).default('127.0.0.1')
  }).default({})
})

const SHAPE = shapeFromSchema(configSchema, [
  { at: ['entra'], child: tenant },
  { at: ['hr'], child: tenant },
  { at: ['nats', 'publisher'], child: PUBLISHER }
])

/** The validated, frozen service configuration. */
export type StreamConfig = Infer<typeof configSchema>
/** One tenant (`hr.<name>` or `entra.<name>`). */
export type TenantConfig = StreamConfig['hr'][string]
/** Collector type of a tenant section (one per source in sources/registry.ts). */
export type { CollectorType } from './sources/types.ts'

/** A loaded config with the paths derived from its location. */
export interface LoadedStreamConfig {
  readonly config: StreamConfig
  readonly file: string
  readonly configDir: string
}

/** Options of {@link loadStreamConfig}. */
export interface LoadStreamConfigOptions {
  env?: NodeJS.ProcessEnv
  log?: Logger
  /** Encrypt cleartext secrets in the file (default true). */
  encryptInPlace?: boolean
}

/**
 * Loads, overrides (environment, vault file), validates and semantically checks the config.
 * @throws ConfigError listing every problem with its path
 * @example const { config } = await loadStreamConfig('config/scim-stream.yaml', { log })
 */
export async function loadStreamConfig (file: string, opts: LoadStreamConfigOptions = {}): Promise<LoadedStreamConfig> {
  const env = opts.env ?? process.env
  const loaded = await loadYamlConfig(file, s.json(), { env, log: opts.log, encryptInPlace: opts.encryptInPlace })
  const raw = structuredClone(loaded.config) as JsonValue
  const problems: ConfigProblem[] = []
  const overrides = await readOverrides(env, loaded.configDir, problems)
  const value = applyOverrides(raw ?? {}, overrides, SHAPE, problems)
  const notes = [...liftGeneralHr(value, problems), ...renameDynamicId(value, problems)]
  problems.push(...unknownTenantKeys(value))
  const result = validate(configSchema, value, { coerce: true })
  problems.push(...result.errors)
  if (result.ok) {
    const prepared = prepareMappers(result.value)
    problems.push(...prepared.problems)
    notes.push(...prepared.notes)
    if (problems.length === 0) {
      // said at start and on every reload: what of the documented shape was translated, what was ignored
      for (const n of notes) opts.log?.info(n)
      for (const w of prepared.warnings) opts.log?.warn(w)
    }
    problems.push(...checkSemantics(result.value, loaded.configDir))
  } else problems.push(...checkValidTenants(value))
  if (!result.ok || problems.length > 0) throw new ConfigError(loaded.file, problems)
  return { config: deepFreeze(result.value), file: loaded.file, configDir: loaded.configDir }
}

/** Replaces every tenant's mapper section by its prepared form (tenant-mapper.ts), in place. */
function prepareMappers (config: StreamConfig): { problems: ConfigProblem[], notes: string[], warnings: string[] } {
  const out = { problems: [] as ConfigProblem[], notes: [] as string[], warnings: [] as string[] }
  for (const { name, type, tenant } of tenantsOf(config)) {
    const p = prepareTenantMapper(type, tenant.mapper, `${type}.${name}.mapper`)
    out.problems.push(...p.problems)
    out.notes.push(...p.notes)
    out.warnings.push(...p.warnings)
    ;(tenant as { mapper: unknown }).mapper = p.mapper
  }
  return out
}

/** Compiles what the config holds as text (mapper, rules) and reports every problem with its path. */
export function checkSemantics (config: StreamConfig, configDir?: string): ConfigProblem[] {
  const problems: ConfigProblem[] = []
  const seen = new Map<string, string>()
  for (const type of COLLECTOR_TYPES) {
    for (const [name, t] of Object.entries(config[type])) {
      const at = `${type}.${name}`
      const other = seen.get(name)
      if (other !== undefined) problems.push({ path: at, message: `tenant "${name}" is also defined under ${other}; tenant names are NATS accounts and must be unique` })
      seen.set(name, type)
      problems.push(...checkTenant(at, t))
      problems.push(...sourceDefinition(type).configProblems(at, t, configDir))
    }
  }
  const srv = config.nats.server
  if (srv.auth !== undefined && !srv.use_external_server) problems.push(...checkConfiguredAuth(srv.auth))
  for (const k of ['auth', 'certificate'] as const) {
    if (srv[k] !== undefined && srv.use_external_server) problems.push({ path: `nats.server.${k}`, message: 'applies to the builtin server only; with use_external_server the external server has its own (remove it, or set use_external_server: false)' })
  }
  if (srv.certificate !== undefined && !srv.use_external_server && configDir !== undefined) {
    // The files must be usable before the server starts (a bad one would only show as a TLS failure).
    try {
      loadConfiguredTls(configPath(configDir, srv.cert_dir ?? 'certs'), srv.certificate)
    } catch (err) {
      if (!(err instanceof CertificateFileError)) throw err
      problems.push({ path: `nats.server.certificate.${err.key}`, message: err.message })
    }
  }
  return problems
}

/** The compile problems of one tenant section. */
function checkTenant (at: string, t: TenantConfig): ConfigProblem[] {
  const problems: ConfigProblem[] = []
  collect(problems, () => compileTenantMapper(at.startsWith('entra.') ? 'entra' : 'hr', t.mapper, `${at}.mapper`))
  collect(problems, () => compileStreamRules(t.streams, { configPath: `${at}.streams` }))
  collect(problems, () => compileDynamics(t.dynamics as unknown as DynamicDef[], { configPath: `${at}.dynamics` }))
  const filter = t.general.do_initial_load_filter
  if (filter !== undefined && filter.trim() !== '') collect(problems, () => compileInitialLoadFilter(filter, `${at}.general.do_initial_load_filter`))
  return problems
}

/** When the file as a whole is invalid, still compile every tenant section that is valid by itself. */
function checkValidTenants (raw: JsonValue): ConfigProblem[] {
  const problems: ConfigProblem[] = []
  if (!isJsonObject(raw)) return problems
  for (const type of COLLECTOR_TYPES) {
    const section = raw[type]
    if (section === undefined || section === null || !isJsonObject(section)) continue
    for (const [name, rawTenant] of Object.entries(section)) {
      if (rawTenant === null || !isJsonObject(rawTenant)) continue
      const at = `${type}.${name}`
      problems.push(...sourceDefinition(type).configProblems(at, rawTenant))
      // each part on its own: a bad interval must not hide a bad rule
      const streams = validate(s.array(stream), rawTenant.streams ?? [], { coerce: true })
      if (streams.ok) collect(problems, () => compileStreamRules(streams.value, { configPath: `${at}.streams` }))
      const mapper = validate(mapperSchema, rawTenant.mapper ?? {}, { coerce: true })
      if (mapper.ok) {
        const p = prepareTenantMapper(type, rawTenant.mapper, `${at}.mapper`)
        problems.push(...p.problems)
        if (p.problems.length === 0) collect(problems, () => compileMapper(p.mapper.user, { configPath: `${at}.mapper.user` }))
      }
      const dynamics = validate(s.array(s.jsonObject()), rawTenant.dynamics ?? [], { coerce: true })
      if (dynamics.ok) collect(problems, () => compileDynamics(dynamics.value as unknown as DynamicDef[], { configPath: `${at}.dynamics` }))
    }
  }
  return problems
}

/** Resolves a path of the config relative to the config directory. */
export function configPath (configDir: string, p: string): string {
  return isAbsolute(p) ? p : resolve(configDir, p)
}

/** Every configured tenant with its collector type, in file order. */
export function tenantsOf (config: StreamConfig): Array<{ name: string, type: CollectorType, tenant: TenantConfig }> {
  const out: Array<{ name: string, type: CollectorType, tenant: TenantConfig }> = []
  for (const type of COLLECTOR_TYPES) {
    for (const [name, tenant] of Object.entries(config[type])) out.push({ name, type, tenant })
  }
  return out
}

/** The directory of `file` (absolute). */
export function configDirOf (file: string): string {
  return dirname(resolve(file))
}

function collect (problems: ConfigProblem[], fn: () => unknown): void {
  try {
    fn()
  } catch (err) {
    if (!isConfigError(err)) throw err
    problems.push(...err.problems)
  }
}

export { configSchema as streamConfigSchema }
