// The HR source as the service registers it (sources/registry.ts): `hr.<tenant>` → the generic
// REST HR collector, streamed page by page, with its Joiner-Mover-Leaver lifecycle; its config
// problems include the SAML key files, checked at start (and on reload), not at the first token request.
import { join } from 'node:path'
import type { ConfigProblem } from '../../../config/index.ts'
import type { JsonObject } from '../../../scim/types.ts'
import type { CollectorHandle, LifecycleDecision, RunSource, SourceDefinition } from '../types.ts'
import { createHrCollector } from './collector.ts'
import { HrConfigError, parseHrConfig } from './config.ts'
import { checkSamlFiles } from './saml-token.ts'

/** `hr.<tenant>`. */
export const hrSource: SourceDefinition = {
  type: 'hr',
  subjectPrefix: 'HR',
  configProblems: hrConfigProblems,
  create (tenant, section, log, ctx): CollectorHandle {
    const hr = createHrCollector(section, { log, tenant, ...(ctx?.configDir !== undefined ? { certDir: join(ctx.configDir, 'certs') } : {}) })
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
}

/** Problems of an `hr.<tenant>` section's collector settings (auth, general), with full paths. */
export function hrConfigProblems (at: string, section: unknown, configDir?: string): ConfigProblem[] {
  try {
    const cfg = parseHrConfig(section)
    const saml = cfg.auth.oauth_saml_assertion
    if (saml !== undefined && configDir !== undefined) return checkSamlFiles(saml, join(configDir, 'certs')).map(p => ({ path: `${at}.${p.path}`, message: p.message }))
    return []
  } catch (err) {
    if (!(err instanceof HrConfigError)) throw err
    return err.problems.map(p => ({ path: p.path === '' ? at : `${at}.${p.path}`, message: p.message }))
  }
}
