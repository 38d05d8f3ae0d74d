// The gateway's HTTP application (Hono). One catch-all handler parses the SCIM path itself (optional,
// case-insensitive segments), authenticates, dispatches, and turns every error into a SCIM error
// response. The same app runs on @hono/node-server and on Bun.
import { Hono, type Context } from 'hono'
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
import { nodeOutgoingOf, RequestAbort } from './request-abort.ts'
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
  const requests = new GatewayRequests(deps)
  const app = new Hono()
  if (deps.monitor !== undefined) mountProbes(app, deps.options, deps.monitor, remoteAddressOf)
  for (const mount of deps.options.extraRoutes) mount(app)
  app.all('*', async (c) => await requests.serve(c))
  return app
}

/** What one request has learnt so far: the error answer and the access log use it. */
interface RequestState { version: ScimVersion, route?: RoutePath, principal?: Principal }

/**
 * The catch-all handler of one gateway: route, gates, authentication, request context, forwarders,
 * dispatch; every error becomes a SCIM error response, every request one access-log line.
 */
class GatewayRequests {
  private readonly service: ScimService
  private readonly options: GatewayOptions
  private readonly log: Logger
  private readonly logPush: LogPush | undefined
  private readonly monitor: GatewayMonitor | undefined
  private readonly entities: ReadonlyMap<string, string>
  private readonly boot = Math.random().toString(36).slice(2, 8)
  private seq = 0
  private readonly uniqueSchemes: Array<{ type: string, name: string, description: string, primary: boolean }>
  private readonly challenge: string
  private readonly originOf: ReturnType<typeof createOriginResolver>

  constructor (deps: AppDeps) {
    const { options } = deps
    this.service = deps.service
    this.options = options
    this.log = deps.log
    this.logPush = deps.logPush
    this.monitor = deps.monitor
    this.entities = options.acceptAnyBaseEntity ? anyEntity : new Map(options.entities.map(e => [e.toLowerCase(), e]))
    const authSchemes = options.authenticators.map(a => a.scheme === 'Basic'
      ? { type: 'httpbasic', name: 'HTTP Basic', description: 'Authentication scheme using the HTTP Basic Standard', primary: false }
      : { type: 'oauthbearertoken', name: 'OAuth Bearer Token', description: 'Authentication scheme using the OAuth Bearer Token Standard', primary: true })
    this.uniqueSchemes = authSchemes.filter((s, i) => authSchemes.findIndex(o => o.type === s.type) === i)
    this.challenge = wwwAuthenticate(options.authenticators)
    // never the raw Host header: see origin.ts
    this.originOf = createOriginResolver({ baseUrl: options.baseUrl, hostnames: options.hostnames, trustProxy: options.trustProxy })
  }

  /** Answers one request (never throws) and writes its access-log line and metrics. */
  async serve (c: Context): Promise<Response> {
    const started = performance.now()
    const req = c.req.raw
    const url = new URL(req.url)
    const method = req.method.toUpperCase()
    const requestId = req.headers.get('x-request-id')?.slice(0, 128) ?? `${this.boot}-${++this.seq}`
    const state: RequestState = { version: this.options.scimVersion }
    let res: Response
    try {
      res = await this.handle(c, url, method, requestId, state)
    } catch (err) {
      res = this.errorAnswer(err, method, url, requestId, state)
    }
    const ms = performance.now() - started
    this.monitor?.observeRequest(state.route?.resource ?? 'unknown', method, res.status, state.route?.baseEntity, ms / 1000)
    this.log.info(`${method} ${url.pathname}${url.search} ${res.status} ${ms.toFixed(1)}ms`, {
      requestId, baseEntity: state.route?.baseEntity, principal: state.principal?.name, status: res.status
    })
    return res
  }

  /** The SCIM error response for a failed request; logs what is a fault of the gateway or plugin. */
  private errorAnswer (err: unknown, method: string, url: URL, requestId: string, state: RequestState): Response {
    const { log } = this
    // 413: the unread rest of the body is still on the socket, so the client must not reuse it
    const res = errorResponse(err, state.version, isScimError(err) && err.status === 401
      ? { 'www-authenticate': this.challenge }
      : isScimError(err) && err.status === 413 ? { connection: 'close' } : {})
    if (!isScimError(err)) log.error(`${method} ${url.pathname} failed: ${err instanceof Error ? err.stack ?? err.message : String(err)}`, { requestId })
    // 501 (a method the plugin does not implement) is an answer, not a fault of the gateway
    else if (err.status === 501) log.info(`${method} ${url.pathname}: ${err.detail}`, { requestId })
    else if (err.status >= 500) log.error(`${method} ${url.pathname}: ${err.detail}`, { requestId })
    return res
  }

  private async handle (c: Context, url: URL, method: string, requestId: string, state: RequestState): Promise<Response> {
    const { options } = this
    const req = c.req.raw
    const env: unknown = c.env
    const remoteAddress = remoteAddressOf(env)
    const parsed = parseRoutePath(url.pathname, this.entities)
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
    if (route.resource !== 'Ping' && route.resource !== 'PubApi') {
      const stop = await this.authorize(req, route, method, requestId, remoteAddress, state, env)
      if (stop !== undefined) return stop
    }
    const rc = this.requestContext(req, url, route, requestId, state, env)
    for (const forward of options.forwarders) {
      const forwarded = await forward(req, route, rc)
      if (forwarded !== undefined) return forwarded
    }
    return await this.dispatch(route, c, url, method, rc)
  }

  /**
   * Authenticates the request and checks the principal may do it (baseEntity, principal gates,
   * read-only); sets `state.principal`. Returns a principal gate's answer, throws a 401/405 ScimError.
   */
  private async authorize (req: Request, route: RoutePath, method: string, requestId: string, remoteAddress: string | undefined, state: RequestState, env: unknown): Promise<Response | undefined> {
    const principal = await this.authenticate(req, requestId, remoteAddress, env)
    if (principal === undefined) throw new ScimError(401, undefined, 'Authorization failed')
    state.principal = principal
    if (principal.baseEntities.length > 0 && (route.baseEntity === undefined || !principal.baseEntities.includes(route.baseEntity))) {
      this.log.warn('access to baseEntity refused', { requestId, principal: principal.name, baseEntity: route.baseEntity })
      throw new ScimError(401, undefined, 'Authorization failed')
    }
    for (const gate of this.options.principalGates) {
      const stop = await gate(req, { remoteAddress, route, principal })
      if (stop !== undefined) return stop
    }
    if (principal.readOnly && WRITE_METHODS.has(method) && !(method === 'POST' && route.id === '.search')) {
      throw new ScimError(405, undefined, `${method} is not allowed: the credentials are read-only`)
    }
    return undefined
  }

  /** The context the handlers and the plugin see. */
  private requestContext (req: Request, url: URL, route: RoutePath, requestId: string, state: RequestState, env: unknown): RequestContext {
    const origin = this.originOf(url, req.headers, env)
    const outgoing = nodeOutgoingOf(env)
    const aborts = outgoing !== undefined ? new RequestAbort(outgoing) : undefined
    const log = this.log
    let child: Logger | undefined
    const rc: RequestContext = {
      baseEntity: route.baseEntity,
      requestId,
      // made on first use: a child logger costs, and most requests log nothing of their own
      get log () { return (child ??= log.child({ requestId, baseEntity: route.baseEntity })) },
      // lazy: made only when something reads it (most requests never do)
      get signal () { return aborts !== undefined ? aborts.signal : req.signal },
      locationBase: `${origin}${route.prefix}`,
      origin,
      version: state.version
    }
    if (aborts !== undefined) rc.abort = (reason) => { aborts.abort(reason) }
    if (state.principal !== undefined) rc.principal = state.principal
    const incoming = nodeIncomingOf(env)
    if (incoming !== undefined) rc.incoming = incoming
    const auth = req.headers.get('authorization')
    if (this.options.passThrough && auth !== null) rc.passThrough = { authorization: auth }
    return rc
  }

  private async authenticate (req: Request, requestId: string, remoteAddress: string | undefined, env: unknown): Promise<Principal | undefined> {
    const { options } = this
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
    this.log.warn(`authentication failed: ${reason}`, { requestId, remoteAddress })
    // the failed-auth slow-down delays this failure's answer (not the next request from the address)
    await Promise.all(options.authObservers.map(async o => { await o({ remoteAddress, ok: false, reason, req }) }))
    return undefined
  }

  private async dispatch (route: RoutePath, c: Context, url: URL, method: string, rc: RequestContext): Promise<Response> {
    const { service, options } = this
    const req = c.req.raw
    switch (route.resource) {
      case 'Users':
      case 'Groups':
        return await handleResource(service, options, route.resource, route.id, req, url, rc)
      case 'Schemas':
      case 'ResourceTypes':
      case 'ServiceProviderConfig':
        return handleDiscovery(route.resource, route.id, method, {
          bulk: options.bulk, maxResults: options.maxResults, authenticationSchemes: this.uniqueSchemes, schemas: service.plugin.schemas?.()
        }, rc)
      case 'Bulk':
        return await handleBulk(service, req, { ...options.bulk, jsonMaxDepth: options.jsonMaxDepth, entities: this.entities }, rc)
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
        return handleLoggerStream(c, this.logPush, method, rc)
      case 'AppRoles':
        return await handleAppRoles(service, method, rc)
    }
  }
}
