// `scimgateway.auth.passThrough`: the gateway does not check the credentials itself; it forwards the
// caller's Authorization header to the plugin (ctx.passThrough), which uses it against its endpoint
// and so decides. Only safe when the plugin declares `capabilities.passThrough`: otherwise any header
// would open the gateway, so the factory refuses to make the authenticator.
import type { AccessEntry, Authenticator } from './types.ts'

export interface PassThroughOptions extends AccessEntry {
  /** The plugin's `capabilities.passThrough`. */
  pluginSupportsPassThrough: boolean
}

/**
 * Accepts any request that carries an Authorization header (principal method 'passThrough').
 * @example passThroughAuthenticator({ pluginSupportsPassThrough: plugin.capabilities?.passThrough === true })
 */
export function passThroughAuthenticator (opts: PassThroughOptions): Authenticator {
  if (!opts.pluginSupportsPassThrough) {
    throw new Error('auth.passThrough is enabled but the plugin does not declare capabilities.passThrough: refusing to accept unchecked credentials')
  }
  const principal = { name: 'passThrough', method: 'passThrough' as const, readOnly: opts.readOnly === true, baseEntities: opts.baseEntities ?? [] }
  return {
    scheme: 'Bearer',
    authenticate (req) {
      const h = req.authorization
      if (h === undefined || h.trim() === '') return { kind: 'skip' }
      return { kind: 'ok', principal }
    }
  }
}
