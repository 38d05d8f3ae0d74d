// Client side of the builtin server: connect as an issued user (JWT + nkey seed over TLS trusting
// our CA), and push account JWTs to the running server through the system account (full resolver).
import { connect, jwtAuthenticator } from '@nats-io/transport-node'
import type { NatsConnection } from '@nats-io/transport-node'

/** What a client needs to authenticate: user JWT and user nkey seed (`SU…`). */
export interface ClientCreds {
  jwt: string
  seed: string
  /** Inbox prefix the user's permissions allow (default `_INBOX`). */
  inboxPrefix?: string
}

/** Options of {@link connectAs}. */
export interface ConnectAsOptions {
  /** Connection name shown in server monitoring. */
  name?: string
  /** Connect timeout in ms (default 5000). */
  timeout?: number
  /** Reconnect forever (default) or not at all. */
  reconnect?: boolean
  /** Keep trying when the first connect fails instead of rejecting (default false). */
  retryFirstConnect?: boolean
  /** Verify the server certificate under this name (a configured certificate that does not name the address connected to). */
  servername?: string
}

/**
 * Connects with JWT authentication over TLS, trusting the CA in `caFile`.
 * @example const nc = await connectAs(server.url, await issueUser(acme, 'entra', 'gw1'), tls.caFile, { name: 'gw1' })
 */
export async function connectAs (
  url: string | string[], creds: ClientCreds, caFile: string, opts: ConnectAsOptions = {}
): Promise<NatsConnection> {
  return await connect({
    servers: url,
    authenticator: jwtAuthenticator(creds.jwt, new TextEncoder().encode(creds.seed)),
    tls: { caFile, ...(opts.servername !== undefined ? { servername: opts.servername } : {}) },
    inboxPrefix: creds.inboxPrefix ?? '_INBOX',
    name: opts.name,
    timeout: opts.timeout ?? 5000,
    reconnect: opts.reconnect ?? true,
    maxReconnectAttempts: opts.reconnect === false ? 0 : -1,
    waitOnFirstConnect: opts.retryFirstConnect === true
  })
}

/**
 * Sends an account JWT (new tenant or re-signed one) to the running server with a system-account
 * connection. Throws with the server's reason when it refuses the JWT.
 */
export async function pushAccountJwt (sys: NatsConnection, accountJwt: string, timeoutMs = 5000): Promise<void> {
  const reply = await sys.request('$SYS.REQ.CLAIMS.UPDATE', accountJwt, { timeout: timeoutMs })
  const body = reply.json<unknown>()
  const error = isObject(body) && isObject(body.error) ? body.error : undefined
  if (error !== undefined) {
    const reason = typeof error.description === 'string' ? error.description : JSON.stringify(error)
    throw new Error(`account JWT refused: ${reason}`)
  }
  const data = isObject(body) && isObject(body.data) ? body.data : undefined
  if (data === undefined || (typeof data.code === 'number' && data.code !== 200)) {
    throw new Error(`unexpected reply to CLAIMS.UPDATE: ${reply.string()}`)
  }
}

function isObject (v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null
}
