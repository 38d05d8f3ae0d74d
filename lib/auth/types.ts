// Authentication contract: each method is a function from request credentials to a principal,
// "not mine" (another method may accept it) or a failure. The core tries methods in order.

/** Who is calling, and what they may do. */
export interface Principal {
  /** Identifies the caller in logs (user name, client id, token label); never a secret. */
  name: string
  method: 'basic' | 'bearerToken' | 'bearerJwt' | 'bearerOAuth' | 'passThrough' | 'clientCertificate' | 'anonymous'
  /** Writes (POST/PUT/PATCH/DELETE) answer 405. */
  readOnly: boolean
  /** Empty = all baseEntities; otherwise only these. */
  baseEntities: readonly string[]
}

/** What an authenticator sees of a request. */
export interface AuthRequest {
  authorization: string | undefined
  remoteAddress: string | undefined
  /** The TLS client certificate the server verified (mutual TLS); see `clientCertificateOf(env)`. */
  clientCertificate?: ClientCertificate | undefined
}

/** What the gateway keeps of a verified TLS client certificate. */
export interface ClientCertificate {
  /** Subject as `CN=…, O=…` (RFC 4514 order as the certificate lists it). */
  subject: string
  /** Subject common name, when present. */
  commonName: string | undefined
  /** SHA-256 fingerprint, `AA:BB:…`. */
  fingerprint256: string
}

export type AuthResult =
  | { kind: 'ok', principal: Principal }
  /** The credentials are of this method's scheme but wrong: stop and answer 401. */
  | { kind: 'fail', reason: string }
  /** Not this method's scheme (or none given): try the next one. */
  | { kind: 'skip' }

export interface Authenticator {
  /** The HTTP auth scheme for WWW-Authenticate (`Basic`, `Bearer`). */
  readonly scheme: 'Basic' | 'Bearer'
  authenticate (req: AuthRequest): Promise<AuthResult> | AuthResult
}

export interface AccessEntry {
  readOnly?: boolean
  baseEntities?: readonly string[]
}
