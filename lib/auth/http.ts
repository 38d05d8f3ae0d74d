// What lib/auth's network protections share with the HTTP edge: the gate and observer shapes (the
// core's RequestGate/PrincipalGate/AuthObserver accept these), SCIM error responses, and the socket
// facts (client address, verified client certificate) read from @hono/node-server's env.
import type { PeerCertificate, TLSSocket } from 'node:tls'
import { ScimError, toScimErrorBody } from '../scim/errors.ts'
import type { ScimVersion } from '../scim/types.ts'
import type { ClientCertificate, Principal } from './types.ts'

/** Before authentication: return a Response to stop the request. */
export type Gate = (req: Request, info: { remoteAddress: string | undefined, route?: { version?: ScimVersion | undefined } | undefined }) => Response | undefined | Promise<Response | undefined>

/** After authentication: return a Response to stop the request. */
export type PrincipalGateFn = (req: Request, info: { remoteAddress: string | undefined, principal: Principal, route?: { version?: ScimVersion | undefined } }) => Response | undefined | Promise<Response | undefined>

/**
 * Told every authentication outcome. A promise returned for a failure is awaited before the 401 is
 * sent (the failed-auth slow-down delays failures only).
 */
export type AuthEventObserver = (info: { remoteAddress: string | undefined, ok: boolean, principal?: Principal, reason?: string, req?: Request }) => void | Promise<void>

/** A SCIM error response (403 for the IP allow list, 429 for rate limits). */
export function scimErrorResponse (status: number, detail: string, version: ScimVersion = '2.0', headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(toScimErrorBody(new ScimError(status, undefined, detail), version)), {
    status,
    headers: { 'content-type': 'application/scim+json; charset=utf-8', ...headers }
  })
}

interface NodeEnv { incoming?: { socket?: Partial<Pick<TLSSocket, 'remoteAddress' | 'authorized' | 'getPeerCertificate'>> } }

/** The socket's remote address from @hono/node-server's env (undefined elsewhere). */
export function socketAddressOf (env: unknown): string | undefined {
  if (typeof env !== 'object' || env === null) return undefined
  return (env as NodeEnv).incoming?.socket?.remoteAddress
}

/**
 * The client certificate of a TLS connection, only when the server verified it against its CAs
 * (`authorized`). The core passes it to authenticators as `AuthRequest.clientCertificate`.
 */
export function clientCertificateOf (env: unknown): ClientCertificate | undefined {
  if (typeof env !== 'object' || env === null) return undefined
  const socket = (env as NodeEnv).incoming?.socket
  if (socket?.authorized !== true || typeof socket.getPeerCertificate !== 'function') return undefined
  const cert: PeerCertificate = socket.getPeerCertificate()
  if (cert === null || typeof cert !== 'object' || cert.subject === undefined) return undefined
  return certificateInfo(cert)
}

/** Subject string, CN and fingerprint of a peer certificate. */
export function certificateInfo (cert: Pick<PeerCertificate, 'subject' | 'fingerprint256'>): ClientCertificate {
  const subject = Object.entries(cert.subject)
    .flatMap(([k, v]) => (Array.isArray(v) ? v : [v]).map(x => `${k}=${String(x)}`))
    .join(', ')
  const cn = cert.subject.CN
  return { subject, commonName: Array.isArray(cn) ? cn[0] : cn, fingerprint256: cert.fingerprint256 }
}
