// `nats.server.auth` of the SCIM Stream config: the operator, system account and tenant accounts a
// deployment already has (the product's exported NATS identities), used by the builtin server instead
// of generated ones, so the server keeps its operator and account identities.
//
//   auth:
//     operator: { jwt, secret, sys_account_jwt, sys_account_secret }
//     account:
//       <tenant>: { jwt, secret, signing: { pub_secret, sub_entra_secret, sub_hr_secret } }
//
// Every JWT is decoded and every secret checked against it (seed type and public key), so a pasted
// value that does not belong is a start error with its path. The operator's identity key signs the
// accounts (it is a valid issuer whether or not the operator JWT lists signing keys). A tenant keeps
// its account identity; its account JWT is re-signed with this service's scoped signing keys (how it
// issues users, with enforced permissions) plus the imported pub/sub keys as unscoped keys, so users
// the product signed with them before keep working. Tenants not listed get new accounts under the
// configured operator; tenants known from an earlier start keep their keys.
import { decode, fromSeed } from '@nats-io/jwt'
import { createTenant, signTenantJwt, DEFAULT_TENANT_LIMITS } from './credentials.ts'
import type { OperatorCreds, TenantCreds } from './credentials.ts'
import type { CredentialStore } from './store.ts'

/** The documented shape. */
export interface ConfiguredNatsAuth {
  operator?: { jwt: string, secret: string, sys_account_jwt: string, sys_account_secret: string }
  account?: Readonly<Record<string, { jwt: string, secret: string, signing?: { pub_secret?: string, sub_entra_secret?: string, sub_hr_secret?: string } }>>
}

/** A problem below `nats.server.auth`. */
export interface AuthProblem { path: string, message: string }

/** Thrown with every problem. */
export class NatsAuthConfigError extends Error {
  constructor (readonly problems: AuthProblem[]) {
    super(problems.map(p => `${p.path}: ${p.message}`).join('; '))
    this.name = 'NatsAuthConfigError'
  }
}

const AT = 'nats.server.auth'

/** Checks the JWTs and secrets (no I/O); problems with their paths. */
export function checkConfiguredAuth (auth: ConfiguredNatsAuth): AuthProblem[] {
  const problems: AuthProblem[] = []
  const op = auth.operator
  if (op === undefined) {
    if (auth.account !== undefined && Object.keys(auth.account).length > 0) problems.push({ path: `${AT}.operator`, message: 'is required with auth.account (the accounts are signed by the operator)' })
    return problems
  }
  const opSub = claim(op.jwt, 'operator', `${AT}.operator.jwt`, problems)
  pair(op.secret, 'SO', opSub, `${AT}.operator.secret`, 'the operator jwt', problems)
  const sysSub = claim(op.sys_account_jwt, 'account', `${AT}.operator.sys_account_jwt`, problems)
  pair(op.sys_account_secret, 'SA', sysSub, `${AT}.operator.sys_account_secret`, 'sys_account_jwt', problems)
  const declared = opSub === undefined ? undefined : systemAccountOf(op.jwt)
  if (declared !== undefined && sysSub !== undefined && declared !== sysSub) problems.push({ path: `${AT}.operator.sys_account_jwt`, message: `is not the system account the operator jwt names (${declared})` })
  for (const [tenant, a] of Object.entries(auth.account ?? {})) {
    const at = `${AT}.account.${tenant}`
    const sub = claim(a.jwt, 'account', `${at}.jwt`, problems)
    pair(a.secret, 'SA', sub, `${at}.secret`, 'its jwt', problems)
    for (const [k, v] of Object.entries(a.signing ?? {})) {
      if (v !== undefined && v !== '') pair(v, 'SA', undefined, `${at}.signing.${k}`, '', problems)
    }
  }
  return problems
}

/**
 * The credential store from the configured identities, keeping from `existing` (credentials.json of
 * an earlier start) the tenants and keys that still fit.
 * @throws NatsAuthConfigError when a JWT or secret does not check out
 */
export async function storeFromConfiguredAuth (auth: ConfiguredNatsAuth, existing: CredentialStore | undefined): Promise<CredentialStore | undefined> {
  const problems = checkConfiguredAuth(auth)
  if (problems.length > 0) throw new NatsAuthConfigError(problems)
  const op = auth.operator
  if (op === undefined) return existing
  const publicKey = decode(op.jwt).sub
  const sysKey = decode(op.sys_account_jwt).sub
  const operator: OperatorCreds = {
    name: decode(op.jwt).name,
    publicKey,
    seed: op.secret,
    signingPublicKey: publicKey,
    signingSeed: op.secret,
    jwt: op.jwt,
    system: { publicKey: sysKey, seed: op.sys_account_secret, jwt: op.sys_account_jwt }
  }
  const tenants: Record<string, TenantCreds> = {}
  for (const [name, t] of Object.entries(existing?.tenants ?? {})) {
    // Known from an earlier start: same account and keys, re-signed by this operator (a no-op when unchanged).
    tenants[name] = { ...t, jwt: await signTenantJwt(operator, t) }
  }
  for (const [name, a] of Object.entries(auth.account ?? {})) {
    const accountKey = decode(a.jwt).sub
    const imported = Object.values(a.signing ?? {}).filter((s): s is string => typeof s === 'string' && s !== '').map(s => publicOf(s))
    const known = tenants[name]
    const base: TenantCreds = known !== undefined && known.publicKey === accountKey
      ? known
      : { ...(await createTenant(operator, name)), publicKey: accountKey, limits: { ...DEFAULT_TENANT_LIMITS } }
    const tenant: TenantCreds = { ...base, importedSigningKeys: [...new Set(imported)] }
    tenant.jwt = await signTenantJwt(operator, tenant)
    tenants[name] = tenant
  }
  return { version: 1, operator, tenants }
}

function claim (jwt: string, type: 'operator' | 'account', path: string, problems: AuthProblem[]): string | undefined {
  try {
    const c = decode<{ type?: string }>(jwt)
    if (c.nats?.type !== type) { problems.push({ path, message: `is a ${c.nats?.type ?? 'unknown'} JWT, not an ${type} JWT` }); return undefined }
    return c.sub
  } catch (err) {
    problems.push({ path, message: `is not a NATS JWT (${(err as Error).message})` })
    return undefined
  }
}

function pair (seed: string, prefix: 'SO' | 'SA', expected: string | undefined, path: string, what: string, problems: AuthProblem[]): void {
  if (!seed.startsWith(prefix)) { problems.push({ path, message: `must be an ${prefix === 'SO' ? 'operator' : 'account'} nkey seed (${prefix}…)` }); return }
  let pub: string
  try {
    pub = publicOf(seed)
  } catch (err) {
    problems.push({ path, message: `is not a valid nkey seed (${(err as Error).message})` })
    return
  }
  if (expected !== undefined && pub !== expected) problems.push({ path, message: `is not the secret of ${what} (its public key is ${pub}, the jwt's is ${expected})` })
}

function publicOf (seed: string): string {
  return fromSeed(new TextEncoder().encode(seed)).getPublicKey()
}

function systemAccountOf (jwt: string): string | undefined {
  const n = decode<{ system_account?: string }>(jwt).nats as { system_account?: unknown } | undefined
  return typeof n?.system_account === 'string' ? n.system_account : undefined
}
