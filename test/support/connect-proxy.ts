// A real HTTP CONNECT proxy on a free loopback port (for SMTP-through-proxy tests): it demands
// `Proxy-Authorization: Basic …` with the given credentials (407 otherwise), records every attempt,
// and tunnels accepted connections to their target.
import { createServer, type IncomingMessage } from 'node:http'
import { connect, type AddressInfo, type Socket } from 'node:net'

/** One CONNECT request as the proxy saw it. */
export interface ProxyAttempt { target: string, user: string | undefined, accepted: boolean }

/** A running proxy. */
export interface ConnectProxy {
  readonly url: string
  readonly attempts: readonly ProxyAttempt[]
  close (): Promise<void>
}

/** Starts the proxy; without `auth` every CONNECT is accepted. */
export async function startConnectProxy (auth?: { username: string, password: string }): Promise<ConnectProxy> {
  const attempts: ProxyAttempt[] = []
  const sockets = new Set<Socket>()
  const server = createServer((_req, res) => { res.writeHead(405).end() })
  server.on('connect', (req: IncomingMessage, client: Socket, head: Buffer) => {
    sockets.add(client)
    client.on('close', () => sockets.delete(client))
    const target = req.url ?? ''
    const basic = /^Basic (.+)$/i.exec(req.headers['proxy-authorization'] ?? '')?.[1]
    const decoded = basic === undefined ? undefined : Buffer.from(basic, 'base64').toString('utf8')
    const user = decoded?.split(':')[0]
    const accepted = auth === undefined || decoded === `${auth.username}:${auth.password}`
    attempts.push({ target, user, accepted })
    if (!accepted) {
      client.end('HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm="test"\r\nContent-Length: 0\r\n\r\n')
      return
    }
    const [host, port] = [target.slice(0, target.lastIndexOf(':')), Number(target.slice(target.lastIndexOf(':') + 1))]
    const upstream = connect(port, host, () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n')
      if (head.length > 0) upstream.write(head)
      upstream.pipe(client)
      client.pipe(upstream)
    })
    sockets.add(upstream)
    upstream.on('close', () => sockets.delete(upstream))
    upstream.on('error', () => { client.destroy() })
    client.on('error', () => { upstream.destroy() })
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => { resolve() })
  })
  const port = (server.address() as AddressInfo).port
  return {
    url: `http://127.0.0.1:${port}`,
    attempts,
    close: async () => await new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy()
      server.close(() => { resolve() })
    })
  }
}
