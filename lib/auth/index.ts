// Public API of lib/auth: authenticators per method, the chain that tries them in order, and the
// network protections (IP allow list, rate limits, failed-auth slow-down) the core runs as gates.
export type { Principal, AuthRequest, AuthResult, Authenticator, AccessEntry, ClientCertificate } from './types.ts'
export { basicAuthenticator, parseBasic, type BasicEntry } from './basic.ts'
export { bearerTokenAuthenticator, parseBearer, type BearerTokenEntry } from './bearer-token.ts'
export { bearerJwtAuthenticator, azureIssuers, type BearerJwtEntry, type BearerJwtOptions, type BearerJwtDeps } from './bearer-jwt.ts'
export { createJwksSource, type JwksSource, type JwksSourceOptions, type FetchFn } from './jwks.ts'
export { createOAuthServer, OAUTH_AUDIENCE, type OAuthClient, type OAuthServer, type OAuthServerOptions } from './oauth.ts'
export { createSigningKey, loadOrCreateSigningKey, type SigningKey } from './signing-key.ts'
export { passThroughAuthenticator, type PassThroughOptions } from './pass-through.ts'
export { clientCertificateAuthenticator, type ClientCertificateEntry } from './client-cert.ts'
export { createAddressMatcher, clientAddressOf, clientAddressResolver, ipAllowGate, normalizeAddress, type AddressMatcher, type IpAllowOptions, type TrustProxy } from './ip-allow.ts'
export {
  createRateLimiter, addressRateLimitGate, principalRateLimitGate, failedAuthSlowDown,
  type RateLimiter, type TokenBucketOptions, type SlowDownOptions, type FailedAuthSlowDown
} from './rate-limit.ts'
export { clientCertificateOf, socketAddressOf, certificateInfo, scimErrorResponse, type Gate, type PrincipalGateFn, type AuthEventObserver } from './http.ts'
export { VerifiedTokenCache } from './token-cache.ts'
export { safeEqual } from './compare.ts'
export { authenticateChain, wwwAuthenticate } from './chain.ts'
