// plugin-loki: the default embedded store of the gateway. Users and groups live in memory (Maps with
// indexes on id, userName, externalId, displayName, emails.value, members.value) and, when
// persistent, in an append-only journal file (see loki/journal.ts).
// The name is kept from scimgateway; LokiJS itself is not used: it is unmaintained, persists by
// rewriting the whole database on an autosave interval (writes acknowledged in between are lost on
// a crash), adds its own `meta`/`$loki` to documents, and has no case-insensitive unique index.
// A scimgateway LokiJS loki.db is imported once on start (loki/lokijs-import.ts).
import { InvalidValueError, ScimError } from '../scim/errors.ts'
import { isJsonObject } from '../scim/types.ts'
import type { GetQuery, GetResult, Logger, Modification, PluginContext, ScimPlugin, ScimResource } from './types.ts'
import type { Collection } from './loki/collection.ts'
import { Database } from './loki/database.ts'
import type { StoredResource } from './loki/json.ts'
import { checkLokiOptions, type LokiOptions } from './loki/options.ts'
import { lokiEndpointSchema, lokiOptionsFromConfig } from './loki/endpoint.ts'
import { definePlugin } from './sdk/config.ts'

export { LokiOptionsError, type LokiOptions } from './loki/options.ts'
export { lokiEndpointSchema, lokiOptionsFromConfig, lokiOptionsFromEndpoint, type LokiEndpoint } from './loki/endpoint.ts'

const DEFAULT_COMPACT_THRESHOLD = 10_000

/**
 * Creates the embedded-store plugin. Nothing happens until `start()`, which loads (or creates and
 * seeds) the store; `stop()` flushes and closes it.
 *
 * What the methods return: a fresh top-level object with a fresh `meta` per resource; everything
 * nested (name, emails, members, extension objects, …) is frozen and shared with the store — change
 * a copy, never the returned nested values. Users carry a derived `groups` attribute
 * (`{ value, display, type: 'direct' }`) built from the groups' `members`; it is ignored on write.
 * Membership is changed through the groups; a member delta (`Modification.members`) costs
 * O(delta), not O(group size).
 *
 * `getUsers`/`getGroups` push an `eq` in `query.simple` on id, userName, externalId, displayName,
 * emails.value (users), groups.value (users), members.value (groups) down to an index (superset:
 * case-insensitive); otherwise they return every resource, except that a plain list (no filter, no
 * sortBy, a count) is paged here and marked `exact`.
 *
 * @example
 * import { createLokiPlugin, lokiOptionsFromEndpoint } from './lib/plugins/plugin-loki.ts'
 * const plugin = createLokiPlugin({ persistence: { file: '/var/lib/scim/loki.db' }, demoData: false })
 * // or from a config file's endpoint section:
 * const plugin2 = createLokiPlugin(lokiOptionsFromEndpoint(config.endpoint, configDir))
 */
export function createLokiPlugin (options: LokiOptions): ScimPlugin {
  checkLokiOptions(options)
  const p = options.persistence
  const dbOptions = {
    persistence: p === 'memory' ? 'memory' as const : { file: p.file, fsync: p.fsync ?? true, compactThreshold: p.compactThreshold ?? DEFAULT_COMPACT_THRESHOLD },
    demoData: options.demoData ?? true,
    entities: options.entities === undefined ? undefined : [...options.entities],
    uniqueGroupDisplayName: options.uniqueGroupDisplayName ?? true
  }
  let db: Database | undefined
  let starting: Promise<void> | undefined

  const started = (): Database => {
    if (db === undefined) throw new ScimError(503, undefined, 'plugin-loki is not started')
    return db
  }
  const resourceOf = (mod: Modification): ScimResource => {
    if (!isJsonObject(mod) || !isJsonObject(mod.resource)) throw new InvalidValueError('modification without a resource')
    return mod.resource
  }

  return {
    name: 'loki',
    capabilities: { filter: 'simple', groupMemberDelta: true },

    async start (log: Logger): Promise<void> {
      if (db !== undefined) return
      starting ??= Database.open(dbOptions, log.child({ plugin: 'loki' })).then(d => { db = d }).finally(() => { starting = undefined })
      await starting
    },

    async stop (): Promise<void> {
      const d = db
      db = undefined
      await d?.close()
    },

    async getUsers (query: GetQuery, ctx: PluginContext): Promise<GetResult> {
      const store = await started().entity(ctx.baseEntity)
      const found = store.findUsers(query.simple)
      if (found !== undefined) return { Resources: found.map(u => store.userView(u)) }
      return list(store.users, query, u => store.userView(u))
    },

    async createUser (user: ScimResource, ctx: PluginContext): Promise<ScimResource> {
      return await started().write(ctx.baseEntity, s => s.createUser(user))
    },

    async modifyUser (id: string, mod: Modification, ctx: PluginContext): Promise<ScimResource> {
      return await started().write(ctx.baseEntity, s => s.replaceUser(id, resourceOf(mod)))
    },

    async deleteUser (id: string, ctx: PluginContext): Promise<void> {
      await started().write(ctx.baseEntity, s => s.deleteUser(id))
    },

    async getGroups (query: GetQuery, ctx: PluginContext): Promise<GetResult> {
      const store = await started().entity(ctx.baseEntity)
      const found = store.findGroups(query.simple)
      if (found !== undefined) return { Resources: found.map(g => store.groupView(g)) }
      return list(store.groups, query, g => store.groupView(g))
    },

    async createGroup (group: ScimResource, ctx: PluginContext): Promise<ScimResource> {
      return await started().write(ctx.baseEntity, s => s.createGroup(group))
    },

    async modifyGroup (id: string, mod: Modification, ctx: PluginContext): Promise<ScimResource> {
      const delta = isJsonObject(mod) ? mod.members : undefined
      if (delta !== undefined) return await started().write(ctx.baseEntity, s => s.patchGroupMembers(id, delta))
      return await started().write(ctx.baseEntity, s => s.replaceGroup(id, resourceOf(mod)))
    },

    async deleteGroup (id: string, ctx: PluginContext): Promise<void> {
      await started().write(ctx.baseEntity, s => s.deleteGroup(id))
    }
  }
}

/**
 * plugin-loki as `runGateway` starts it: config/plugin-loki.json's `endpoint` is validated with the
 * rest of the file (lib/plugins/loki/endpoint.ts), every problem in one report.
 * @example await runGateway(lokiPlugin)
 */
export const lokiPlugin = definePlugin({
  name: 'loki',
  endpoint: lokiEndpointSchema,
  create: (endpoint, { configDir }) => createLokiPlugin(lokiOptionsFromConfig(endpoint, configDir))
})

/**
 * All resources of a collection, or — for a plain list (no filter, no sortBy, a count) — just the
 * requested page with the exact total, so listing 100 of 10,000 users copies 100 objects.
 */
function list (coll: Collection, query: GetQuery, toView: (r: StoredResource) => ScimResource): GetResult {
  if (query.filter !== undefined || query.rawFilter !== undefined || query.sortBy !== undefined || query.count === undefined) {
    const all: ScimResource[] = []
    for (const r of coll.values()) all.push(toView(r))
    return { Resources: all }
  }
  const skip = Math.max(1, Math.floor(query.startIndex)) - 1
  const count = Math.max(0, Math.floor(query.count))
  const page: ScimResource[] = []
  let i = 0
  for (const r of coll.values()) {
    if (page.length >= count) break
    if (i++ < skip) continue
    page.push(toView(r))
  }
  return { Resources: page, exact: { totalResults: coll.size } }
}
