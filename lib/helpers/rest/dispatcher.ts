// The undici dispatcher of a connection: an Agent (keep-alive pool per origin, TLS options) or,
// with `proxy.host`, a ProxyAgent (HTTP CONNECT tunnel, Proxy-Authorization from username/password).
import { Agent, ProxyAgent, type Dispatcher } from 'undici'
import type { ConnectionConfig } from './config.ts'
import { tlsConnectOptions } from './tls.ts'

/** Makes the dispatcher for a validated connection. `certsDir` resolves relative TLS file names. */
export function createDispatcher (c: ConnectionConfig, certsDir: string): Dispatcher {
  const requestTls = tlsConnectOptions(c.options?.tls, certsDir, 'connection.options.tls')
  const proxy = c.proxy
  const common = { connections: c.connections, keepAliveTimeout: 30_000, keepAliveMaxTimeout: 600_000 }
  if (proxy?.host === undefined) return new Agent({ ...common, connect: requestTls })
  const token = proxy.username !== undefined && proxy.username !== ''
    ? `Basic ${Buffer.from(`${proxy.username}:${proxy.password ?? ''}`).toString('base64')}`
    : undefined
  return new ProxyAgent({
    ...common,
    uri: proxy.host,
    ...(token !== undefined ? { token } : {}),
    requestTls,
    proxyTls: tlsConnectOptions(proxy.tls, certsDir, 'connection.proxy.tls')
  })
}
