// ScimGateway: wires one plugin, its options and a logger into a served HTTP application.
// Nothing starts on construction; `start()` starts the plugin and listens, `stop()` closes both.
import { serve, type ServerType } from '@hono/node-server'
import { createServer as createHttpsServer } from 'node:https'
import type { AddressInfo } from 'node:net'
import type { Hono } from 'hono'
import type { Logger } from '../logging/types.ts'
import type { LogPush } from '../logging/push.ts'
import type { PluginHealth, ScimPlugin } from '../plugins/types.ts'
import { guardPlugin } from './plugin-guard.ts'
import { gatewayHealth, type GatewayHealth } from './health.ts'
import { gatewayOptions, type GatewayOptions } from './options.ts'
import { ScimService } from './service.ts'
import { createGatewayApp } from './http/app.ts'
import { GatewayMonitor } from './monitor.ts'
import { isScimError } from '../scim/errors.ts'

/** The part of Bun's API the gateway uses (typed here so Node builds need no Bun types). */
interface BunServer { port: number, stop: (closeActive?: boolean) => void }
interface BunApi { serve: (opts: Record<string, unknown>) => BunServer }

function bunRuntime (): BunApi | undefined {
  const b = (globalThis as { Bun?: BunApi }).Bun
  return b !== undefined && typeof b.serve === 'function' ? b : undefined
}

export interface ScimGatewayInit {
  plugin: ScimPlugin
  options: Partial<GatewayOptions>
  log: Logger
  /** The push channel the logger publishes to; enables GET /logger. */
  logPush?: LogPush
  /** Sends mail with the configured `email` settings (runGateway passes it). */
  sendMail?: (msg: { to: string[], cc?: string[], subject: string, text: string, html?: string }) => Promise<void>
}

/**
 * A SCIM gateway for one plugin.
 * @example
 * const gw = new ScimGateway({ plugin: createLokiPlugin({ persistence: 'memory' }), options: { port: 8880 }, log })
 * await gw.start()
 * // ... later
 * await gw.stop()
 */
export class ScimGateway {
  readonly plugin: ScimPlugin
  readonly options: GatewayOptions
  readonly service: ScimService
  readonly app: Hono
  /** Metrics registry and readiness checks (/metrics, /readyz); add your own. */
  readonly monitor: GatewayMonitor
  private started = false
  private readonly log: Logger
  private readonly mail: ScimGatewayInit['sendMail']
  private server: ServerType | undefined
  private bunServer: BunServer | undefined
  private boundPort: number | undefined

  constructor (init: ScimGatewayInit) {
    this.plugin = init.plugin
    const base = gatewayOptions(init.options)
    this.monitor = new GatewayMonitor({ plugin: init.plugin.name, entities: base.entities, defaultMetrics: base.defaultMetrics })
    this.options = { ...base, authObservers: [...base.authObservers, this.monitor.authObserver] }
    this.log = init.log.child({ plugin: init.plugin.name })
    this.mail = init.sendMail
    this.service = new ScimService({
      // timeouts and typed upstream errors at the plugin boundary (HTTP, bulk and stream alike)
      plugin: guardPlugin(init.plugin, { timeoutMs: this.options.pluginTimeoutMs, onError: (method, err) => { this.monitor.pluginError(method, isScimError(err) ? err.status : 500) } }),
      usePutSoftSync: this.options.usePutSoftSync,
      skipMetaLocation: this.options.skipMetaLocation,
      defaultCount: this.options.defaultCount,
      maxResults: this.options.maxResults,
      groupMemberOfUser: this.options.groupMemberOfUser,
      skipTypeConvert: this.options.skipTypeConvert
    })
    this.app = createGatewayApp({ service: this.service, options: this.options, log: this.log, monitor: this.monitor, ...(init.logPush !== undefined ? { logPush: init.logPush } : {}) })
    this.monitor.addReadiness('plugin', async () => {
      const h = await this.health()
      return { ok: h.status !== 'down' && this.started, detail: this.started ? h : { status: 'not started' } }
    })
  }

  /** The port the server listens on (after start). */
  get port (): number {
    if (this.boundPort === undefined) throw new Error('gateway is not started')
    return this.boundPort
  }

  get url (): string {
    return `${this.options.tls === undefined ? 'http' : 'https'}://127.0.0.1:${this.port}`
  }

  /**
   * Sends a mail with the gateway's `email` settings — scimgateway's `scimgateway.sendMail()` for
   * plugins and embedders. Rejects when no mail is configured or the server refuses the message.
   * @example await gateway.sendMail({ to: ['ops@example.com'], subject: 'Report', text: 'done' })
   */
  async sendMail (msg: { to: string[], cc?: string[], subject: string, text: string, html?: string }): Promise<void> {
    if (this.mail === undefined) throw new Error('sendMail: no mail is configured (scimgateway.email)')
    await this.mail(msg)
  }

  /**
   * Readiness: the plugin's report of each baseEntity's backend (its `health()` hook, bounded by the
   * plugin timeout). 'up' when every entity is up or idle (lazy, not opened yet), 'down' when every
   * one is down, 'degraded' in between; a plugin without the hook is 'up'.
   * @example const h = await gateway.health() // { status: 'up', plugin: 'ldap', entities: { undefined: { state: 'up' } } }
   */
  async health (): Promise<GatewayHealth> {
    return await gatewayHealth(this.plugin, this.options.pluginTimeoutMs)
  }

  async start (): Promise<void> {
    if (this.plugin.start !== undefined) await this.plugin.start(this.log)
    this.started = true
    if (this.options.authenticators.length === 0 && !this.options.allowAnonymous) {
      this.log.warn('no authentication method is configured: every request will be refused with 401')
    }
    const hostname = this.options.localhostOnly ? '127.0.0.1' : undefined
    const bun = bunRuntime()
    if (bun !== undefined) {
      // the same Hono app on Bun's own server
      const tls = this.options.tls
      const server = bun.serve({
        fetch: this.app.fetch,
        port: this.options.port,
        ...(hostname !== undefined ? { hostname } : {}),
        idleTimeout: Math.min(255, Math.ceil(this.options.idleTimeoutMs / 1000)),
        ...(tls !== undefined ? { tls: { key: tls.key, cert: tls.cert, ca: tls.ca, passphrase: tls.passphrase, requestCert: tls.requestCert } } : {})
      })
      this.boundPort = server.port
      this.bunServer = server
      this.log.info(`${this.plugin.name} listening on port ${server.port} (Bun)`)
      return
    }
    await new Promise<void>((resolve, reject) => {
      const tls = this.options.tls
      const https = tls === undefined
        ? {}
        : {
            createServer: createHttpsServer,
            serverOptions: {
              ...(tls.key !== undefined ? { key: tls.key } : {}),
              ...(tls.cert !== undefined ? { cert: tls.cert } : {}),
              ...(tls.ca !== undefined ? { ca: tls.ca } : {}),
              ...(tls.pfx !== undefined ? { pfx: tls.pfx } : {}),
              ...(tls.passphrase !== undefined ? { passphrase: tls.passphrase } : {}),
              ...(tls.requestCert === true ? { requestCert: true, rejectUnauthorized: true } : {})
            }
          }
      const server = serve({ fetch: this.app.fetch, port: this.options.port, ...(hostname !== undefined ? { hostname } : {}), ...https }, (info: AddressInfo) => {
        this.boundPort = info.port
        resolve()
      })
      server.once('error', reject)
      if ('keepAliveTimeout' in server) server.keepAliveTimeout = this.options.idleTimeoutMs
      this.server = server
    })
    this.log.info(`${this.plugin.name} listening on port ${this.boundPort ?? '?'}`)
  }

  async stop (): Promise<void> {
    if (this.bunServer !== undefined) {
      this.bunServer.stop(true)
      this.bunServer = undefined
    }
    const server = this.server
    this.server = undefined
    if (server !== undefined) {
      await new Promise<void>((resolve) => {
        server.close(() => { resolve() })
        if ('closeAllConnections' in server) server.closeAllConnections()
      })
    }
    if (this.plugin.stop !== undefined) await this.plugin.stop()
  }
}
