// A tenant's mapper as the service uses it: the section normalized to our entry shape (documented
// shapes translated), for Entra merged with the built-in default mapper, then compiled. Done once at
// load (and on hot reload) so every user of the config (runtime, rules-test CLI) sees the same list.
import { ConfigError, type ConfigProblem } from '../config/errors.ts'
import type { JsonValue } from '../scim/types.ts'
import { compileMapper, type CompiledMapper, type CompileMapperOptions } from './mapper/index.ts'
import { ENTRA_DEFAULT_MAPPER, mergeEntraDefaults } from './mapper/entra-default.ts'
import { normalizeMapper, translationNote, type NormalizedEntry } from './mapper/entries.ts'

/** A mapper section after {@link prepareTenantMapper}. */
export interface PreparedMapper {
  user: NormalizedEntry[]
  rules: JsonValue[]
  /** Marks a section that is already normalized (and merged). */
  normalized: true
}

/** The prepared section, its problems, and the lines to log at start/reload. */
export interface PreparedTenantMapper {
  mapper: PreparedMapper
  problems: ConfigProblem[]
  notes: string[]
  warnings: string[]
}

/**
 * Normalizes (and for Entra merges with the defaults) the `mapper` section found at `at`
 * (`hr.sf.mapper`). Idempotent: a prepared section is returned as it is.
 */
export function prepareTenantMapper (type: 'entra' | 'hr', raw: unknown, at: string): PreparedTenantMapper {
  if (isPrepared(raw)) return { mapper: raw, problems: [], notes: [], warnings: [] }
  const m = normalizeMapper(raw, at)
  const notes: string[] = []
  const warnings: string[] = []
  const note = translationNote(at, m)
  if (note !== undefined) notes.push(note)
  let user = m.user
  if (type === 'entra') {
    const merged = mergeEntraDefaults(m.user)
    user = merged.user
    warnings.push(...merged.warnings)
    notes.push(`${at}: built-in Entra mapper (${ENTRA_DEFAULT_MAPPER.length} entries) merged with ${m.user.length} tenant entr${m.user.length === 1 ? 'y' : 'ies'}: ${merged.replaced} replace a default, ${merged.warnings.length} ignored (fixed), ${merged.user.length} in all`)
  }
  const rules = raw !== null && typeof raw === 'object' && !Array.isArray(raw) && Array.isArray((raw as { rules?: unknown }).rules) ? (raw as { rules: JsonValue[] }).rules : []
  return { mapper: { user, rules, normalized: true }, problems: m.problems, notes, warnings }
}

/**
 * Compiles a tenant's mapper (prepared or raw).
 * @throws ConfigError with every problem
 */
export function compileTenantMapper (type: 'entra' | 'hr', raw: unknown, at: string, opts: CompileMapperOptions = {}): CompiledMapper {
  const p = prepareTenantMapper(type, raw, at)
  if (p.problems.length > 0) throw new ConfigError(undefined, p.problems)
  return compileMapper(p.mapper.user, { configPath: `${at}.user`, ...opts })
}

function isPrepared (raw: unknown): raw is PreparedMapper {
  return raw !== null && typeof raw === 'object' && (raw as { normalized?: unknown }).normalized === true && Array.isArray((raw as { user?: unknown }).user)
}
