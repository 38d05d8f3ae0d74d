// Persisting the operator, system account and tenants as one JSON document (it holds secrets:
// write it with mode 0600). Parsing validates the shape so a damaged file is a clear error.
import { readFile, writeFile, rename } from 'node:fs/promises'
import { USER_TYPES } from './permissions.ts'
import type { UserType } from './permissions.ts'
import { DEFAULT_TENANT_LIMITS } from './credentials.ts'
import type { OperatorCreds, TenantCreds, TenantLimits } from './credentials.ts'

/** All NATS credentials the builtin server needs. */
export interface CredentialStore {
  version: 1
  operator: OperatorCreds
  tenants: Record<string, TenantCreds>
}

/** Serialises a store to JSON. */
export function serializeCredentials (store: CredentialStore): string {
  return JSON.stringify(store, null, 2)
}

/** Parses and validates JSON produced by {@link serializeCredentials}; throws with the bad path. */
export function parseCredentials (json: string): CredentialStore {
  const root = obj(JSON.parse(json) as unknown, '$')
  if (root.version !== 1) throw new Error('credentials: $.version must be 1')
  const op = obj(root.operator, '$.operator')
  const sys = obj(op.system, '$.operator.system')
  const operator: OperatorCreds = {
    name: str(op.name, '$.operator.name'),
    publicKey: str(op.publicKey, '$.operator.publicKey'),
    seed: str(op.seed, '$.operator.seed'),
    signingPublicKey: str(op.signingPublicKey, '$.operator.signingPublicKey'),
    signingSeed: str(op.signingSeed, '$.operator.signingSeed'),
    jwt: str(op.jwt, '$.operator.jwt'),
    system: {
      publicKey: str(sys.publicKey, '$.operator.system.publicKey'),
      seed: str(sys.seed, '$.operator.system.seed'),
      jwt: str(sys.jwt, '$.operator.system.jwt')
    }
  }
  const tenants: Record<string, TenantCreds> = {}
  for (const [name, raw] of Object.entries(obj(root.tenants, '$.tenants'))) {
    const p = `$.tenants.${name}`
    const t = obj(raw, p)
    const seeds = obj(t.signingSeeds, `${p}.signingSeeds`)
    const signingSeeds = {} as Record<UserType, string>
    for (const type of USER_TYPES) signingSeeds[type] = str(seeds[type], `${p}.signingSeeds.${type}`)
    const lim = obj(t.limits, `${p}.limits`)
    const limits = { ...DEFAULT_TENANT_LIMITS } as TenantLimits
    for (const k of Object.keys(DEFAULT_TENANT_LIMITS) as (keyof TenantLimits)[]) {
      if (lim[k] !== undefined) limits[k] = num(lim[k], `${p}.limits.${k}`)
    }
    const inboxes = t.inboxes === 'per-role' ? 'per-role' : 'shared'
    tenants[name] = {
      name: str(t.name, `${p}.name`),
      publicKey: str(t.publicKey, `${p}.publicKey`),
      jwt: str(t.jwt, `${p}.jwt`),
      limits,
      inboxes,
      ...(t.subscriberDeadLetters === false ? { subscriberDeadLetters: false } : {}),
      signingSeeds,
      ...(Array.isArray(t.importedSigningKeys) ? { importedSigningKeys: t.importedSigningKeys.map((k, i) => str(k, `${p}.importedSigningKeys[${i}]`)) } : {})
    }
  }
  return { version: 1, operator, tenants }
}

/** Reads a store file; `undefined` when it does not exist. */
export async function loadCredentials (file: string): Promise<CredentialStore | undefined> {
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw err
  }
  return parseCredentials(text)
}

/** Writes a store file atomically with mode 0600. */
export async function saveCredentials (file: string, store: CredentialStore): Promise<void> {
  const tmp = `${file}.${process.pid}.tmp`
  await writeFile(tmp, serializeCredentials(store), { mode: 0o600 })
  await rename(tmp, file)
}

function obj (v: unknown, path: string): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error(`credentials: ${path} must be an object`)
  return v as Record<string, unknown>
}

function str (v: unknown, path: string): string {
  if (typeof v !== 'string' || v === '') throw new Error(`credentials: ${path} must be a non-empty string`)
  return v
}

function num (v: unknown, path: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new Error(`credentials: ${path} must be a number`)
  return v
}
