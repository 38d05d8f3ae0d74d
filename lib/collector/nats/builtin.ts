// The builtin NATS server of the SCIM Stream service, assembled from the pieces of this module:
// credentials (loaded from / saved to <dir>/credentials.json), TLS files, generated config, the
// supervised nats-server process and the tenant streams. Tenants can be added while it runs: the
// account JWT is pushed through the system account and persisted by the full resolver.
//
// Directory layout: credentials.json, certs/, nats.conf, operator.jwt, resolver/, jetstream/.
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { NatsConnection } from '@nats-io/transport-node'
import type { Logger } from '../../logging/types.ts'
import { createOperator, createTenant, issueSystemUser, issueUser } from './credentials.ts'
import type { TenantLimits, TenantOptions, UserCreds } from './credentials.ts'
import type { UserType } from './permissions.ts'
import { loadCredentials, saveCredentials } from './store.ts'
import type { CredentialStore } from './store.ts'
import { ensureTlsFiles } from './tls.ts'
import { loadConfiguredTls, type CertificateNames, type ServerTlsFiles } from './tls-configured.ts'
import { writeServerConfig } from './server-config.ts'
import type { ServerConfigOptions } from './server-config.ts'
import { startNatsServer } from './server-process.ts'
import type { NatsServerHandle } from './server-process.ts'
import { connectAs, pushAccountJwt } from './connect.ts'
import type { ConnectAsOptions } from './connect.ts'
import { ensureTenantStream } from './streams.ts'
import type { TenantStreamOptions } from './streams.ts'

/** Options of {@link startBuiltinNats}. */
export interface BuiltinNatsOptions {
  /** State directory (see the layout above). */
  dir: string
  log: Logger
  /** Listen address (default "0.0.0.0"). */
  host?: string
  /** Client port (default 4222; -1 = any free port). */
  port?: number
  /** Extra host names / IPs for the server certificate. */
  hosts?: string[]
  /** Directory of the TLS files (default `<dir>/certs`). */
  certDir?: string
  /** Operator-provided certificate files (`nats.server.certificate`), used instead of generated ones. */
  certificate?: CertificateNames
  /** Tenants that must exist (created on first start). */
  tenants?: string[]
  /** Limits and inbox mode of tenants created here. */
  tenantLimits?: Partial<TenantLimits>
  tenantOptions?: TenantOptions
  streams?: TenantStreamOptions
  /** JetStream and server settings passed to the config. */
  jetstream?: Omit<ServerConfigOptions['jetstream'], 'storeDir'>
  maxPayload?: number
  trace?: boolean
  binary?: string
  /** Restart the server when it dies (default true). */
  restart?: boolean
}

/** A running builtin server. */
export interface BuiltinNats {
  readonly url: string
  readonly port: number
  readonly tls: ServerTlsFiles
  readonly server: NatsServerHandle
  /** Current credentials (a copy is persisted in `<dir>/credentials.json`). */
  readonly store: CredentialStore
  /** Names of the tenants. */
  tenants (): string[]
  /** Creates a tenant in the running server (account, streams) unless it exists; persists it. */
  addTenant (name: string, limits?: Partial<TenantLimits>): Promise<void>
  /** Issues user credentials for a tenant. */
  issueUser (tenant: string, type: UserType, name: string): Promise<UserCreds>
  /** Connects as a new user of `type` in `tenant`. */
  connect (tenant: string, type: UserType, opts?: ConnectAsOptions): Promise<NatsConnection>
  /** Stops the server. */
  stop (): Promise<void>
}

/**
 * Loads or creates credentials and TLS material, writes the config, starts nats-server and makes
 * sure every tenant has its account and streams.
 * @example const nats = await startBuiltinNats({ dir: '/var/lib/scim-stream/nats', log, tenants: ['acme'] })
 */
export async function startBuiltinNats (opts: BuiltinNatsOptions): Promise<BuiltinNats> {
  const dir = opts.dir
  await mkdir(dir, { recursive: true, mode: 0o700 })
  const credFile = join(dir, 'credentials.json')
  const store: CredentialStore = await loadCredentials(credFile) ??
    { version: 1, operator: await createOperator(), tenants: {} }
  for (const name of opts.tenants ?? []) {
    store.tenants[name] ??= await createTenant(store.operator, name, opts.tenantLimits, opts.tenantOptions)
  }
  await saveCredentials(credFile, store)
  const certDir = opts.certDir ?? join(dir, 'certs')
  const tls: ServerTlsFiles = opts.certificate !== undefined
    ? loadConfiguredTls(certDir, opts.certificate)
    : await ensureTlsFiles(certDir, { hosts: opts.hosts ?? [] })
  const local = tls.servername !== undefined ? { servername: tls.servername } : {}
  const operatorJwtFile = join(dir, 'operator.jwt')
  await writeFile(operatorJwtFile, store.operator.jwt)
  const configFile = join(dir, 'nats.conf')
  const storeDir = join(dir, 'jetstream')
  const writeConfig = async (port: number | undefined): Promise<void> => {
    const preload: Record<string, string> = { [store.operator.system.publicKey]: store.operator.system.jwt }
    for (const t of Object.values(store.tenants)) preload[t.publicKey] = t.jwt
    await writeServerConfig(configFile, {
      host: opts.host, port, tls, operatorJwtFile, preload,
      systemAccount: store.operator.system.publicKey,
      resolverDir: join(dir, 'resolver'),
      jetstream: { ...opts.jetstream, storeDir },
      maxPayload: opts.maxPayload,
      trace: opts.trace
    })
  }
  await writeConfig(opts.port)
  const server = await startNatsServer({
    configFile, storeDir, log: opts.log, binary: opts.binary, restart: opts.restart
  })
  // A port picked at start (-1) is pinned: restarts keep it and `scim-stream credentials` can print it.
  if (opts.port !== undefined && opts.port <= 0) await writeConfig(server.port)
  const connectUser = async (tenant: string, type: UserType, name: string, c: ConnectAsOptions = {}): Promise<NatsConnection> => {
    const t = store.tenants[tenant]
    if (t === undefined) throw new Error(`unknown tenant "${tenant}"`)
    return await connectAs(server.url, await issueUser(t, type, name), tls.caFile, { name, ...local, ...c })
  }
  const ensureStreams = async (tenant: string): Promise<void> => {
    const nc = await connectUser(tenant, 'publisher', 'scim-stream-admin', { reconnect: false })
    try {
      await ensureTenantStream(nc, tenant, opts.streams)
    } finally {
      await nc.close()
    }
  }
  try {
    for (const name of Object.keys(store.tenants)) await ensureStreams(name)
  } catch (err) {
    await server.stop()
    throw err
  }

  return {
    get url () { return server.url },
    get port () { return server.port },
    tls,
    server,
    store,
    tenants: () => Object.keys(store.tenants),
    async addTenant (name, limits) {
      if (store.tenants[name] === undefined) {
        const t = await createTenant(store.operator, name, { ...opts.tenantLimits, ...limits }, opts.tenantOptions)
        const sysUser = await issueSystemUser(store.operator, 'scim-stream-sys')
        const sys = await connectAs(server.url, sysUser, tls.caFile, { name: 'scim-stream-sys', reconnect: false, ...local })
        try {
          await pushAccountJwt(sys, t.jwt)
        } finally {
          await sys.close()
        }
        store.tenants[name] = t
        await saveCredentials(credFile, store)
        await writeConfig(server.port) // pin the port the server actually got
      }
      await ensureStreams(name)
    },
    async issueUser (tenant, type, name) {
      const t = store.tenants[tenant]
      if (t === undefined) throw new Error(`unknown tenant "${tenant}"`)
      return await issueUser(t, type, name)
    },
    connect: async (tenant, type, c) => await connectUser(tenant, type, `${tenant}-${type}`, c),
    stop: async () => { await server.stop() }
  }
}
