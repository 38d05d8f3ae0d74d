// How a plugin declares its config: the `endpoint` section of config/plugin-<name>.json is described
// with the same schema toolkit as the rest of the config (lib/config/schema.ts), so a bad or unknown
// endpoint key is reported in the one ConfigError together with the `scimgateway` problems, each with
// its path (`endpoint.entity.undefined.connection.baseUrls[0]: …`). A plugin made this way is started
// with `runGateway(definition)` (lib/launcher/run.ts).
import * as s from '../../config/schema.ts'
import { formatPath } from '../../config/path.ts'
import type { Logger, ScimPlugin } from '../types.ts'

export { s }

/** The key of `endpoint.entity` that stands for "no baseEntity" (scimgateway's convention). */
export const NO_BASE_ENTITY = 'undefined'

/** The `endpoint.entity` key a request's baseEntity selects (`undefined` → "undefined"). */
export function entityKey (baseEntity: string | undefined): string {
  return baseEntity ?? NO_BASE_ENTITY
}

/** What a plugin factory gets besides its validated endpoint config. */
export interface PluginEnv {
  /** Directory of the config file (certs/ lives below it; relative file names resolve against it). */
  configDir: string
  log: Logger
  /**
   * Sends a mail with the gateway's `email` settings (scimgateway's `scimgateway.sendMail()`);
   * rejects when no mail is configured or the server refuses the message.
   */
  sendMail?: (msg: { to: string[], cc?: string[], subject: string, text: string, html?: string }) => Promise<void>
}

/**
 * A plugin as `runGateway` starts it from a config file.
 * @example
 * export const myPlugin = definePlugin({
 *   name: 'my',
 *   endpoint: endpointSchema({ entity: { connection: s.object({ baseUrls: s.array(s.string()) }) } }),
 *   create: (endpoint, env) => createMyPlugin(endpoint, env)
 * })
 * // index.ts: await runGateway(myPlugin)
 */
export interface PluginDefinition<E> {
  /** The plugin's name: its config file is config/plugin-<name>.json. */
  name: string
  /** Schema of the `endpoint` section (unknown keys are errors unless the schema keeps them). */
  endpoint: s.Schema<E, s.Presence>
  /** Makes the plugin from the validated, defaulted, frozen endpoint config. Nothing may start here. */
  create: (endpoint: E, env: PluginEnv) => ScimPlugin
}

/** Identity function that gives `create` the inferred endpoint type. */
export function definePlugin<E> (def: PluginDefinition<E>): PluginDefinition<E> {
  return def
}

type Shape = Record<string, s.Schema<unknown, s.Presence>>

/** A baseEntity key: non-empty, no '/', no surrounding spaces (it becomes a URL path segment). */
function checkEntityKeys (entity: Record<string, unknown>, report: (m: string, p?: Array<string | number>) => void): void {
  for (const name of Object.keys(entity)) {
    if (name.trim() === '' || name !== name.trim() || name.includes('/')) report(`${JSON.stringify(name)} is not a valid baseEntity (no "/", no surrounding spaces)`, [name])
  }
}

/**
 * `endpoint.entity`: an object keyed by baseEntity (the key `undefined` = requests without one), each
 * value checked by `entry`. A null entry (scimgateway's configs write them) counts as `{}`; keys that
 * cannot be a URL path segment are reported.
 */
export function entityMap<T> (entry: s.Schema<T, s.Presence>): s.Schema<Record<string, T>> {
  const entries = s.record(entry)
  return new s.Schema<Record<string, T>>('object', entries.expected, (v, path, ctx) => {
    let value = v
    if (typeof v === 'object' && v !== null && !Array.isArray(v)) {
      // checked here, not in a refine, so a bad key is reported together with bad entries
      checkEntityKeys(v as Record<string, unknown>, (message, sub = []) => { ctx.issues.push({ path: formatPath([...path, ...sub]), message }) })
      value = Object.fromEntries(Object.entries(v).map(([k, e]) => [k, e === null ? {} : e as unknown]))
    }
    const r = entries.run(value, path, ctx)
    return r === undefined ? {} : r
  }, 'required')
}

/**
 * The usual `endpoint` shape: plugin-wide keys (`top`) plus `entity.<baseEntity>` objects (`entity`),
 * the key `undefined` standing for requests without a baseEntity. Both reject unknown keys.
 * `requireEntity: true` makes at least one entity mandatory (remote plugins need a connection).
 * @example
 * endpointSchema({
 *   top: { map: mapSchema.optional() },
 *   entity: { connection: connectionSchema, timeout: s.integer({ min: 1 }).optional() },
 *   requireEntity: true
 * })
 * // accepts { map: …, entity: { undefined: { connection: … }, clientA: { connection: … } } }
 */
export function endpointSchema<T extends Shape = Record<never, never>, E extends Shape = Record<never, never>> (def: { top?: T, entity: E, requireEntity?: boolean }): s.Schema<EndpointOf<T, E>> {
  const entity = entityMap(s.object(def.entity)).default({})
    .refine((v, report) => {
      if (def.requireEntity === true && Object.keys(v).length === 0) report(`at least one baseEntity is required (use the key "${NO_BASE_ENTITY}" for requests without one)`)
    })
  return s.object({ ...(def.top ?? {}), entity }) as unknown as s.Schema<EndpointOf<T, E>>
}

/** The validated `endpoint` of {@link endpointSchema}: the top keys plus `entity` keyed by baseEntity. */
export type EndpointOf<T extends Shape, E extends Shape> = s.ObjectOut<T> & { entity: Record<string, s.ObjectOut<E>> }

/**
 * The entity config a request selects: `entity[baseEntity ?? 'undefined']`, or undefined when the
 * config has no such key (the caller answers 404).
 */
export function entityConfig<C> (entities: Readonly<Record<string, C>>, baseEntity: string | undefined): C | undefined {
  const key = entityKey(baseEntity)
  return Object.hasOwn(entities, key) ? entities[key] : undefined
}
