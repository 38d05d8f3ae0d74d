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
  const ctx = args[last] as PluginContext
  const what = `plugin ${plugin.name} ${name}`
  if (timeoutMs <= 0) {
    try { return await fn.apply(plugin, args) } catch (err) { throw typed(err, what) }
  }
  const timer = new AbortController()
  let signal: AbortSignal | undefined
  const outer = ctx
  // lazy: composing signals costs, and on @hono/node-server touching the request's signal does too
  const props = Object.getOwnPropertyDescriptors(outer)
  props.signal = { get () { return (signal ??= AbortSignal.any([outer.signal, timer.signal])) }, enumerable: true, configurable: true }
  const bounded = Object.defineProperties({}, props) as PluginContext
  const callArgs = [...args]
  callArgs[last] = bounded
  let handle: NodeJS.Timeout | undefined
  const expired = new Promise<never>((_resolve, reject) => {
    handle = setTimeout(() => {
      const err = new GatewayTimeoutError(`${what} did not answer within ${timeoutMs} ms`)
      timer.abort(err)
      reject(err)
    }, timeoutMs)
  })
  try {
    return await Promise.race([fn.apply(plugin, callArgs), expired])
  } catch (err) {
    throw typed(err, what)
  } finally {
    clearTimeout(handle)
  }
}

function typed (err: unknown, what: string): unknown {
  return toUpstreamError(err, what) ?? err
}
