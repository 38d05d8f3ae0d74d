// The plugin boundary: every call the service makes into a plugin goes through this wrapper, which
// 1. bounds it with `scimgateway.plugin.timeout`: ctx.signal is aborted (reason: a 504
//    GatewayTimeoutError) and the call answers 504 even when the plugin ignores the signal, and
// 2. turns untyped backend failures into typed upstream errors (ECONNREFUSED → 503, ECONNRESET → 502,
//    ETIMEDOUT → 504, a client error with `status`), so HTTP answers them like the stream subscriber
//    classifies them (5xx → retry later) instead of a bare 500.
// HTTP, bulk and the stream subscriber all call the service, so they all get the same behaviour.
import type { PluginContext, ScimPlugin } from '../plugins/types.ts'
import { GatewayTimeoutError, toUpstreamError } from '../plugins/sdk/errors.ts'

/** The methods that take a PluginContext as their last argument. */
const CALLS = [
  'getUsers', 'createUser', 'modifyUser', 'deleteUser', 'getGroups', 'createGroup', 'modifyGroup', 'deleteGroup',
  'getRoles', 'getEntitlements', 'getApi', 'postApi', 'putApi', 'patchApi', 'deleteApi', 'publicApi'
] as const

export interface GuardOptions {
  /** ms per plugin call; 0 = no limit. */
  timeoutMs: number
  /** Told of every failed call with the (typed) error it throws (metrics). */
  onError?: (method: string, err: unknown) => void
}

type AnyCall = (...args: unknown[]) => Promise<unknown>

/**
 * A plugin whose calls are bounded and whose backend errors are typed. Other members (name,
 * capabilities, start, stop, health, schemas) are the plugin's own.
 * @example
 * const service = new ScimService({ plugin: guardPlugin(plugin, { timeoutMs: 30_000 }), … })
 */
export function guardPlugin (plugin: ScimPlugin, opts: GuardOptions): ScimPlugin {
  const guarded: Record<string, unknown> = {}
  const deadlines = opts.timeoutMs > 0 ? new Deadlines(opts.timeoutMs) : undefined
  for (const name of CALLS) {
    const fn = plugin[name] as AnyCall | undefined
    if (typeof fn !== 'function') continue
    guarded[name] = async (...args: unknown[]): Promise<unknown> => {
      try {
        return await guardedCall(plugin, name, fn, args, opts.timeoutMs, deadlines)
      } catch (err) {
        opts.onError?.(name, err)
        throw err
      }
    }
  }
  return new Proxy(plugin, {
    get (target, prop, receiver) {
      if (typeof prop === 'string' && Object.hasOwn(guarded, prop)) return guarded[prop]
      return Reflect.get(target, prop, receiver) as unknown
    }
  })
}

async function guardedCall (plugin: ScimPlugin, name: string, fn: AnyCall, args: unknown[], timeoutMs: number, deadlines: Deadlines | undefined): Promise<unknown> {
  const last = args.length - 1
  const outer = args[last] as PluginContext
  if (deadlines === undefined) {
    try { return await fn.apply(plugin, args) } catch (err) { throw typed(err, `plugin ${plugin.name} ${name}`) }
  }
  const call = new Pending(performance.now() + timeoutMs, plugin.name, name, timeoutMs, outer)
  // the known fields in one literal (one hidden class for every call; defineProperty per key turned
  // each context into a slow dictionary object), then any others as they are; `signal` is not touched
  const bounded: PluginContext = {
    baseEntity: outer.baseEntity,
    get log () { return outer.log },
    // lazy: a controller and a listener on the caller's signal cost, and most plugins never read it
    get signal () { return call.signal() },
    requestId: outer.requestId
  }
  for (const key in outer) {
    if (key !== 'signal' && key !== 'baseEntity' && key !== 'log' && key !== 'requestId') (bounded as unknown as Record<string, unknown>)[key] = (outer as unknown as Record<string, unknown>)[key]
  }
  const callArgs = args.slice()
  callArgs[last] = bounded
  try {
    return await new Promise<unknown>((resolve, reject) => {
      call.reject = reject
      deadlines.add(call)
      fn.apply(plugin, callArgs).then(resolve, reject)
    })
  } catch (err) {
    throw typed(err, call.what)
  } finally {
    deadlines.delete(call)
    call.release()
  }
}

/**
 * One open call. Its AbortController exists only once the plugin reads ctx.signal or the call
 * expires; it is aborted by the deadline or by the caller's signal, which it follows through one
 * listener (this object's handleEvent) removed when the call ends. Not AbortSignal.any: on Node 20
 * that costs tens of microseconds per call (weak references and a finalizer per composed signal).
 */
class Pending {
  reject: ((err: unknown) => void) | undefined
  private controller: AbortController | undefined
  private following = false

  constructor (readonly deadline: number, private readonly plugin: string, private readonly method: string, readonly timeoutMs: number, private readonly outer: PluginContext) {}

  get what (): string { return `plugin ${this.plugin} ${this.method}` }

  /** The call's signal: aborted at the deadline or when the caller's signal aborts. */
  signal (): AbortSignal {
    // an HTTP request's own signal: the deadline aborts it directly (no controller, no listener)
    if (this.outer.abortRequest !== undefined) return this.outer.signal
    if (this.controller !== undefined) return this.controller.signal
    const c = (this.controller = new AbortController())
    const outer = this.outer.signal
    if (outer.aborted) c.abort(outer.reason)
    else { outer.addEventListener('abort', this, { once: true }); this.following = true }
    return c.signal
  }

  /** The caller's signal aborted (EventListener interface). */
  handleEvent (): void {
    this.following = false
    this.controller?.abort(this.outer.signal.reason)
  }

  /** Aborts the call's signal (also when the plugin has not read it yet: a later read must see it aborted). */
  abort (reason: unknown): void {
    if (this.outer.abortRequest !== undefined) this.outer.abortRequest(reason)
    else (this.controller ??= new AbortController()).abort(reason)
  }

  /** The call ended: stop following the caller's signal. */
  release (): void {
    if (this.following) { this.following = false; this.outer.signal.removeEventListener('abort', this) }
  }
}

function expire (p: Pending): void {
  const err = new GatewayTimeoutError(`${p.what} did not answer within ${p.timeoutMs} ms`)
  p.abort(err)
  p.reject?.(err)
}

/**
 * The open calls of one guard and one shared ticker, instead of a timer per call (a timer costs
 * microseconds to arm and clear; a Set entry costs nanoseconds). All calls of a guard have the same
 * timeout, so insertion order is deadline order and a tick stops at the first call not yet due.
 * A call expires between `timeoutMs` and `timeoutMs` + one tick (a tenth of the timeout, 5..1000 ms).
 * The ticker runs only while calls are open, and never keeps the process alive.
 */
class Deadlines {
  private readonly open = new Set<Pending>()
  private ticker: NodeJS.Timeout | undefined
  private readonly tickMs: number

  constructor (timeoutMs: number) {
    this.tickMs = Math.min(1000, Math.max(5, Math.round(timeoutMs / 10)))
  }

  add (p: Pending): void {
    this.open.add(p)
    if (this.ticker === undefined) {
      this.ticker = setInterval(() => { this.tick() }, this.tickMs)
      this.ticker.unref()
    }
  }

  delete (p: Pending): void {
    this.open.delete(p)
  }

  private tick (): void {
    const now = performance.now()
    for (const p of this.open) {
      if (p.deadline > now) break
      this.open.delete(p)
      expire(p)
    }
    // idle for a whole tick: stop ticking until the next call
    if (this.open.size === 0 && this.ticker !== undefined) {
      clearInterval(this.ticker)
      this.ticker = undefined
    }
  }
}

function typed (err: unknown, what: string): unknown {
  return toUpstreamError(err, what) ?? err
}
