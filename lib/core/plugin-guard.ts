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
  for (const name of CALLS) {
    const fn = plugin[name] as AnyCall | undefined
    if (typeof fn !== 'function') continue
    guarded[name] = async (...args: unknown[]): Promise<unknown> => {
      try {
        return await guardedCall(plugin, name, fn, args, opts.timeoutMs)
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

async function guardedCall (plugin: ScimPlugin, name: string, fn: AnyCall, args: unknown[], timeoutMs: number): Promise<unknown> {
  const last = args.length - 1
  const outer = args[last] as PluginContext
  if (timeoutMs <= 0) {
    try { return await fn.apply(plugin, args) } catch (err) { throw typed(err, `plugin ${plugin.name} ${name}`) }
  }
  // made only when the plugin reads ctx.signal or the time runs out: most calls never need them
  let timer: AbortController | undefined
  let signal: AbortSignal | undefined
  const bounded: PluginContext = {
    baseEntity: outer.baseEntity,
    log: outer.log,
    requestId: outer.requestId,
    // lazy: composing signals costs, and on @hono/node-server touching the request's signal does too
    get signal () { return (signal ??= AbortSignal.any([outer.signal, (timer ??= new AbortController()).signal])) }
  }
  if (outer.passThrough !== undefined) bounded.passThrough = outer.passThrough
  const callArgs = args.slice()
  callArgs[last] = bounded
  let handle: NodeJS.Timeout | undefined
  try {
    return await new Promise<unknown>((resolve, reject) => {
      handle = setTimeout(() => {
        const err = new GatewayTimeoutError(`plugin ${plugin.name} ${name} did not answer within ${timeoutMs} ms`)
        // also when the plugin has not read ctx.signal yet: a later read must see it aborted
        ;(timer ??= new AbortController()).abort(err)
        reject(err)
      }, timeoutMs)
      fn.apply(plugin, callArgs).then(resolve, reject)
    })
  } catch (err) {
    throw typed(err, `plugin ${plugin.name} ${name}`)
  } finally {
    clearTimeout(handle)
  }
}

function typed (err: unknown, what: string): unknown {
  return toUpstreamError(err, what) ?? err
}
