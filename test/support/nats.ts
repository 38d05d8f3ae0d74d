// Test harness: a real nats-server per suite, in operator mode with TLS and server_name
// "SCIM-Stream", exactly like the builtin server of the SCIM Stream service (it *is* that code:
// startBuiltinNats) on a free loopback port with its own temp dir. Tenant accounts and streams are
// created before it resolves; user credentials for every tenant and type are issued up front.
//
// TLS material is generated once per machine user and shared by suites (RSA key generation is the
// slowest part of a start); the CA is test-only.
//
// @example
//   let nats: TestNats
//   before(async () => { nats = await startTestNats({ tenants: ['acme'] }) })
//   after(async () => { await nats.stop() })
//   const nc = await nats.connect('acme', 'entra')
import { mkdtemp, rm, rename, access } from 'node:fs/promises'
import { tmpdir, userInfo } from 'node:os'
import { join } from 'node:path'
import type { NatsConnection } from '@nats-io/transport-node'
import { startBuiltinNats, ensureTlsFiles, connectAs, USER_TYPES } from '../../lib/collector/nats/index.ts'
import type { BuiltinNats, ConnectAsOptions, TenantOptions, TenantStreamOptions, UserCreds, UserType } from '../../lib/collector/nats/index.ts'
import { silentLogger } from '../../lib/logging/types.ts'
import type { Logger } from '../../lib/logging/types.ts'

/**
 * The layout of a deployed SCIM Stream server (STREAM-CONTRACT.md "NATS layout"): only the tenant
 * stream (no `<tenant>_DLQ`), subscriber users without any DLQ permission. Spread into the options:
 * `startTestNats({ tenants: ['acme'], ...DEPLOYED_LAYOUT })`.
 */
export const DEPLOYED_LAYOUT: Pick<TestNatsOptions, 'tenantOptions' | 'streams'> = Object.freeze({
  tenantOptions: { subscriberDeadLetters: false },
  streams: { deadLetterStream: false }
})

/** Options of {@link startTestNats}. */
export interface TestNatsOptions {
  /** Tenants to create (default ['tenant-a', 'tenant-b']). */
  tenants?: string[]
  /** Inbox mode of the tenants (default 'shared'). */
  tenantOptions?: TenantOptions
  streams?: TenantStreamOptions
  /** Server log goes here (default: silent). */
  log?: Logger
  /** Let the supervisor restart a dead server (default false: tests decide with restart()). */
  superviseRestart?: boolean
  /** The server's max_payload in bytes (default: the builtin server's, 1 MiB). */
  maxPayload?: number
}

/** A running test server. */
export interface TestNats {
  /** `nats://127.0.0.1:<port>`; stays the same across restart(). */
  readonly url: string
  readonly port: number
  /** CA file clients must trust. */
  readonly caFile: string
  /** Temp dir with config, credentials, resolver and JetStream store. */
  readonly dir: string
  /** Pid of the nats-server process (undefined while killed). */
  readonly pid: number | undefined
  /** The underlying builtin server (credentials store, supervisor handle). */
  readonly builtin: BuiltinNats
  /** Pre-issued credentials of user `test-<type>` in `tenant`. */
  creds (tenant: string, type: UserType): UserCreds
  /** Issues fresh credentials (another user name). */
  issue (tenant: string, type: UserType, name: string): Promise<UserCreds>
  /** Connects with the pre-issued credentials; closed by stop() if still open. */
  connect (tenant: string, type: UserType, opts?: ConnectAsOptions): Promise<NatsConnection>
  /** Adds a tenant while the server runs (account pushed, streams created, creds issued). */
  addTenant (name: string): Promise<void>
  /** Stops the server (if running) and starts it again on the same port and store dir. */
  restart (): Promise<void>
  /** SIGKILLs the server process and waits until it is gone (the supervisor restarts it only with superviseRestart). */
  kill9 (): Promise<void>
  /** Closes open connections, stops the server, removes the temp dir. */
  stop (): Promise<void>
}

/**
 * Starts nats-server for a test suite.
 * @example const nats = await startTestNats({ tenants: ['acme'] })
 */
export async function startTestNats (opts: TestNatsOptions = {}): Promise<TestNats> {
  const dir = await mkdtemp(join(tmpdir(), 'scim-nats-test-'))
  const certDir = await sharedTestCerts()
  const tenants = opts.tenants ?? ['tenant-a', 'tenant-b']
  const creds = new Map<string, UserCreds>()
  const conns = new Set<NatsConnection>()
  const start = async (port: number): Promise<BuiltinNats> => await startBuiltinNats({
    dir, certDir, host: '127.0.0.1', port, tenants,
    log: opts.log ?? silentLogger,
    tenantOptions: opts.tenantOptions,
    streams: opts.streams,
    jetstream: { maxMemoryStore: 64 * 1024 * 1024, maxFileStore: 1024 * 1024 * 1024 },
    restart: opts.superviseRestart === true,
    ...(opts.maxPayload !== undefined ? { maxPayload: opts.maxPayload } : {})
  })
  let builtin: BuiltinNats
  try {
    builtin = await start(-1)
  } catch (err) {
    await rm(dir, { recursive: true, force: true })
    throw err
  }
  const port = builtin.port
  const issueAll = async (tenant: string): Promise<void> => {
    for (const type of USER_TYPES) creds.set(`${tenant}/${type}`, await builtin.issueUser(tenant, type, `test-${type}`))
  }
  for (const t of builtin.tenants()) await issueAll(t)
  let running = true

  const harness: TestNats = {
    url: builtin.url,
    port,
    caFile: builtin.tls.caFile,
    dir,
    get pid () { return running ? builtin.server.pid : undefined },
    get builtin () { return builtin },
    creds (tenant, type) {
      const c = creds.get(`${tenant}/${type}`)
      if (c === undefined) throw new Error(`no tenant "${tenant}" in this test server`)
      return c
    },
    issue: async (tenant, type, name) => await builtin.issueUser(tenant, type, name),
    async connect (tenant, type, c = {}) {
      const nc = await connectAs(builtin.url, harness.creds(tenant, type), builtin.tls.caFile, { name: `${tenant}-${type}`, ...c })
      conns.add(nc)
      void nc.closed().then(() => conns.delete(nc))
      return nc
    },
    async addTenant (name) {
      await builtin.addTenant(name)
      await issueAll(name)
    },
    async restart () {
      await builtin.stop() // also releases a killed server's supervisor
      running = false
      builtin = await start(port)
      running = true
    },
    async kill9 () {
      const pid = builtin.server.pid
      if (pid === undefined) return
      if (opts.superviseRestart !== true) running = false
      builtin.server.signal('SIGKILL')
      await waitGone(pid)
    },
    async stop () {
      await Promise.allSettled([...conns].map(async nc => await nc.close()))
      await builtin.stop()
      running = false
      await rm(dir, { recursive: true, force: true })
    }
  }
  return harness
}

/** TLS files shared by all test servers of this machine user; created atomically once. */
async function sharedTestCerts (): Promise<string> {
  const dir = join(tmpdir(), `scim-nats-test-certs-${userInfo().uid}`)
  try {
    await access(join(dir, 'server-key.pem'))
    return dir
  } catch { /* create below */ }
  const tmp = await mkdtemp(`${dir}.tmp-`)
  await ensureTlsFiles(tmp)
  try {
    await rename(tmp, dir)
  } catch {
    // another suite won the race: use its files
    await rm(tmp, { recursive: true, force: true })
  }
  return dir
}

async function waitGone (pid: number): Promise<void> {
  const deadline = Date.now() + 10_000
  while (Date.now() < deadline) {
    try { process.kill(pid, 0) } catch { return }
    await new Promise(resolve => setTimeout(resolve, 10))
  }
  throw new Error(`nats-server ${pid} did not exit`)
}
