// Real local HTTP(S) servers for the REST client tests: a programmable handler per server, every
// request recorded (method, URL, headers, body) so tests can assert what really went over the wire.
import { createServer as createHttp, type IncomingMessage, type ServerResponse, type Server } from 'node:http'
import { createServer as createHttps, type ServerOptions } from 'node:https'
import type { AddressInfo, Socket } from 'node:net'
import { after } from 'node:test'
import assert from 'node:assert/strict'
import { createRestClient, isRestError, type RestClient, type RestError } from '../../../lib/helpers/rest/index.ts'

export interface Seen { method: string, url: string, headers: IncomingMessage['headers'], body: string }
export type Handler = (req: Seen, res: ServerResponse, n: number) => void | Promise<void>

export interface TestServer {
  url: string
  port: number
  seen: Seen[]
  handler: Handler
  stop (): Promise<void>
}

export async function startServer (handler: Handler, tls?: ServerOptions): Promise<TestServer> {
  const seen: Seen[] = []
  const sockets = new Set<Socket>()
  const state: TestServer = { url: '', port: 0, seen, handler, stop: async () => {} }
  const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const s: Seen = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') }
      seen.push(s)
      Promise.resolve(state.handler(s, res, seen.length)).catch((e: unknown) => { res.writeHead(500).end(String(e)) })
    })
  }
  const server: Server = tls !== undefined ? createHttps(tls, onRequest) : createHttp(onRequest)
  server.on('connection', s => { sockets.add(s); s.on('close', () => sockets.delete(s)) })
  server.on('secureConnection', s => { sockets.add(s); s.on('close', () => sockets.delete(s)) })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  state.port = port
  state.url = `${tls !== undefined ? 'https' : 'http'}://127.0.0.1:${port}`
  state.stop = async () => {
    for (const s of sockets) s.destroy()
    await new Promise<void>(resolve => { server.close(() => { resolve() }) })
  }
  return state
}

export function json (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body))
}

/** A port nothing listens on (bound, then closed). */
export async function closedPort (): Promise<number> {
  const s = createHttp()
  await new Promise<void>(resolve => s.listen(0, '127.0.0.1', resolve))
  const { port } = s.address() as AddressInfo
  await new Promise<void>(resolve => { s.close(() => { resolve() }) })
  return port
}

export function form (body: string): Record<string, string> {
  return Object.fromEntries(new URLSearchParams(body))
}

/**
 * Servers and clients of one test file, closed after its tests; `rejection` awaits a promise that
 * must fail with a RestError and returns it.
 */
export function restHarness (): {
  server: (...args: Parameters<typeof startServer>) => Promise<TestServer>
  client: (...args: Parameters<typeof createRestClient>) => RestClient
  rejection: (p: Promise<unknown>) => Promise<RestError>
} {
  const servers: TestServer[] = []
  const clients: RestClient[] = []
  after(async () => {
    for (const c of clients) await c.close()
    for (const s of servers) await s.stop()
  })
  return {
    async server (...args) {
      const s = await startServer(...args)
      servers.push(s)
      return s
    },
    client (...args) {
      const c = createRestClient(...args)
      clients.push(c)
      return c
    },
    async rejection (p) {
      try { await p } catch (e) { assert.ok(isRestError(e), `expected RestError, got ${String(e)}`); return e }
      assert.fail('expected a rejection')
    }
  }
}
