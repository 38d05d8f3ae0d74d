// A tiny real HTTP server (node:http on a free loopback port) answering every request with the JSON
// a test function returns, and recording the calls: for client tests that need a server saying
// something odd (a next link to another host, one that loops, a front that disappears).
import { createServer } from 'node:http'
import { once } from 'node:events'
import type { AddressInfo } from 'node:net'

export interface JsonCall { method: string, path: string, authorization: string | undefined }

export interface JsonServer {
  /** `http://127.0.0.1:<port>` */
  readonly url: string
  readonly calls: readonly JsonCall[]
  /** Stops listening and drops open connections (idempotent). */
  stop (): Promise<void>
}

/**
 * @param answer the body of the n-th call (1-based); an object is sent as JSON with status 200
 * @example const srv = await startJsonServer(() => ({ value: [] })); … await srv.stop()
 */
export async function startJsonServer (answer: (call: JsonCall, n: number) => unknown): Promise<JsonServer> {
  const calls: JsonCall[] = []
  const server = createServer((req, res) => {
    const call = { method: req.method ?? 'GET', path: req.url ?? '/', authorization: req.headers.authorization }
    calls.push(call)
    Promise.resolve(answer(call, calls.length)).then(body => {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body))
    }, (e: unknown) => {
      res.writeHead(500, { 'content-type': 'text/plain' }).end(String(e))
    })
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address() as AddressInfo
  let stopped: Promise<void> | undefined
  return {
    url: `http://127.0.0.1:${port}`,
    calls,
    async stop () {
      stopped ??= new Promise<void>(resolve => {
        server.close(() => { resolve() })
        server.closeAllConnections()
      })
      await stopped
    }
  }
}
