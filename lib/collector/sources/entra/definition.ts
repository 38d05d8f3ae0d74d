// The Entra ID source as the service registers it (sources/registry.ts): `entra.<tenant>` → the
// Microsoft Entra ID collector (Graph users/delta with groups and app roles, its delta link kept in
// the service's state dir). A section without auth is a tenant set up only for its NATS account
// (subscribers first, collection later): valid, not collected.
import type { ConfigProblem } from '../../../config/index.ts'
import type { JsonObject } from '../../../scim/types.ts'
import type { CollectorHandle, RunSource, SourceDefinition } from '../types.ts'
import { createEntraCollector } from './collector.ts'
import { EntraConfigError, parseEntraConfig } from './config.ts'

/** `entra.<tenant>`. */
export const entraSource: SourceDefinition = {
  type: 'entra',
  subjectPrefix: 'ENTRA',
  configProblems: entraConfigProblems,
  create (tenant, section, log, ctx): CollectorHandle {
    if (!hasAuth(section)) {
      const why = `entra.${tenant}: no auth configured (auth.oauth.clients with general.entra.tenant_id); the tenant's account and stream exist but nothing is collected`
      return { unavailable: why, collect: () => ({ persons: failing(new Error(why)), complete: () => false }) }
    }
    const entra = createEntraCollector(section, { log, tenant, ...(ctx?.stateDir !== undefined ? { stateDir: ctx.stateDir } : {}) })
    return {
      collect (signal: AbortSignal): RunSource {
        const stream = entra.stream(signal)
        return { persons: stream.persons, complete: () => stream.complete() }
      }
    }
  }
}

/** Problems of an `entra.<tenant>` section's collector settings (auth, general), with full paths. */
export function entraConfigProblems (at: string, section: unknown): ConfigProblem[] {
  if (!hasAuth(section)) return [] // not collected (see entraSource.create)
  try {
    parseEntraConfig(section)
    return []
  } catch (err) {
    if (!(err instanceof EntraConfigError)) throw err
    return err.problems.map(p => ({ path: p.path === '' ? at : `${at}.${p.path}`, message: p.message }))
  }
}

/** True when an entra section has at least one auth key (an empty or absent `auth` = not collected). */
function hasAuth (section: unknown): boolean {
  const auth = (section as { auth?: unknown } | null | undefined)?.auth
  return auth !== undefined && auth !== null && (typeof auth !== 'object' || Object.keys(auth).length > 0)
}

async function * failing (err: Error): AsyncGenerator<JsonObject> {
  yield * []
  throw err
}
