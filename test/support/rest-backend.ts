// A small real REST backend (node:http on a free port) with its own, non-SCIM data shape, for the
// REST plugin template (lib/plugins/sdk/template/plugin-rest.ts) and its contract run:
//   users  { uid, login, first, last, mail, enabled, extId }     groups { gid, name, memberIds }
//   GET /users[?field=value]  GET /users/:uid  POST /users  PUT /users/:uid  DELETE /users/:uid  (same for groups)
//   GET /health → 200. A `login` (and a group `name`) is unique, case-insensitively (409 otherwise);
//   deleting a user removes it from every group. `failNext(status)` makes the next request fail.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import { once } from 'node:events'
import { randomUUID } from 'node:crypto'

type Row = Record<string, unknown>

export interface RestBackend {
  url: string
  users: Map<string, Row>
  groups: Map<string, Row>
  /** Requests served, by `METHOD path` (without query). */
  requests: string[]
  failNext: (status: number) => void
  close: () => Promise<void>
}

const KEY = { users: 'uid', groups: 'gid' } as const
const UNIQUE = { users: 'login', groups: 'name' } as const

/** Starts the backend on `port` (default: a free one). */
export async function startRestBackend (port = 0): Promise<RestBackend> {
  const data = { users: new Map<string, Row>(), groups: new Map<string, Row>() }
  const requests: string[] = []
  let failing: number | undefined
  const server = createServer((req, res) => { void handle(req, res) })

  async function handle (req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://x')
    const method = req.method ?? 'GET'
    requests.push(`${method} ${url.pathname}`)
    const send = (status: number, body?: unknown): void => {
      res.writeHead(status, body === undefined ? {} : { 'content-type': 'application/json' })
      res.end(body === undefined ? undefined : JSON.stringify(body))
    }
    if (failing !== undefined) { const s = failing; failing = undefined; send(s, { error: 'injected failure' }); return }
    if (url.pathname === '/health') { send(200, { ok: true }); return }
    const [, coll, id, extra] = url.pathname.split('/')
    if ((coll !== 'users' && coll !== 'groups') || extra !== undefined) { send(404, { error: 'no such route' }); return }
    const rows = data[coll]
    let body: Row = {}
    if (method === 'POST' || method === 'PUT') {
      const chunks: Buffer[] = []
      for await (const c of req) chunks.push(c as Buffer)
      try { body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Row } catch { send(400, { error: 'invalid JSON' }); return }
    }
    const unique = UNIQUE[coll]
    const taken = (value: unknown, except?: string): boolean => typeof value === 'string' &&
      [...rows.values()].some(r => r[KEY[coll]] !== except && String(r[unique]).toLowerCase() === value.toLowerCase())
    if (id === undefined || id === '') {
      if (method === 'GET') {
        let items = [...rows.values()]
        for (const [k, v] of url.searchParams) {
          items = items.filter(r => {
            const f = r[k]
            if (Array.isArray(f)) return f.includes(v)
            return k === unique ? String(f).toLowerCase() === v.toLowerCase() : String(f) === v
          })
        }
        send(200, { items })
        return
      }
      if (method === 'POST') {
        if (typeof body[unique] !== 'string' || body[unique] === '') { send(400, { error: `${unique} is required` }); return }
        if (taken(body[unique])) { send(409, { error: `${unique} ${String(body[unique])} exists` }); return }
        const row = { ...body, [KEY[coll]]: randomUUID() }
        rows.set(String(row[KEY[coll]]), row)
        send(201, row)
        return
      }
      send(405, { error: 'method not allowed' })
      return
    }
    const row = rows.get(id)
    if (row === undefined) { send(404, { error: 'not found' }); return }
    if (method === 'GET') { send(200, row); return }
    if (method === 'PUT') {
      if (taken(body[unique], id)) { send(409, { error: `${unique} ${String(body[unique])} exists` }); return }
      const next = { ...body, [KEY[coll]]: id }
      rows.set(id, next)
      send(200, next)
      return
    }
    if (method === 'DELETE') {
      rows.delete(id)
      if (coll === 'users') for (const g of data.groups.values()) if (Array.isArray(g.memberIds)) g.memberIds = g.memberIds.filter(m => m !== id)
      send(204)
      return
    }
    send(405, { error: 'method not allowed' })
  }

  server.listen(port, '127.0.0.1')
  await once(server, 'listening')
  const bound = (server.address() as { port: number }).port
  return {
    url: `http://127.0.0.1:${bound}`,
    users: data.users,
    groups: data.groups,
    requests,
    failNext: (status) => { failing = status },
    close: async () => { server.closeAllConnections(); await new Promise(resolve => server.close(resolve)) }
  }
}
