// A small real forward proxy for tests: HTTP CONNECT tunnels (what undici's ProxyAgent uses) and
// absolute-form plain HTTP forwarding, optional Basic Proxy-Authorization, on a free port. It
// records what it was asked so tests can prove traffic really went through it.
import { createServer, request as httpRequest, type IncomingMessage, type Server } from 'node:http'
import { connect, type AddressInfo, type Socket } from 'node:net'

export interface ForwardProxy {
  url: string
  /** `CONNECT host:port` and `GET http://…` lines seen, in order. */
  seen: string[]
  /** Requests refused for missing/wrong credentials. */
  refused: number
  stop (): Promise<void>
}

export async function startForwardProxy (opts: { username?: string, password?: string } = {}): Promise<ForwardProxy> {
  const seen: string[] = []
  const sockets = new Set<Socket>()
  let refused = 0
  const expected = opts.username !== undefined ? `Basic ${Buffer.from(`${opts.username}:${opts.password ?? ''}`).toString('base64')}` : undefined
  const authorized = (req: IncomingMessage): boolean => expected === undefined || req.headers['proxy-authorization'] === expected

  const server: Server = createServer((req, res) => {
    seen.push(`${req.method ?? ''} ${req.url ?? ''}`)
    if (!authorized(req)) { refused++; res.writeHead(407, { 'proxy-authenticate': 'Basic realm="test"' }).end(); return }
    let target: URL
    try { target = new URL(req.url ?? '') } catch { res.writeHead(400).end('absolute URL expected'); return }
    const headers = { ...req.headers }
    delete headers['proxy-authorization']
    const up = httpRequest({ host: target.hostname, port: target.port, path: `${target.pathname}${target.search}`, method: req.method, headers }, upRes => {
      res.writeHead(upRes.statusCode ?? 502, upRes.headers)
      upRes.pipe(res)
    })
    up.on('error', () => { if (!res.headersSent) res.writeHead(502).end(); else res.destroy() })
    req.pipe(up)
  })
  server.on('connect', (req: IncomingMessage, client: Socket, head: Buffer) => {
    seen.push(`CONNECT ${req.url ?? ''}`)
    sockets.add(client)
    client.on('close', () => sockets.delete(client))
    client.on('error', () => {})
    if (!authorized(req)) { refused++; client.end('HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm="test"\r\nContent-Length: 0\r\n\r\n'); return }
    const [host, port] = (req.url ?? '').split(':')
    const upstream = connect(Number(port), host ?? '127.0.0.1', () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n')
      if (head.length > 0) upstream.write(head)
      upstream.pipe(client)
      client.pipe(upstream)
    })
    sockets.add(upstream)
    upstream.on('close', () => { sockets.delete(upstream); client.destroy() })
    upstream.on('error', () => { client.end('HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n') })
  })
  server.on('connection', s => { sockets.add(s); s.on('close', () => sockets.delete(s)) })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    seen,
    get refused () { return refused },
    stop: async () => {
      for (const s of sockets) s.destroy()
      await new Promise<void>(resolve => { server.close(() => { resolve() }) })
    }
  }
}
