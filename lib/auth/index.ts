// Public API of lib/auth: authenticators per method and the chain that tries them in order.
export type { Principal, AuthRequest, AuthResult, Authenticator, AccessEntry } from './types.ts'
export { basicAuthenticator, parseBasic, type BasicEntry } from './basic.ts'
export { bearerTokenAuthenticator, parseBearer, type BearerTokenEntry } from './bearer-token.ts'
export { safeEqual } from './compare.ts'
export { authenticateChain, wwwAuthenticate } from './chain.ts'
