// Operator-mode credentials for the builtin NATS server: operator, system account, one account per
// tenant with explicit limits and scoped signing keys, and users issued from those keys.
//
// Trust design:
// - The operator identity key signs only the operator JWT; accounts are signed with the operator's
//   signing key (so the identity key could be kept offline).
// - A tenant account's identity seed is thrown away right after creation. Users can then only be
//   signed with the account's *scoped* signing keys, whose permission templates (permissions.ts) the
//   server enforces. Nobody — not even this service — can issue an unrestricted tenant user.
//   Re-signing the account JWT (new limits, new keys) needs only the operator signing key.
// - The system account keeps its seed: it issues the system user that pushes account JWTs to the
//   running server (full resolver, `$SYS.REQ.CLAIMS.UPDATE`).
// Everything is plain data (seeds as strings) so store.ts can persist and reload it as JSON.
import {
  createAccount, createOperator as newOperatorKey, createUser, fromSeed,
  encodeAccount, encodeOperator, encodeUser, fmtCreds
} from '@nats-io/jwt'
import type { Account, OperatorLimits, SigningKey } from '@nats-io/jwt'
import {
  USER_TYPES, SIGNING_KEY_ROLE, inboxPrefixFor, permissionTemplate
} from './permissions.ts'
import type { InboxMode, UserType } from './permissions.ts'

/** Operator + system account. Secrets: every `*Seed`. */
export interface OperatorCreds {
  name: string
  publicKey: string
  seed: string
  signingPublicKey: string
  signingSeed: string
  jwt: string
  system: { publicKey: string, seed: string, jwt: string }
}

/** Account limits of a tenant; every field ends up explicitly in the account JWT. -1 = unlimited. */
export interface TenantLimits {
  conn: number
  subs: number
  data: number
  payload: number
  imports: number
  exports: number
  leaf: number
  /**
   * JetStream file storage of the account, bytes. A byte count is *reserved* by nats-server 2.9:
   * the sum over all tenants must fit the server's max_file_store. -1 = share the server's.
   */
  diskStorage: number
  /** JetStream memory storage of the account, bytes (reserved like diskStorage; -1 = shared). */
  memStorage: number
  streams: number
  consumers: number
}

/**
 * Defaults: every limit explicitly unlimited (-1); JetStream storage is then bounded by the
 * server's max_file_store / max_memory_store, shared by the tenants.
 */
export const DEFAULT_TENANT_LIMITS: Readonly<TenantLimits> = Object.freeze({
  conn: -1, subs: -1, data: -1, payload: -1, imports: -1, exports: -1, leaf: -1,
  diskStorage: -1, memStorage: -1, streams: -1, consumers: -1
})

/** A tenant account. `signingSeeds` are secrets; the account identity seed is not kept. */
export interface TenantCreds {
  name: string
  publicKey: string
  jwt: string
  limits: TenantLimits
  inboxes: InboxMode
  /** false: subscribers may not publish `DLQ.…` (a deployed server's layout). Absent = true. */
  subscriberDeadLetters?: boolean
  signingSeeds: Record<UserType, string>
  /**
   * Public keys of unscoped signing keys imported from `nats.server.auth` (the product's pub/sub
   * keys): users they signed earlier keep working with the permissions in their own JWTs. This
   * service never signs with them; it issues users with its scoped keys only.
   */
  importedSigningKeys?: string[]
}

/** A user's credentials: JWT and user nkey seed (`SU…`), plus the inbox prefix it must use. */
export interface UserCreds {
  jwt: string
  seed: string
  inboxPrefix: string
}

/** Options of {@link createTenant}. */
export interface TenantOptions {
  /** 'shared' (default, `_INBOX.>`, what deployed clients use) or 'per-role'. */
  inboxes?: InboxMode
  /** Subscriber users may publish dead letters to `DLQ.<prefix>.>` (default true). */
  subscriberDeadLetters?: boolean
}

const TENANT_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$/
const RESERVED = new Set(['SYS', '$SYS', '$G', 'DLQ'])

/** Creates an operator with a signing key and its system account. */
export async function createOperator (name = 'SCIM-Stream'): Promise<OperatorCreds> {
  const op = newOperatorKey()
  const signer = newOperatorKey()
  const sys = createAccount()
  const sysPub = sys.getPublicKey()
  const jwt = await encodeOperator(name, op, {
    signing_keys: [signer.getPublicKey()],
    system_account: sysPub
  })
  const sysJwt = await encodeAccount('SYS', sysPub, {
    limits: accountLimits({ ...DEFAULT_TENANT_LIMITS, diskStorage: 0, memStorage: 0 })
  }, { signer })
  return {
    name,
    publicKey: op.getPublicKey(),
    seed: seedOf(op),
    signingPublicKey: signer.getPublicKey(),
    signingSeed: seedOf(signer),
    jwt,
    system: { publicKey: sysPub, seed: seedOf(sys), jwt: sysJwt }
  }
}

/**
 * Creates a tenant account with JetStream enabled, explicit limits and one scoped signing key per
 * user type. The returned account JWT must be known to the server (config preload or pushAccountJwt).
 * @example const acme = await createTenant(operator, 'acme', { diskStorage: 1024 ** 3 })
 */
export async function createTenant (
  operator: OperatorCreds, name: string, limits: Partial<TenantLimits> = {}, opts: TenantOptions = {}
): Promise<TenantCreds> {
  assertTenantName(name)
  const account = createAccount()
  const signingSeeds = {} as Record<UserType, string>
  for (const type of USER_TYPES) signingSeeds[type] = seedOf(createAccount())
  const tenant: TenantCreds = {
    name,
    publicKey: account.getPublicKey(),
    jwt: '',
    limits: { ...DEFAULT_TENANT_LIMITS, ...limits },
    inboxes: opts.inboxes ?? 'shared',
    ...(opts.subscriberDeadLetters === false ? { subscriberDeadLetters: false } : {}),
    signingSeeds
  }
  tenant.jwt = await signTenantJwt(operator, tenant)
  return tenant
}

/**
 * Re-signs a tenant's account JWT from its data (e.g. after changing `limits`).
 * Push the result to a running server with pushAccountJwt.
 */
export async function signTenantJwt (operator: OperatorCreds, tenant: TenantCreds): Promise<string> {
  const signingKeys: Array<SigningKey | string> = USER_TYPES.map(type => ({
    kind: 'user_scope',
    key: fromSeed(enc(tenant.signingSeeds[type])).getPublicKey(),
    role: SIGNING_KEY_ROLE[type],
    template: permissionTemplate(tenant.name, type, tenant.inboxes, { subscriberDeadLetters: tenant.subscriberDeadLetters !== false })
  }))
  signingKeys.push(...(tenant.importedSigningKeys ?? []))
  const account: Partial<Account> = { limits: accountLimits(tenant.limits), signing_keys: signingKeys }
  return await encodeAccount(tenant.name, tenant.publicKey, account, { signer: enc(operator.signingSeed) })
}

/**
 * Issues a user of `type` in `tenant`, signed by the tenant's scoped signing key for that type.
 * The JWT carries no permissions: the server applies the signing key's template.
 * @example const { jwt, seed } = await issueUser(acme, 'entra', 'gateway-1')
 */
export async function issueUser (
  tenant: TenantCreds, type: UserType, name: string, opts: { expiresAt?: Date } = {}
): Promise<UserCreds> {
  const user = createUser()
  const signer = enc(tenant.signingSeeds[type])
  const exp = opts.expiresAt === undefined ? {} : { exp: Math.floor(opts.expiresAt.getTime() / 1000) }
  const jwt = await encodeUser(name, user, tenant.publicKey, {}, { signer, scopedUser: true, ...exp })
  return { jwt, seed: seedOf(user), inboxPrefix: inboxPrefixFor(type, tenant.inboxes) }
}

/** Issues a user of the system account (to push account JWTs, read server state). */
export async function issueSystemUser (operator: OperatorCreds, name = 'sys'): Promise<UserCreds> {
  const user = createUser()
  const jwt = await encodeUser(name, user, enc(operator.system.seed))
  return { jwt, seed: seedOf(user), inboxPrefix: '_INBOX' }
}

/** Formats user credentials as a `.creds` file (for the `nats` CLI and other clients). */
export function formatCredsFile (creds: UserCreds): string {
  return new TextDecoder().decode(fmtCreds(creds.jwt, fromSeed(enc(creds.seed))))
}

/** Throws unless `name` can be an account and a stream name (letters, digits, `_`, `-`). */
export function assertTenantName (name: string): void {
  if (!TENANT_NAME.test(name) || RESERVED.has(name.toUpperCase()) || name.endsWith('_DLQ')) {
    throw new Error(`invalid tenant name "${name}": use 1-63 letters, digits, '_' or '-', not SYS/DLQ`)
  }
}

function accountLimits (l: TenantLimits): OperatorLimits {
  return {
    conn: l.conn, subs: l.subs, data: l.data, payload: l.payload,
    imports: l.imports, exports: l.exports, leaf: l.leaf, wildcards: true,
    disk_storage: l.diskStorage, mem_storage: l.memStorage,
    streams: l.streams, consumer: l.consumers,
    // 0 = no per-stream byte cap beyond the account totals (what nsc writes).
    mem_max_stream_bytes: 0, disk_max_stream_bytes: 0, max_bytes_required: false, max_ack_pending: -1
  }
}

function seedOf (kp: { getSeed (): Uint8Array }): string {
  return new TextDecoder().decode(kp.getSeed())
}

function enc (s: string): Uint8Array {
  return new TextEncoder().encode(s)
}
