// `scimgateway.ipAllowList`: IPv4/IPv6 addresses and CIDR ranges allowed to call the gateway, and the
// client address a request comes from. The socket address counts, unless `trustProxy` says which
// proxies in front may speak for the client through X-Forwarded-For (a hop count, or their CIDRs);
// without it the header is ignored, since any client can write one.
// Why not Hono's ipRestriction (hono/ip-restriction, checked in 4.13): its refusal is a plain-text
// 403 thrown before the gateway's handler, while ours is a SCIM error in the request's SCIM version
// (1.1 or 2.0, from the parsed route), told to `onRefused` for the log and counted in the access log
// and metrics like every other answer; the same gate guards the OAuth token endpoint. Its address
// matcher is internal to the middleware (not exported), and trustProxy needs the same CIDR matching
// for the proxy list. Matching here is node:net's BlockList, not hand-written bit arithmetic.
import { BlockList, isIP } from 'node:net'
import { scimErrorResponse, type Gate } from './http.ts'

/** true: trust every hop (the left-most address wins); n: n proxies in front; CIDRs: those proxies. */
export type TrustProxy = boolean | number | readonly string[]

/** Answers whether an address belongs to one of the ranges. */
export type AddressMatcher = (address: string) => boolean

/**
 * Compiles a list of addresses/CIDRs (`10.0.0.0/8`, `2001:db8::/32`, `192.168.1.7`). Throws on an
 * invalid entry, naming it. IPv4-mapped IPv6 clients (`::ffff:10.1.2.3`) match IPv4 ranges.
 * @example createAddressMatcher(['10.0.0.0/8', '::1'])('::ffff:10.9.9.9') // true
 */
export function createAddressMatcher (ranges: readonly string[]): AddressMatcher {
  const list = new BlockList()
  for (const raw of ranges) {
    const r = raw.trim()
    const slash = r.indexOf('/')
    const addr = normalizeAddress(slash < 0 ? r : r.slice(0, slash))
    const family = isIP(addr)
    if (family === 0) throw new Error(`ipAllowList: "${raw}" is not an IP address or CIDR range`)
    const type = family === 4 ? 'ipv4' : 'ipv6'
    if (slash < 0) {
      list.addAddress(addr, type)
      continue
    }
    const bitsText = r.slice(slash + 1)
    const bits = Number(bitsText)
    if (!/^\d{1,3}$/.test(bitsText) || bits > (family === 4 ? 32 : 128)) throw new Error(`ipAllowList: "${raw}" has an invalid prefix length`)
    list.addSubnet(addr, bits, type)
  }
  return (address) => {
    const a = normalizeAddress(address)
    const family = isIP(a)
    return family !== 0 && list.check(a, family === 4 ? 'ipv4' : 'ipv6')
  }
}

/**
 * The client's address: the socket's, or with `trustProxy` the right-most X-Forwarded-For entry not
 * added by a trusted proxy.
 */
export function clientAddressOf (req: Request, socketAddress: string | undefined, trustProxy: TrustProxy | undefined): string | undefined {
  return clientAddressResolver(trustProxy)(req, socketAddress)
}

/** Pre-compiles clientAddressOf for a trust setting (CIDR lists are parsed once). */
export function clientAddressResolver (trustProxy: TrustProxy | undefined): (req: Request, socketAddress: string | undefined) => string | undefined {
  if (trustProxy === undefined || trustProxy === false || trustProxy === 0) return (_req, socketAddress) => socketAddress
  // hop i of chain = [client, proxy1, …, socket] is trusted?
  const trustedHop: (hop: string, fromRight: number) => boolean = trustProxy === true
    ? () => true
    : typeof trustProxy === 'number'
      ? (_hop, fromRight) => fromRight < trustProxy
      : createAddressMatcher(trustProxy)
  return (req, socketAddress) => {
    const xff = req.headers.get('x-forwarded-for')
    if (xff === null || socketAddress === undefined) return socketAddress
    const chain = [...xff.split(',').map(s => stripPort(s.trim())).filter(s => s !== ''), socketAddress]
    // walk from the socket leftwards while the hop is a trusted proxy; the first untrusted one is the client
    for (let i = chain.length - 1; i > 0; i--) {
      const hop = chain[i]
      if (hop === undefined || !trustedHop(hop, chain.length - 1 - i)) return hop
    }
    return chain[0]
  }
}

export interface IpAllowOptions {
  allow: readonly string[]
  trustProxy?: TrustProxy | undefined
  /** Told of every refused address (logged by the caller). */
  onRefused?: (address: string | undefined) => void
}

/**
 * A gate answering 403 to clients outside the allow list. An empty list allows everyone.
 * @example options.gates.push(ipAllowGate({ allow: ['10.0.0.0/8'], trustProxy: ['10.0.0.5'] }))
 */
export function ipAllowGate (opts: IpAllowOptions): Gate {
  const allowed = createAddressMatcher(opts.allow)
  const resolve = clientAddressResolver(opts.trustProxy)
  const everyone = opts.allow.length === 0
  return (req, info) => {
    if (everyone) return undefined
    const address = resolve(req, info.remoteAddress)
    if (address !== undefined && allowed(address)) return undefined
    opts.onRefused?.(address)
    return scimErrorResponse(403, 'Access denied: client address not allowed', info.route?.version)
  }
}

/** `::ffff:1.2.3.4` → `1.2.3.4`; drops an IPv6 zone (`fe80::1%eth0`) and brackets. */
export function normalizeAddress (address: string): string {
  let a = address.trim()
  if (a.startsWith('[') && a.endsWith(']')) a = a.slice(1, -1)
  const zone = a.indexOf('%')
  if (zone >= 0) a = a.slice(0, zone)
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(a)
  return mapped?.[1] ?? a
}

/** X-Forwarded-For entries may carry a port (`1.2.3.4:5678`, `[::1]:80`). */
function stripPort (hop: string): string {
  const v6 = /^\[([^\]]+)\](?::\d+)?$/.exec(hop)
  if (v6?.[1] !== undefined) return v6[1]
  const v4 = /^(\d{1,3}(?:\.\d{1,3}){3}):\d+$/.exec(hop)
  return v4?.[1] ?? hop
}
