// The gateway's HTTP application (Hono). One catch-all handler parses the SCIM path itself (optional,
// case-insensitive segments), authenticates, dispatches, and turns every error into a SCIM error
// response. The same app runs on @hono/node-server and on Bun.
import { Hono } from 'hono'
import type { Logger } from '../../logging/types.ts'
import { authenticateChain, wwwAuthenticate } from '../../auth/chain.ts'
import { clientCertificateOf } from '../../auth/http.ts'
import type { Principal } from '../../auth/types.ts'
import { NotFoundError, ScimError, isScimError } from '../../scim/errors.ts'
import type { ScimVersion } from '../../scim/types.ts'
import type { GatewayOptions } from '../options.ts'
import type { ScimService } from '../service.ts'
import type { RequestContext } from '../context.ts'
import { parseRoutePath, type RoutePath } from '../route-path.ts'
import { createOriginResolver } from './origin.ts'
import { errorResponse, jsonResponse } from './respond.ts'
import type { NodeIncoming } from './body.ts'
import type { LogPush } from '../../logging/push.ts'
import { handleLoggerStream } from './logger-stream.ts'
import { handleResource } from './resources.ts'
import { handleDiscovery } from './discovery.ts'
import { handleBulk } from './bulk.ts'
import { handleApi, handleRolesOrEntitlements } from './api.ts'
import { handleAppRoles } from './app-roles.ts'
import { mountProbes } from './probes.ts'
import type { GatewayMonitor } from '../monitor.ts'

const WRITE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE'])

/** The Node IncomingMessage behind the request (@hono/node-server passes `{ incoming }`). */
function nodeIncomingOf (env: unknown): NodeIncoming | undefined {
  if (typeof env !== 'object' || env === null) return undefined
  const incoming = (env as { incoming?: NodeIncoming }).incoming
  return incoming !== undefined && typeof incoming.on === 'function' ? incoming : undefined
}

/** The client's socket address: @hono/node-server passes `{ incoming }`, Bun passes its server. */
export function remoteAddressOf (env: unknown): string | undefined {
  if (typeof env !== 'object' || env === null) return undefined
  const incoming = (env as { incoming?: { socket?: { remoteAddress?: string } } }).incoming
  return incoming?.socket?.remoteAddress
}

export interface AppDeps {
  service: ScimService
  options: GatewayOptions
  log: Logger
  /** The log push channel `/logger` streams from. */
  logPush?: LogPush
  /** Metrics and readiness: /metrics, /healthz, /readyz and per-request counts. */
  monitor?: GatewayMonitor
}

/** Chaining: every first segment that is not a route names a baseEntity, kept as spelled. */
const anyEntity: ReadonlyMap<string, string> = new (class extends Map<string, string> {
  override has (key: string): boolean { return key !== 'scim' }
  override get (key: string): string { return key }
})()

/** Builds the Hono app of one gateway. */
export function createGatewayApp (deps: AppDeps): Hono {
  const { service, options, log } = deps
  const entities: ReadonlyMap<string, string> = options.acceptAnyBaseEntity ? anyEntity : new Map(options.entities.map(e => [e.toLowerCase(), e]))
  const boot = Math.random().toString(36).slice(2, 8)
  let seq = 0
  const authSchemes = options.authenticators.map(a => a.scheme === 'Basic'
    ? { type: 'httpbasic', name: 'HTTP Basic', description: 'Authentication scheme using the HTTP Basic Standard', primary: false }
    : { type: 'oauthbearertoken', name: 'OAuth Bearer Token', description: 'Authentication scheme using the OAuth Bearer Token Standard', primary: true })
  const uniqueSchemes = authSchemes.filter((s, i) => authSchemes.findIndex(o => o.type === s.type) === i)
  const challenge = wwwAuthenticate(options.authenticators)
  // never the raw Host header: see origin.ts
  const originOf = createOriginResolver({ baseUrl: options.baseUrl, hostnames: options.hostnames, trustProxy: options.trustProxy })

  const app = new Hono()
  if (deps.monitor !== undefined) mountProbes(app, options, deps.monitor, remoteAddressOf)
  for (const mount of options.extraRoutes) mount(app)
  app.all('*', async (c) => {
    const started = performance.now()
    const req = c.req.raw
    const url = new URL(req.url)
    const method = req.method.toUpperCase()
    const requestId = req.headers.get('x-request-id')?.slice(0, 128) ?? `${boot}-${++seq}`
    const state: { version: ScimVersion, route?: RoutePath, principal?: Principal } = { version: options.scimVersion }
    let res: Response
    try {
      res = await handle(req, url, method, requestId, state, c.env)
    } catch (err) {
      // 413: the unread rest of the body is still on the socket, so the client must not reuse it
      res = errorResponse(err, state.version, isScimError(err) && err.status === 401
        ? { 'www-authenticate': challenge }
        : isScimError(err) && err.status === 413 ? { connection: 'close' } : {})
      if (!isScimError(err)) log.error(`${method} ${url.pathname} failed: ${err instanceof Error ? err.stack ?? err.message : String(err)}`, { requestId })
      // 501 (a method the plugin does not implement) is an answer, not a fault of the gateway
      else if (err.status === 501) log.info(`${method} ${url.pathname}: ${err.detail}`, { requestId })
      else if (err.status >= 500) log.error(`${method} ${url.pathname}: ${err.detail}`, { requestId })
    }
    const ms = performance.now() - started
    deps.monitor?.observeRequest(state.route?.resource ?? 'unknown', method, res.status, state.route?.baseEntity, ms / 1000)
    log.info(`${method} ${url.pathname}${url.search} ${res.status} ${ms.toFixed(1)}ms`, {
      requestId, baseEntity: state.route?.baseEntity, principal: state.principal?.name, status: res.status
    })
    return res
  })

  async function handle (req: Request, url: URL, method: string, requestId: string, state: { version: ScimVersion, route?: RoutePath, principal?: Principal }, env: unknown): Promise<Response> {
    const remoteAddress = remoteAddressOf(env)
    const parsed = parseRoutePath(url.pathname, entities)
    for (const gate of options.gates) {
      const stop = await gate(req, { remoteAddress, route: parsed.ok ? parsed.route : undefined })
      if (stop !== undefined) return stop
    }
    if (!parsed.ok) {
      throw new NotFoundError(parsed.reason === 'unknownEntity'
        ? `unknown baseEntity or route "${parsed.segment}"`
        : `unknown route ${url.pathname}`)
    }
    const route = parsed.route
    state.route = route
    state.version = route.version ?? options.scimVersion
    let principal: Principal | undefined
    if (route.resource !== 'Ping' && route.resource !== 'PubApi') {
      principal = await authenticate(req, requestId, remoteAddress, env)
      if (principal === undefined) throw new ScimError(401, undefined, 'Authorization failed')
      state.principal = principal
      if (principal.baseEntities.length > 0 && (route.baseEntity === undefined || !principal.baseEntities.includes(route.baseEntity))) {
        log.warn('access to baseEntity refused', { requestId, principal: principal.name, baseEntity: route.baseEntity })
        throw new ScimError(401, undefined, 'Authorization failed')
      }
      for (const gate of options.principalGates) {
        const stop = await gate(req, { remoteAddress, route, principal })
        if (stop !== undefined) return stop
      }
      if (principal.readOnly && WRITE_METHODS.has(method) && !(method === 'POST' && route.id === '.search')) {
        throw new ScimError(405, undefined, `${method} is not allowed: the credentials are read-only`)
      }
    }
    const origin = originOf(url, req.headers, env)
    const rc: RequestContext = {
      baseEntity: route.baseEntity,
      requestId,
      log: log.child({ requestId, baseEntity: route.baseEntity }),
      // lazy: on @hono/node-server, touching req.signal materialises a full Request (costly per call)
      get signal () { return req.signal },
      locationBase: `${origin}${route.prefix}`,
      origin,
      version: state.version
    }
    if (principal !== undefined) rc.principal = principal
    const incoming = nodeIncomingOf(env)
    if (incoming !== undefined) rc.incoming = incoming
    const auth = req.headers.get('authorization')
    if (options.passThrough && auth !== null) rc.passThrough = { authorization: auth }
    for (const forward of options.forwarders) {
      const forwarded = await forward(req, route, rc)
      if (forwarded !== undefined) return forwarded
    }
    return await dispatch(route, req, url, method, rc)
  }

  async function authenticate (req: Request, requestId: string, remoteAddress: string | undefined, env: unknown): Promise<Principal | undefined> {
    if (options.authenticators.length === 0) {
      return options.allowAnonymous ? { name: 'anonymous', method: 'anonymous', readOnly: false, baseEntities: [] } : undefined
    }
    const r = await authenticateChain(options.authenticators, {
      authorization: req.headers.get('authorization') ?? undefined,
      remoteAddress,
      clientCertificate: clientCertificateOf(env)
    })
    if (r.kind === 'ok') {
      for (const o of options.authObservers) o({ remoteAddress, ok: true, principal: r.principal, req })
      return r.principal
    }
    const reason = r.kind === 'fail' ? r.reason : 'no credentials'
    log.warn(`authentication failed: ${reason}`, { requestId, remoteAddress })
    // the failed-auth slow-down delays this failure's answer (not the next request from the address)
    await Promise.all(options.authObservers.map(async o => { await o({ remoteAddress, ok: false, reason, req }) }))
    return undefined
  }

  async function dispatch (route: RoutePath, req: Request, url: URL, method: string, rc: RequestContext): Promise<Response> {
    switch (route.resource) {
      case 'Users':
      case 'Groups':
        return await handleResource(service, options, route.resource, route.id, req, url, rc)
      case 'Schemas':
      case 'ResourceTypes':
      case 'ServiceProviderConfig':
        return handleDiscovery(route.resource, route.id, method, {
          bulk: options.bulk, maxResults: options.maxResults, authenticationSchemes: uniqueSchemes, schemas: service.plugin.schemas?.()
        }, rc)
      case 'Bulk':
        return await handleBulk(service, req, { ...options.bulk, jsonMaxDepth: options.jsonMaxDepth, entities }, rc)
      case 'Roles':
      case 'Entitlements':
        return await handleRolesOrEntitlements(service, route.resource, method, rc)
      case 'Api':
        return await handleApi(service, req, url, route.rest, false, options.maxPayloadBytes, rc, options.jsonMaxDepth)
      case 'PubApi':
        return await handleApi(service, req, url, route.rest, true, options.maxPayloadBytes, rc, options.jsonMaxDepth)
      case 'Ping':
        return new Response('hello', { status: 200, headers: { 'content-type': 'text/plain' } })
      case 'Auth':
        return jsonResponse(200, { authenticated: true, principal: rc.principal?.name, method: rc.principal?.method })
      case 'Me':
        throw new ScimError(501, undefined, '/Me is not supported')
      case 'Logger':
        return handleLoggerStream(deps.logPush, method, req, rc)
      case 'AppRoles':
        return await handleAppRoles(service, method, rc)
    }
  }

  return app
}
