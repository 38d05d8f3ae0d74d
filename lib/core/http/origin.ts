// The public origin of the gateway for `Location` and `meta.location`. Never taken blindly from the
// request: a client could otherwise send `Host: evil.example` and have the gateway hand out links
// to a host it controls (issue 12). In order:
//   1. `scimgateway.baseUrl` when configured (the documented way behind proxies and port mappings);
//   2. X-Forwarded-Host/-Proto, only when the socket peer is a trusted proxy (`scimgateway.trustProxy`);
//   3. the Host header, only when its name is one the gateway listens on: `scimgateway.hostnames`,
//      localhost/loopback, this machine's name or one of its interface addresses;
//   4. otherwise the address the client actually connected to (the socket's local address and port).
// Requests without a socket (in-process `app.request()` by embedding code) keep their URL's origin.
import { hostname as machineName, networkInterfaces } from 'node:os'
import { createAddressMatcher, normalizeAddress, type TrustProxy } from '../../auth/ip-allow.ts'

export interface OriginOptions {
  /** `scimgateway.baseUrl`: the public base URL (may carry a path prefix, e.g. https://gw.example.com/scim). */
  baseUrl?: string | undefined
  /** `scimgateway.hostnames`: further host names the Host header may carry. */
  hostnames?: readonly string[] | undefined
  trustProxy?: TrustProxy | undefined
}

/** What the resolver reads from the socket (from @hono/node-server's env). */
interface SocketFacts { remoteAddress?: string | undefined, localAddress?: string | undefined, localPort?: number | undefined }

/** Resolves `(request URL, socket) → public base` (origin plus baseUrl's path, no trailing slash). */
export type OriginResolver = (url: URL, headers: Headers, env: unknown) => string

const HOST_SYNTAX = /^(?:[a-z0-9](?:[a-z0-9-]{0,62})(?:\.[a-z0-9](?:[a-z0-9-]{0,62}))*|\[[0-9a-f:.]+\])(?::\d{1,5})?$/i

/**
 * Builds the resolver once per gateway (host name lists are compiled here).
 * @example createOriginResolver({ baseUrl: 'https://scim.example.com' })(url, headers, env) // 'https://scim.example.com'
 */
export function createOriginResolver (opts: OriginOptions): OriginResolver {
  if (opts.baseUrl !== undefined && opts.baseUrl !== '') {
    const base = opts.baseUrl.replace(/\/+$/, '')
    return () => base
  }
  const allowed = allowedHostNames(opts.hostnames ?? [])
  const trusted = trustedPeer(opts.trustProxy)
  return (url, headers, env) => {
    const socket = socketOf(env)
    if (socket === undefined) return url.origin
    if (trusted(socket.remoteAddress)) {
      const fwdHost = firstValue(headers.get('x-forwarded-host'))
      if (fwdHost !== undefined && HOST_SYNTAX.test(fwdHost)) {
        const proto = firstValue(headers.get('x-forwarded-proto'))?.toLowerCase()
        return `${proto === 'https' || proto === 'http' ? proto : url.protocol.slice(0, -1)}://${fwdHost.toLowerCase()}`
      }
    }
    if (allowed.has(hostOf(url)) || (socket.localAddress !== undefined && hostOf(url) === normalizeAddress(socket.localAddress).toLowerCase())) return url.origin
    const local = socket.localAddress !== undefined ? normalizeAddress(socket.localAddress) : 'localhost'
    const host = opts.hostnames?.[0] ?? (local.includes(':') ? `[${local}]` : local)
    return `${url.protocol}//${host}${socket.localPort !== undefined ? `:${socket.localPort}` : ''}`
  }
}

/** The host name of a URL, lower-case, IPv6 without brackets. */
function hostOf (url: URL): string {
  const h = url.hostname.toLowerCase()
  return h.startsWith('[') && h.endsWith(']') ? h.slice(1, -1) : h
}

function allowedHostNames (configured: readonly string[]): Set<string> {
  const names = new Set<string>(['localhost', '127.0.0.1', '::1', machineName().toLowerCase()])
  for (const n of configured) names.add(n.toLowerCase().replace(/^\[|\]$/g, ''))
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) names.add(normalizeAddress(a.address).toLowerCase())
  }
  return names
}

function trustedPeer (trustProxy: TrustProxy | undefined): (address: string | undefined) => boolean {
  if (trustProxy === undefined || trustProxy === false || trustProxy === 0) return () => false
  if (trustProxy === true || typeof trustProxy === 'number') return (a) => a !== undefined
  const match = createAddressMatcher(trustProxy)
  return (a) => a !== undefined && match(a)
}

function firstValue (h: string | null): string | undefined {
  const v = h?.split(',')[0]?.trim()
  return v === undefined || v === '' ? undefined : v
}

function socketOf (env: unknown): SocketFacts | undefined {
  if (typeof env !== 'object' || env === null) return undefined
  const incoming = (env as { incoming?: { socket?: SocketFacts } }).incoming
  // Bun passes its server, which has no socket facts: treat as a socket we know nothing about
  return incoming?.socket ?? {}
}
