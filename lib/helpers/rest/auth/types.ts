// What the REST client asks of an auth method: the Authorization header for a request, and a way
// to drop a cached token after a 401. Shared by every auth type in this directory.
import type { Logger } from '../../../logging/types.ts'
import type { JsonObject } from '../../../scim/types.ts'

export interface AuthProvider {
  /** The Authorization header value; undefined = send none. */
  authorization (signal: AbortSignal): Promise<string | undefined>
  /** Drops a cached token (the API answered 401 to `header`); false when there is none to renew. */
  invalidate (header: string): boolean
  /** Token requests made so far. */
  readonly tokenRequests: number
  /** Public keys to publish at the issuer's jwks_uri (Entra federated credentials); otherwise undefined. */
  jwks? (): Promise<{ keys: JsonObject[] }>
}

/** Posts a form to a token endpoint through the connection's transport (proxy, TLS). */
export type FormPost = (url: string, form: Record<string, string>, signal: AbortSignal) => Promise<{ status: number, body: unknown }>

/** What a SAML assertion provider gets (scimgateway's `samlPayload` plus the signing material). */
export interface SamlAssertionRequest {
  /** PEM certificate and private key that sign the assertion. */
  cert: string
  key: string
  passphrase?: string
  issuer: string
  audience: string
  /** The token endpoint (Recipient of the subject confirmation). */
  recipient: string
  nameId: string
  /** scimgateway's userIdentifierFormat (e.g. "userName"). */
  userIdentifierFormat: string
  clientId: string
  lifetimeS: number
}

/** Makes a signed SAML 2.0 assertion (XML text) for the OAuth SAML bearer grant. */
export type SamlAssertionProvider = (req: SamlAssertionRequest) => string | Promise<string>

export interface AuthDeps {
  /** Resolves relative key/certificate file names. */
  certsDir: string
  post: FormPost
  /** First base URL: default Entra scope (`<origin>/.default`). */
  baseUrl: string
  /** The base URL in use: a token endpoint given as a path (`/oauth/token`) is on its origin. */
  currentBaseUrl?: () => string
  now: () => number
  samlAssertion?: SamlAssertionProvider
  /** Where to look when a token request is refused, in the caller's config terms (default: the auth options). */
  hint?: string
  log?: Logger
}
