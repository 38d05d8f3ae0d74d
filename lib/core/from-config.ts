// Turns a validated plugin config (lib/config GatewayConfig) into ScimGateway options: auth methods
// (basic, bearerToken, bearerJwt, bearerJwtAzure, bearerOAuth with its token endpoint, passThrough,
// client certificates), the IP allow list, rate limits and the failed-auth slow-down, TLS material,
// baseEntities, SCIM switches, limits. Files (PEM, PFX, the OAuth signing key) live in
// `<configDir>/certs` unless the config gives an absolute path.
import { readFileSync } from 'node:fs'
import { isAbsolute, join } from 'node:path'
import type { GatewayConfig } from '../config/gateway-schema.ts'
import { ConfigError, type ConfigProblem } from '../config/errors.ts'
import { deriveSecretKey, type SecretKey } from '../config/secrets.ts'
import type { Logger } from '../logging/types.ts'
import type { Authenticator } from '../auth/types.ts'
import { basicAuthenticator } from '../auth/basic.ts'
import { bearerTokenAuthenticator } from '../auth/bearer-token.ts'
import { bearerJwtAuthenticator, type BearerJwtDeps, type BearerJwtEntry } from '../auth/bearer-jwt.ts'
import { createOAuthServer } from '../auth/oauth.ts'
import { createSigningKey, loadOrCreateSigningKey } from '../auth/signing-key.ts'
import { passThroughAuthenticator } from '../auth/pass-through.ts'
import { clientCertificateAuthenticator } from '../auth/client-cert.ts'
import { clientAddressResolver, ipAllowGate, type TrustProxy } from '../auth/ip-allow.ts'
import type { AuthEventObserver, Gate } from '../auth/http.ts'
import { addressRateLimitGate, createRateLimiter, failedAuthSlowDown, principalRateLimitGate } from '../auth/rate-limit.ts'
import type { GatewayOptions, TlsOptions } from './options.ts'
import { createChainingForwarder, parseChainingBaseUrl } from './chaining.ts'

/** Extra authenticators (bearerJwt, bearerOAuth, …) built by other modules from the same config. */
export type AuthenticatorFactory = (config: GatewayConfig) => Authenticator[]

/** What the config alone does not say. */
export interface FromConfigEnv {
  /** Directory of the config file: `certs/` below it holds PEM/PFX files and the OAuth signing key. */
  configDir?: string
  /** The plugin's capabilities (auth.passThrough needs `passThrough: true`). */
  plugin?: { capabilities?: { passThrough?: boolean } | undefined }
  log?: Logger
  /** Key for the OAuth signing key file (default: from SEED / the machine, like the config's secrets). */
  secretKey?: SecretKey
  /** JWKS fetching and the Entra ID authority (tests use local emulators). */
  jwt?: BearerJwtDeps
}

export function authenticatorsFromConfig (config: GatewayConfig, extra: readonly AuthenticatorFactory[] = [], env: FromConfigEnv = {}): Authenticator[] {
  return build(config, extra, env).authenticators
}

/**
 * The gateway options a config describes.
 * @example
 * const { config, configDir } = await loadPluginConfig('loki')
 * new ScimGateway({ plugin, log, options: gatewayOptionsFromConfig(config, [], { configDir, plugin, log }) })
 */
export function gatewayOptionsFromConfig (config: GatewayConfig, extraAuth: readonly AuthenticatorFactory[] = [], env: FromConfigEnv = {}): Partial<GatewayOptions> {
  const g = config.scimgateway
  const built = build(config, extraAuth, env)
  const opts: Partial<GatewayOptions> = {
    port: g.port,
    localhostOnly: g.localhostonly,
    scimVersion: g.scim.version,
    skipMetaLocation: g.scim.skipMetaLocation,
    usePutSoftSync: g.scim.usePutSoftSync,
    groupMemberOfUser: g.scim.groupMemberOfUser,
    skipTypeConvert: g.scim.skipTypeConvert,
    // the key "undefined" stands for requests without a baseEntity, not for a path segment
    entities: Object.keys(config.endpoint.entity ?? {}).filter(k => k !== 'undefined'),
    maxPayloadBytes: g.payloadSize,
    bulk: { maxOperations: 1000, maxPayloadSize: g.payloadSize },
    authenticators: built.authenticators,
    passThrough: g.auth.passThrough.enabled,
    gates: built.gates,
    principalGates: built.principalGates,
    authObservers: built.authObservers,
    extraRoutes: built.extraRoutes,
    tls: built.tls,
    pluginTimeoutMs: g.plugin.timeout
  }
  if (g.chainingBaseUrl !== undefined) {
    // checked in build(): a bad URL is a ConfigError with its path before we get here
    opts.forwarders = [createChainingForwarder({ baseUrl: g.chainingBaseUrl, timeoutMs: 60_000, maxPayloadBytes: g.payloadSize })]
    opts.acceptAnyBaseEntity = true
  }
  if (g.scim.maxResults !== undefined) opts.maxResults = g.scim.maxResults
  if (g.idleTimeout !== undefined) opts.idleTimeoutMs = g.idleTimeout * 1000
  // issue 12: JSON nesting limit, public origin for Location (see core/http/origin.ts)
  opts.jsonMaxDepth = g.jsonMaxDepth
  opts.hostnames = g.hostnames
  opts.trustProxy = trustProxyOf(g.trustProxy)
  if (g.baseUrl !== undefined) opts.baseUrl = g.baseUrl
  return opts
}

type Built = Pick<GatewayOptions, 'authenticators' | 'gates' | 'principalGates' | 'authObservers' | 'extraRoutes' | 'tls'>

function build (config: GatewayConfig, extra: readonly AuthenticatorFactory[], env: FromConfigEnv): Built {
  const g = config.scimgateway
  const a = g.auth
  const problems: ConfigProblem[] = []
  const attempt = <T>(path: string, fn: () => T): T | undefined => {
    try {
      return fn()
    } catch (err) {
      problems.push({ path, message: err instanceof Error ? err.message : String(err) })
      return undefined
    }
  }
  const file = (path: string, value: string): Buffer | undefined => attempt(path, () => readFileSync(certPath(value, env.configDir)))
  const text = (path: string, value: string): string | undefined => /-----BEGIN /.test(value) ? value : file(path, value)?.toString('utf8')

  const out: Built = { authenticators: [], gates: [], principalGates: [], authObservers: [], extraRoutes: [], tls: undefined }
  // kept in lib/auth's own types too: the OAuth token endpoint runs the same gates and observers
  const gates: Gate[] = []
  const observers: AuthEventObserver[] = []

  // network protections first: they run before authentication, in this order
  const trustProxy = trustProxyOf(g.trustProxy)
  const resolve = attempt('scimgateway.trustProxy', () => clientAddressResolver(trustProxy))
  if (g.ipAllowList.length > 0) {
    const gate = attempt('scimgateway.ipAllowList', () => ipAllowGate({
      allow: g.ipAllowList,
      trustProxy,
      onRefused: (address) => env.log?.warn(`request refused by ipAllowList from ${address ?? 'unknown address'}`)
    }))
    if (gate !== undefined) gates.push(gate)
  }
  const perAddress = g.auth.rateLimit.perAddress
  if (perAddress.requestsPerSecond !== undefined && perAddress.requestsPerSecond > 0) {
    const limiter = createRateLimiter({ ratePerSecond: perAddress.requestsPerSecond, burst: perAddress.burst })
    gates.push(addressRateLimitGate(limiter, resolve))
  }
  const perPrincipal = g.auth.rateLimit.perPrincipal
  if (perPrincipal.requestsPerSecond !== undefined && perPrincipal.requestsPerSecond > 0) {
    out.principalGates.push(principalRateLimitGate(createRateLimiter({ ratePerSecond: perPrincipal.requestsPerSecond, burst: perPrincipal.burst })))
  }
  const fa = a.failedAuth
  if (fa.delayMs > 0) {
    // keyed by the real client: behind a trusted proxy, the X-Forwarded-For address
    const slow = failedAuthSlowDown({ freeAttempts: fa.freeAttempts, delayMs: fa.delayMs, maxDelayMs: fa.maxDelayMs, windowMs: fa.windowSeconds * 1000, clientAddress: resolve })
    observers.push(slow.observer) // delays failed answers only (no gate: a valid login is never held up)
  }

  if (a.basic.length > 0) out.authenticators.push(basicAuthenticator(a.basic))
  if (a.bearerToken.length > 0) out.authenticators.push(bearerTokenAuthenticator(a.bearerToken))
  // our own tokens first: the OAuth authenticator skips foreign kids at once, while bearerJwt would
  // look an unknown kid up in its JWKS
  if (a.bearerOAuth.length > 0) {
    const signingKey = attempt('scimgateway.auth.bearerOAuth', () => env.configDir === undefined
      ? createSigningKey()
      : loadOrCreateSigningKey(join(env.configDir, 'certs', 'oauth-signing-key.json'), env.secretKey ?? deriveSecretKey({ seed: process.env.SEED })))
    if (signingKey !== undefined) {
      const oauth = createOAuthServer({ clients: a.bearerOAuth, signingKey, gates, observers, ...(env.log !== undefined ? { log: env.log } : {}) })
      out.authenticators.push(oauth.authenticator)
      out.extraRoutes.push(oauth.mount)
    }
  }
  const jwtEntries: BearerJwtEntry[] = []
  a.bearerJwt.forEach((e, i) => {
    const publicKey = e.publicKey !== undefined ? text(`scimgateway.auth.bearerJwt[${i}].publicKey`, e.publicKey) : undefined
    jwtEntries.push({ ...e, publicKey })
  })
  for (const e of a.bearerJwtAzure) jwtEntries.push({ azureTenantId: e.tenantIdGUID, readOnly: e.readOnly, baseEntities: e.baseEntities })
  if (jwtEntries.length > 0) {
    const jwt = attempt('scimgateway.auth.bearerJwt', () => bearerJwtAuthenticator(jwtEntries, env.jwt))
    if (jwt !== undefined) out.authenticators.push(jwt)
  }
  for (const f of extra) out.authenticators.push(...f(config))
  if (a.clientCertificate.length > 0) out.authenticators.push(clientCertificateAuthenticator(a.clientCertificate))
  if (a.passThrough.enabled) {
    const pt = attempt('scimgateway.auth.passThrough.enabled', () => passThroughAuthenticator({
      // in chaining mode the next gateway checks the credentials it is passed
      pluginSupportsPassThrough: env.plugin?.capabilities?.passThrough === true || g.chainingBaseUrl !== undefined,
      readOnly: a.passThrough.readOnly,
      baseEntities: a.passThrough.baseEntities
    }))
    if (pt !== undefined) out.authenticators.push(pt)
  }

  if (g.chainingBaseUrl !== undefined) attempt('scimgateway.chainingBaseUrl', () => parseChainingBaseUrl(g.chainingBaseUrl ?? ''))
  if (g.azureRelay?.enabled === true) {
    problems.push({ path: 'scimgateway.azureRelay.enabled', message: 'Azure Relay is not supported by this gateway; set it to false and expose the gateway another way (a reverse proxy, or the stream module\'s outbound-only NATS connection: scimgateway.stream)' })
  }

  out.gates.push(...gates)
  out.authObservers.push(...observers)
  out.tls = tlsOf(g.certificate, a.clientCertificate.length > 0, text, file)
  if (problems.length > 0) throw new ConfigError(undefined, problems)
  return out
}

function tlsOf (c: GatewayConfig['scimgateway']['certificate'], clientCerts: boolean,
  text: (path: string, v: string) => string | undefined, file: (path: string, v: string) => Buffer | undefined): TlsOptions | undefined {
  const tls: TlsOptions = {}
  if (c.key !== undefined && c.cert !== undefined) {
    const key = text('scimgateway.certificate.key', c.key)
    const cert = text('scimgateway.certificate.cert', c.cert)
    if (key !== undefined) tls.key = key
    if (cert !== undefined) tls.cert = cert
  }
  if (c.pfx?.bundle !== undefined) {
    const pfx = file('scimgateway.certificate.pfx.bundle', c.pfx.bundle)
    if (pfx !== undefined) tls.pfx = pfx
    if (c.pfx.password !== undefined) tls.passphrase = c.pfx.password
  }
  if (tls.key === undefined && tls.pfx === undefined) return undefined
  if (c.ca !== undefined) {
    const list = typeof c.ca === 'string' ? [c.ca] : c.ca
    tls.ca = list.map((v, i) => text(`scimgateway.certificate.ca[${i}]`, v)).filter((v): v is string => v !== undefined)
  }
  if (c.requestCert ?? clientCerts) tls.requestCert = true
  return tls
}

/** An absolute path, or a file name under `<configDir>/certs`. */
function certPath (value: string, configDir: string | undefined): string {
  if (isAbsolute(value)) return value
  return join(configDir ?? 'config', 'certs', value)
}

function trustProxyOf (v: GatewayConfig['scimgateway']['trustProxy']): TrustProxy | undefined {
  if (typeof v === 'string') return v.split(',').map(s => s.trim()).filter(s => s !== '')
  return v
}
