// What a source (a collector type: `entra`, `hr`) is to the service: the handle a tenant runtime
// drives, what one collection yields, and the definition each source registers in
// sources/registry.ts. Types only, importing nothing of the collector: config, pipeline, message and
// the runtime all name these without pulling a source in (no import cycles through the sources).
import type { ConfigProblem } from '../../config/index.ts'
import type { Logger } from '../../logging/types.ts'
import type { JsonObject } from '../../scim/types.ts'
import type { SubjectPrefix } from '../../stream/contract/index.ts'

/** Collector type of a tenant section (`entra.<tenant>`, `hr.<tenant>`). */
export type CollectorType = 'hr' | 'entra'

/** What the lifecycle (Joiner-Mover-Leaver) decides for a person. */
export interface LifecycleDecision {
  /** false: not (yet) provisioned — a future joiner outside pre-activation. */
  include: boolean
  /** Forces `user.active` (leavers: false). */
  active?: boolean
}

/** The source of a run: persons, and whether the collection turned out complete. */
export interface RunSource {
  persons: AsyncIterable<JsonObject>
  /** Asked after the iteration: true when every page arrived (deletions are safe). */
  complete: () => boolean
}

/** A collector of one tenant: each call starts one collection (stopped early through `signal`). */
export interface CollectorHandle {
  collect: (signal: AbortSignal) => RunSource
  /** Set when this tenant type has no collector: the tenant is not scheduled (warned once). */
  unavailable?: string
  /** Joiner-Mover-Leaver decision per collected person (HR). */
  lifecycle?: (person: JsonObject) => LifecycleDecision
}

/** Where a collector may keep its own state (e.g. the Entra delta link), next to the published state. */
export interface SourceContext {
  /** The service's state directory (`state.dir`). */
  stateDir?: string
  /** The config file's directory (key and certificate files of the collectors are under `<dir>/certs`). */
  configDir?: string
}

/** The part of a tenant section a collector reads (the validated `TenantConfig` is one). */
export interface SourceSection {
  readonly auth?: unknown
  readonly general?: unknown
}

/** Makes the collector of a tenant from its config (the service's default: sources/registry.ts). */
export type SourceFactory = (tenant: string, type: CollectorType, cfg: SourceSection, log: Logger, ctx?: SourceContext) => CollectorHandle

/**
 * One source, as it registers itself in sources/registry.ts.
 * @example
 * export const hrSource: SourceDefinition = { type: 'hr', subjectPrefix: 'HR', configProblems: …, create: … }
 */
export interface SourceDefinition {
  /** The config section (`<type>.<tenant>`) and the tenant type. */
  readonly type: CollectorType
  /** Subjects of the tenant's messages: `<prefix>.<channel>`. */
  readonly subjectPrefix: SubjectPrefix
  /** Problems of a tenant section's collector settings (auth, general), with full paths under `at`. */
  readonly configProblems: (at: string, section: unknown, configDir?: string) => ConfigProblem[]
  /** The collector of a tenant (its section already passed {@link SourceDefinition.configProblems}). */
  readonly create: (tenant: string, section: SourceSection, log: Logger, ctx?: SourceContext) => CollectorHandle
}
