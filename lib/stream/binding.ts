// What the stream module adds to a gateway *before* it is constructed (the Hono app mounts routes
// and reads authenticators/forwarders at construction): the internal GW principal, the publisher
// forwarder and the status route. startStream() later finds this binding again through the
// internal authenticator it placed in the gateway's options, and fills in the live parts.
import type { Hono } from 'hono'
import type { Authenticator } from '../auth/types.ts'
import { authenticateChain } from '../auth/chain.ts'
import type { AuthObserver, GatewayOptions, RequestGate } from '../core/options.ts'
import { clientCertificateOf, socketAddressOf } from '../auth/http.ts'
import { createInternalAuth, type InternalAuth } from './internal-auth.ts'
import { createGwForwarder, type GwRoute } from './publisher/forwarder.ts'

/** Path of the status endpoint (authenticated with the gateway's own methods). */
export const STREAM_STATUS_PATH = '/stream/status'

const BINDING = Symbol('scim-stream-binding')

/** Live state the status route reports. */
export type StatusProvider = () => unknown

/** The stream module's hooks in one gateway. */
export class StreamBinding {
  readonly internalAuth: InternalAuth
  /** Publisher routes by lower-cased baseEntity; filled by startStream. */
  readonly routes = new Map<string, GwRoute>()
  status: StatusProvider | undefined
  /** The gateway's authenticators (for the status route); set by startStream. */
  authenticators: readonly Authenticator[] = []
  /** The gateway's pre-authentication gates (IP allow list, rate limit, slow-down); set by startStream. */
  gates: readonly RequestGate[] = []
  /** The gateway's authentication observers (failed-auth slow-down); set by startStream. */
  authObservers: readonly AuthObserver[] = []

  constructor () {
    this.internalAuth = createInternalAuth()
    Object.defineProperty(this.internalAuth.authenticator, BINDING, { value: this, enumerable: false })
  }

  /** The gateway options to add (see {@link withStreamOptions}). */
  options (gwTimeoutMs?: number, maxRequestBytes?: number): Pick<GatewayOptions, 'authenticators' | 'forwarders' | 'extraRoutes'> {
    return {
      authenticators: [this.internalAuth.authenticator],
      forwarders: [createGwForwarder({
        routeOf: (e) => this.routes.get(e.toLowerCase()),
        ...(gwTimeoutMs !== undefined ? { timeoutMs: gwTimeoutMs } : {}),
        ...(maxRequestBytes !== undefined ? { maxRequestBytes } : {})
      })],
      extraRoutes: [(app: Hono) => { this.#mountStatus(app) }]
    }
  }

  /** Finds the binding placed in a gateway's options, if any. */
  static of (options: Pick<GatewayOptions, 'authenticators'>): StreamBinding | undefined {
    for (const a of options.authenticators) {
      const b = (a as unknown as Record<symbol, unknown>)[BINDING]
      if (b instanceof StreamBinding) return b
    }
    return undefined
  }

  #mountStatus (app: Hono): void {
    app.get(STREAM_STATUS_PATH, async (c) => {
      // the same network protections as the SCIM routes: IP allow list, rate limit, slow-down
      const remoteAddress = socketAddressOf(c.env)
      for (const gate of this.gates) {
        const stop = await gate(c.req.raw, { remoteAddress, route: undefined })
        if (stop !== undefined) return stop
      }
      const auth = await authenticateChain(this.authenticators.filter(a => a !== this.internalAuth.authenticator), {
        authorization: c.req.header('authorization'),
        remoteAddress,
        clientCertificate: clientCertificateOf(c.env)
      })
      for (const o of this.authObservers) {
        await o(auth.kind === 'ok'
          ? { remoteAddress, ok: true, principal: auth.principal, req: c.req.raw }
          : { remoteAddress, ok: false, reason: auth.kind === 'fail' ? auth.reason : 'no credentials', req: c.req.raw })
      }
      if (auth.kind !== 'ok') {
        return c.json({ schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'], status: '401', detail: 'Authorization failed' }, 401)
      }
      if (this.status === undefined) return c.json({ state: 'not started' }, 503)
      return c.json(this.status())
    })
  }
}
