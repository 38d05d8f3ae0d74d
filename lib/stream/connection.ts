// One NATS connection of the stream module: user JWT + nkey seed (jwtAuthenticator), TLS required
// (trusting the configured CA), every configured server (cluster), reconnect forever with a growing
// back-off, and a gateway that starts while NATS is down keeps trying in the background. Its state
// is logged on every change and readable for the status endpoint.
import { connect, jwtAuthenticator } from '@nats-io/transport-node'
import type { NatsConnection } from '@nats-io/transport-node'
import type { Logger } from '../logging/types.ts'

/** Connection states as the status endpoint shows them. */
export type ConnectionState = 'connecting' | 'connected' | 'reconnecting' | 'closed'

/** A snapshot for the status endpoint. */
export interface ConnectionStatus {
  name: string
  state: ConnectionState
  /** Server currently connected to (host:port). */
  server: string | undefined
  reconnects: number
  /** Last error seen (connect failure, server error), if any. */
  lastError: string | undefined
  since: string
}

/** Options of {@link openStreamConnection}. */
export interface StreamConnectionOptions {
  servers: string[]
  jwt: string
  seed: string
  /** CA PEM to trust (undefined: the system CAs). */
  caPem?: string | undefined
  /** Connection name shown in server monitoring and the status endpoint. */
  name: string
  log: Logger
  /** Back-off between reconnect rounds: first and maximum delay in ms (default 250 → 10 000). */
  backoff?: { initialMs?: number, maxMs?: number }
  /** Inbox prefix the user's permissions allow (default `_INBOX`). */
  inboxPrefix?: string
}

/** A connection that may not be established yet. */
export interface StreamConnection {
  readonly name: string
  /** Resolves once connected the first time (never rejects because NATS is down; rejects on close before connecting). */
  ready (): Promise<NatsConnection>
  /** The connection when established, else undefined. */
  current (): NatsConnection | undefined
  status (): ConnectionStatus
  /** Drains subscriptions and closes (waits at most `timeoutMs`, default 10 s). */
  close (timeoutMs?: number): Promise<void>
}

/**
 * Starts connecting (in the background) and returns at once.
 * @example
 * const conn = openStreamConnection({ servers: ['tls://nats:4222'], jwt, seed, caPem, name: 'loki/acme', log })
 * const nc = await conn.ready()
 */
export function openStreamConnection (opts: StreamConnectionOptions): StreamConnection {
  const log = opts.log.child({ nats: opts.name })
  const initial = opts.backoff?.initialMs ?? 250
  const max = opts.backoff?.maxMs ?? 10_000
  let attempt = 0
  let nc: NatsConnection | undefined
  let closing = false
  const st: ConnectionStatus = { name: opts.name, state: 'connecting', server: undefined, reconnects: 0, lastError: undefined, since: new Date().toISOString() }
  const set = (state: ConnectionState, server?: string): void => {
    if (st.state !== state) st.since = new Date().toISOString()
    st.state = state
    st.server = server
  }
  const connecting = connect({
    servers: opts.servers,
    name: opts.name,
    authenticator: jwtAuthenticator(opts.jwt, new TextEncoder().encode(opts.seed)),
    tls: opts.caPem !== undefined ? { ca: opts.caPem } : {},
    inboxPrefix: opts.inboxPrefix ?? '_INBOX',
    timeout: 5000,
    reconnect: true,
    maxReconnectAttempts: -1,
    waitOnFirstConnect: true,
    // grows per failed round, reset on success: a flapping server is not hammered
    reconnectDelayHandler: () => {
      const d = Math.min(max, initial * 2 ** Math.min(attempt, 16))
      attempt++
      return d + Math.floor(Math.random() * d * 0.2)
    }
  })
  const ready = connecting.then((c) => {
    nc = c
    attempt = 0
    set('connected', c.getServer())
    log.info(`NATS connected to ${c.getServer()}`)
    void watch(c)
    if (closing) void c.close()
    return c
  }, (err: unknown) => {
    st.lastError = message(err)
    set('closed')
    log.error(`NATS connection failed: ${st.lastError}`)
    throw err
  })
  ready.catch(() => {}) // observed through ready()/status()

  async function watch (c: NatsConnection): Promise<void> {
    for await (const s of c.status()) {
      switch (s.type) {
        case 'disconnect':
          set('reconnecting')
          log.warn(`NATS disconnected from ${s.server}; reconnecting`)
          break
        case 'reconnecting':
          set('reconnecting')
          break
        case 'reconnect':
          attempt = 0
          st.reconnects++
          set('connected', s.server)
          log.info(`NATS reconnected to ${s.server}`)
          break
        case 'error':
          st.lastError = s.error.message
          log.warn(`NATS error: ${s.error.message}`)
          break
        case 'staleConnection':
          log.warn('NATS connection stale')
          break
        case 'close':
          set('closed')
          break
        default:
          break
      }
    }
    void c.closed().then((err) => {
      set('closed')
      if (err !== undefined && err !== null && !closing) {
        st.lastError = message(err)
        log.error(`NATS connection closed: ${st.lastError}`)
      }
    })
  }

  return {
    name: opts.name,
    ready: async () => await ready,
    current: () => nc,
    status: () => ({ ...st }),
    async close (timeoutMs = 10_000) {
      closing = true
      const c = nc
      if (c === undefined) {
        // still trying the first connect: it closes itself when it succeeds (see above)
        set('closed')
        return
      }
      if (c.isClosed()) return
      const timer = new Promise<void>(resolve => setTimeout(resolve, timeoutMs).unref())
      await Promise.race([c.drain().catch(async () => { await c.close() }), timer])
      if (!c.isClosed()) await c.close()
      set('closed')
      log.info('NATS connection closed')
    }
  }
}

function message (err: unknown): string {
  return err instanceof Error ? err.message : String(err)
}
