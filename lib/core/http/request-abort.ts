// The abort signal of one HTTP request, made on first use: aborted when the client goes away before
// the answer is written (the Node response closes unfinished), or by `abort()` — which the plugin
// guard uses for its per-call timeout. One AbortController per request at most; the guard then
// needs no controller and no listener of its own per plugin call (on Node 20 those, and
// AbortSignal.any, cost more than many a plugin call). Without a Node response (Bun, in-process
// `app.request()`), the web Request's own signal is used and there is no `abort()`.

/** What is read from @hono/node-server's `env.outgoing` (a ServerResponse). */
interface NodeOutgoing {
  writableFinished: boolean
  once: (event: 'close', listener: () => void) => unknown
}

/** The Node response of a request, when the server is @hono/node-server. */
export function nodeOutgoingOf (env: unknown): NodeOutgoing | undefined {
  if (typeof env !== 'object' || env === null) return undefined
  const out = (env as { outgoing?: NodeOutgoing }).outgoing
  return out !== undefined && typeof out.once === 'function' ? out : undefined
}

export class RequestAbort {
  #controller: AbortController | undefined

  constructor (private readonly outgoing: NodeOutgoing) {}

  get signal (): AbortSignal {
    if (this.#controller === undefined) {
      const c = (this.#controller = new AbortController())
      const out = this.outgoing
      out.once('close', () => { if (!out.writableFinished && !c.signal.aborted) c.abort(new Error('client connection closed before the answer was sent')) })
    }
    return this.#controller.signal
  }

  /** Aborts the request's signal (also before anyone read it: a later read sees it aborted). */
  abort (reason: unknown): void {
    const c = (this.#controller ??= new AbortController())
    if (!c.signal.aborted) c.abort(reason)
  }
}
