// Per-baseEntity handles against real TCP backends: a tiny line-protocol plugin built on EntityHandles
// (the way LDAP/SQL/REST plugins hold one client or pool per `endpoint.entity.<baseEntity>`). Lazy
// open shared by concurrent first requests, the key "undefined" for requests without a baseEntity,
// 404 for an unconfigured baseEntity, 503 for an unreachable backend (retried on the next request),
// health per entity through ScimGateway.health(), everything closed on stop.
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { createServer, connect, type Server, type Socket } from 'node:net'
import { once } from 'node:events'
import { createInterface } from 'node:readline'
import { EntityHandles, ServiceUnavailableError } from '../../lib/plugins/sdk/index.ts'
import type { ScimPlugin } from '../../lib/plugins/types.ts'
import { silentLogger } from '../../lib/logging/types.ts'
import { startTestGateway } from '../support/gateway.ts'

/** A real TCP backend answering `PING` with `PONG`; counts connections and sees them close. */
async function pongServer (): Promise<{ server: Server, port: number, accepted: () => number, open: () => number, close: () => Promise<void> }> {
  const sockets = new Set<Socket>()
  let accepted = 0
  const server = createServer((s) => {
    accepted++
    sockets.add(s)
    s.on('close', () => sockets.delete(s))
    createInterface({ input: s }).on('line', line => { if (line === 'PING') s.write('PONG\n') })
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  return {
    server,
    port: (server.address() as { port: number }).port,
    accepted: () => accepted,
    open: () => sockets.size,
    close: async () => { for (const s of sockets) s.destroy(); await new Promise(resolve => server.close(resolve)) }
  }
}

async function freePort (): Promise<number> {
  const s = createServer().listen(0, '127.0.0.1')
  await once(s, 'listening')
  const port = (s.address() as { port: number }).port
  await new Promise(resolve => s.close(resolve))
  return port
}

interface Conn { socket: Socket, lines: AsyncIterator<string> }

async function ping (c: Conn): Promise<void> {
  c.socket.write('PING\n')
  const r = await c.lines.next()
  if (r.value !== 'PONG') throw new Error(`unexpected answer ${String(r.value)}`)
}

function linePlugin (entities: Record<string, { port: number }>, mode: 'lazy' | 'start' = 'lazy'): ScimPlugin & { handles: EntityHandles<{ port: number }, Conn> } {
  const handles = new EntityHandles<{ port: number }, Conn>({
    entities,
    mode,
    open: async (cfg) => {
      const socket = connect(cfg.port, '127.0.0.1')
      await once(socket, 'connect')
      return { socket, lines: createInterface({ input: socket })[Symbol.asyncIterator]() }
    },
    close: async (c) => {
      if (c.socket.destroyed) return
      const closed = once(c.socket, 'close')
      c.socket.end()
      await closed
    },
    check: async (c) => { await ping(c) },
    checkTimeoutMs: 1000
  })
  return {
    name: 'line',
    handles,
    start: async (log) => { await handles.start(log) },
    stop: async () => { await handles.stop() },
    health: async () => await handles.health(),
    async getUsers (_q, ctx) {
      const { handle, key } = await handles.get(ctx)
      await ping(handle)
      return { Resources: [{ id: key, userName: key }] }
    }
  }
}

describe('EntityHandles with real TCP backends', () => {
  let a: Awaited<ReturnType<typeof pongServer>>
  let b: Awaited<ReturnType<typeof pongServer>>
  before(async () => { a = await pongServer(); b = await pongServer() })
  after(async () => { await a.close(); await b.close() })

  it('routes each baseEntity to its own backend, opens lazily once, 404s unknown ones, reports health, closes on stop', async () => {
    const dead = await freePort()
    const plugin = linePlugin({ undefined: { port: a.port }, clientB: { port: b.port }, clientC: { port: dead } })
    const gw = await startTestGateway({ plugin, options: { allowAnonymous: true, entities: ['clientB', 'clientC', 'clientD'] } })
    try {
      const before = await gw.gateway.health()
      assert.deepEqual(Object.fromEntries(Object.entries(before.entities).map(([k, e]) => [k, e.state])), { undefined: 'idle', clientB: 'idle', clientC: 'idle' })
      assert.equal(before.status, 'up', 'idle (lazy) entities do not make the gateway unready')

      const acceptedA = a.accepted()
      const first = await Promise.all(Array.from({ length: 10 }, async () => await fetch(`${gw.url}/Users`)))
      assert.deepEqual(first.map(r => r.status), Array(10).fill(200))
      assert.equal(a.accepted() - acceptedA, 1, 'ten concurrent first requests share one connection')
      const list = await (await fetch(`${gw.url}/Users`)).json() as { Resources: Array<{ userName: string }> }
      assert.equal(list.Resources[0]?.userName, 'undefined', 'no baseEntity selects the key "undefined"')
      const viaB = await (await fetch(`${gw.url}/clientB/Users`)).json() as { Resources: Array<{ userName: string }> }
      assert.equal(viaB.Resources[0]?.userName, 'clientB')
      assert.equal(b.open(), 1)

      const down = await fetch(`${gw.url}/clientC/Users`)
      assert.equal(down.status, 503)
      assert.match(((await down.json()) as { detail: string }).detail, /baseEntity clientC.*unreachable \(ECONNREFUSED\)/)
      // a baseEntity the gateway routes but the plugin has no config for
      assert.equal((await fetch(`${gw.url}/clientD/Users`)).status, 404)

      const h = await gw.gateway.health()
      assert.equal(h.status, 'degraded')
      assert.equal(h.plugin, 'line')
      assert.equal(h.entities.undefined?.state, 'up')
      assert.equal(h.entities.clientB?.state, 'up')
      assert.equal(h.entities.clientC?.state, 'down')
      assert.match(h.entities.clientC?.detail ?? '', /ECONNREFUSED/)

      // the backend goes away: health sees it on the next probe
      await b.close()
      const later = await gw.gateway.health()
      assert.equal(later.entities.clientB?.state, 'down')
      b = await pongServer()
    } finally { await gw.stop() }
    assert.equal(a.open(), 0, 'stop() closed the connection to backend A')
  })

  it('a failed open is retried by the next request (the backend came up)', async () => {
    const port = await freePort()
    const plugin = linePlugin({ undefined: { port } })
    await plugin.start?.(silentLogger)
    try {
      await assert.rejects(plugin.handles.get({ baseEntity: undefined }), (e: unknown) => e instanceof ServiceUnavailableError && e.status === 503)
      const late = createServer((s) => { createInterface({ input: s }).on('line', () => s.write('PONG\n')) }).listen(port, '127.0.0.1')
      await once(late, 'listening')
      try {
        const r = await plugin.getUsers?.({ attributes: [], excludedAttributes: [], startIndex: 1 }, { baseEntity: undefined, log: silentLogger, signal: new AbortController().signal, requestId: 'x' })
        assert.equal(r?.Resources[0]?.id, 'undefined')
        assert.equal((await plugin.handles.health()).entities.undefined?.state, 'up')
      } finally {
        await plugin.stop?.()
        late.close()
      }
    } finally { await plugin.stop?.() }
  })

  it('mode "start" opens every entity at start and fails the start naming the dead ones', async () => {
    const dead = await freePort()
    const ok = linePlugin({ undefined: { port: a.port } }, 'start')
    const acceptedA = a.accepted()
    await ok.start?.(silentLogger)
    assert.equal(a.accepted() - acceptedA, 1)
    assert.equal((await ok.handles.health()).entities.undefined?.state, 'up')
    await ok.stop?.()
    const bad = linePlugin({ undefined: { port: a.port }, x: { port: dead } }, 'start')
    await assert.rejects(bad.start?.(silentLogger) ?? Promise.resolve(), /cannot open baseEntity backends: x: /)
    await bad.stop?.()
    // after stop, requests are refused instead of reopening
    await assert.rejects(ok.handles.get({ baseEntity: undefined }), (e: unknown) => e instanceof ServiceUnavailableError)
  })
})
