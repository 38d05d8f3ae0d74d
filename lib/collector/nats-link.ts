// The service's way to NATS: the builtin server (started, supervised, tenants added while running)
// or an external cluster (`nats.server.use_external_server: true` with per-tenant `urls`, `jwt`,
// `secret`, `ca`). Either way the result connects a tenant's publisher and ensures its stream.
import type { NatsConnection } from '@nats-io/transport-node'
import type { Logger } from '../logging/types.ts'
import { startBuiltinNats, connectAs, ensureTenantStream } from './nats/index.ts'
import type { BuiltinNats } from './nats/index.ts'
import { configPath, type StreamConfig } from './config.ts'

/** What the service needs from NATS. */
export interface NatsLink {
  /** Client URL(s) for a tenant. */
  urls (tenant: string): string[]
  /** Makes sure the tenant exists (account on the builtin server) and its stream has the configured max_age. */
  ensureTenant (tenant: string, maxAgeDays: number): Promise<void>
  /** A publisher connection of the tenant (reconnects forever). */
  connectPublisher (tenant: string): Promise<NatsConnection>
  /** The builtin server, when running one. */
  readonly builtin: BuiltinNats | undefined
  stop (): Promise<void>
}

/** Options of {@link openNatsLink}. */
export interface NatsLinkOptions {
  config: StreamConfig
  configDir: string
  log: Logger
  /** Tenants to create before the server is reported ready. */
  tenants: string[]
}

/**
 * Starts the builtin server or prepares connections to the external one.
 * @example const link = await openNatsLink({ config, configDir, log, tenants: ['acme'] })
 */
export async function openNatsLink (opts: NatsLinkOptions): Promise<NatsLink> {
  const srv = opts.config.nats.server
  if (srv.use_external_server) return externalLink(opts)
  const builtin = await startBuiltinNats({
    dir: configPath(opts.configDir, srv.dir ?? 'nats'),
    certDir: configPath(opts.configDir, srv.cert_dir ?? 'certs'),
    ...(srv.certificate !== undefined ? { certificate: srv.certificate } : {}),
    log: opts.log.child({ component: 'nats-server' }),
    host: srv.host,
    port: srv.port,
    hosts: srv.hosts,
    tenants: opts.tenants,
    binary: srv.binary,
    trace: srv.trace,
    jetstream: {
      ...(srv.encryption_at_rest_key !== undefined ? { encryptionKey: srv.encryption_at_rest_key } : {}),
      ...(srv.max_memory_store !== undefined ? { maxMemoryStore: srv.max_memory_store } : {}),
      ...(srv.max_file_store !== undefined ? { maxFileStore: srv.max_file_store } : {})
    }
  })
  return {
    builtin,
    urls: () => [builtin.url],
    async ensureTenant (tenant, maxAgeDays) {
      await builtin.addTenant(tenant)
      const nc = await builtin.connect(tenant, 'publisher', { reconnect: false })
      try {
        await ensureTenantStream(nc, tenant, { maxAgeDays })
      } finally {
        await nc.close()
      }
    },
    connectPublisher: async (tenant) => await builtin.connect(tenant, 'publisher', { retryFirstConnect: true }),
    stop: async () => { await builtin.stop() }
  }
}

function externalLink (opts: NatsLinkOptions): NatsLink {
  const pub = (tenant: string): NonNullable<StreamConfig['nats']['publisher'][string]> => {
    const p = opts.config.nats.publisher[tenant]
    if (p === undefined || p.urls.length === 0 || p.jwt === undefined || p.secret === undefined || p.ca === undefined) {
      throw new Error(`nats.publisher.${tenant}: urls, jwt, secret and ca are required with use_external_server`)
    }
    return p
  }
  const connectPublisher = async (tenant: string): Promise<NatsConnection> => {
    const p = pub(tenant)
    return await connectAs(p.urls, { jwt: p.jwt as string, seed: p.secret as string }, configPath(opts.configDir, p.ca as string),
      { name: `scim-stream-${tenant}`, retryFirstConnect: true })
  }
  return {
    builtin: undefined,
    urls: (tenant) => pub(tenant).urls,
    async ensureTenant (tenant, maxAgeDays) {
      const nc = await connectPublisher(tenant)
      try {
        await ensureTenantStream(nc, tenant, { maxAgeDays })
      } catch (err) {
        opts.log.warn(`could not create/update the stream of tenant ${tenant} on the external server (create it there): ${(err as Error).message}`)
      } finally {
        await nc.close()
      }
    },
    connectPublisher,
    stop: async () => {}
  }
}
