// The collectors the service uses unless told otherwise: `hr.<tenant>` → the generic REST HR
// collector (lib/collector/sources/hr), streamed page by page, with its Joiner-Mover-Leaver
// lifecycle. `entra.<tenant>` has no collector in this package yet: such a tenant is configured and
// gets its NATS account and stream (so subscribers can be set up), but is not scheduled (warned once).
import type { JsonObject } from '../scim/types.ts'
import { createHrCollector, parseHrConfig, HrConfigError } from './sources/hr/index.ts'
import type { ConfigProblem } from '../config/index.ts'
import type { RunSource, LifecycleDecision } from './pipeline.ts'
import type { SourceFactory, CollectorHandle } from './tenant-runtime.ts'

/** Collectors by tenant type. */
export const defaultSources: SourceFactory = (tenant, type, cfg, log): CollectorHandle => {
  if (type === 'entra') {
    const why = `entra.${tenant}: no Entra ID collector in this build; the tenant's account and stream exist but nothing is collected`
    return {
      unavailable: why,
      collect: () => ({ persons: failing(new Error(why)), complete: () => false })
    }
  }
  const hr = createHrCollector(cfg, { log, tenant })
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
export function hrConfigProblems (at: string, section: unknown): ConfigProblem[] {
  try {
    parseHrConfig(section)
    return []
  } catch (err) {
    if (!(err instanceof HrConfigError)) throw err
    return err.problems.map(p => ({ path: p.path === '' ? at : `${at}.${p.path}`, message: p.message }))
  }
}

async function * failing (err: Error): AsyncGenerator<JsonObject> {
  yield * []
  throw err
}
