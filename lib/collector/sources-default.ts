// The collectors the service uses unless told otherwise: `hr.<tenant>` → the generic REST HR
// collector (lib/collector/sources/hr), streamed page by page, with its Joiner-Mover-Leaver
// lifecycle. `entra.<tenant>` → the Microsoft Entra ID collector (lib/collector/sources/entra):
// Graph users/delta with groups and app roles, its delta link kept in the service's state dir.
import { join } from 'node:path'
import type { JsonObject } from '../scim/types.ts'
import { createHrCollector, parseHrConfig, HrConfigError, checkSamlFiles } from './sources/hr/index.ts'
import { createEntraCollector, parseEntraConfig, EntraConfigError } from './sources/entra/index.ts'
import type { ConfigProblem } from '../config/index.ts'
import type { RunSource, LifecycleDecision } from './pipeline.ts'
import type { SourceFactory, CollectorHandle } from './tenant-runtime.ts'

/** Collectors by tenant type. */
export const defaultSources: SourceFactory = (tenant, type, cfg, log, ctx): CollectorHandle => {
  if (type === 'entra') {
    if (!hasAuth(cfg)) {
      // A tenant set up only for its NATS account (subscribers first, collection later).
      const why = `entra.${tenant}: no auth configured (tenant_id, client_id, client_secret); the tenant's account and stream exist but nothing is collected`
      return { unavailable: why, collect: () => ({ persons: failing(new Error(why)), complete: () => false }) }
    }
    const entra = createEntraCollector(cfg, { log, tenant, ...(ctx?.stateDir !== undefined ? { stateDir: ctx.stateDir } : {}) })
    return {
      collect (signal: AbortSignal): RunSource {
        const stream = entra.stream(signal)
        return { persons: stream.persons, complete: () => stream.complete() }
      }
    }
  }
  const hr = createHrCollector(cfg, { log, tenant, ...(ctx?.configDir !== undefined ? { certDir: join(ctx.configDir, 'certs') } : {}) })
  return {
    collect (signal: AbortSignal): RunSource {
      const stream = hr.stream(signal)
      return { persons: stream.persons, complete: () => stream.complete() }
    },
    lifecycle (person: JsonObject): LifecycleDecision {
      const l = hr.lifecycle(person)
      return { include: l.include, active: l.active }
    }
  }
}

/** Problems of an `hr.<tenant>` section's collector settings (auth, general), with full paths. */
export function hrConfigProblems (at: string, section: unknown, configDir?: string): ConfigProblem[] {
  try {
    const cfg = parseHrConfig(section)
    const saml = cfg.auth.oauth_saml_assertion
    // Key files are checked at start (and on reload), not at the first token request.
    if (saml !== undefined && configDir !== undefined) return checkSamlFiles(saml, join(configDir, 'certs')).map(p => ({ path: `${at}.${p.path}`, message: p.message }))
    return []
  } catch (err) {
    if (!(err instanceof HrConfigError)) throw err
    return err.problems.map(p => ({ path: p.path === '' ? at : `${at}.${p.path}`, message: p.message }))
  }
}

/** Problems of an `entra.<tenant>` section's collector settings (auth, general), with full paths. */
export function entraConfigProblems (at: string, section: unknown): ConfigProblem[] {
  if (!hasAuth(section)) return [] // not collected (see defaultSources)
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
