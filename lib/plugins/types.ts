// The plugin contract: what the gateway core calls on a plugin. A plugin is a plain object made by a
// factory; it imports only this file, lib/scim and lib/helpers — never lib/core.
// Method names follow scimgateway's so plugin authors feel at home; arguments are typed.
import type { FilterNode, SimpleFilter } from '../scim/filter/ast.ts'
import type { JsonObject, JsonValue, PatchOperation, ScimResource } from '../scim/types.ts'
import type { Logger } from '../logging/types.ts'
import type { SchemaDef } from '../scim/types.ts'

export type { Logger } from '../logging/types.ts'
export type { ScimResource, JsonObject, JsonValue } from '../scim/types.ts'
export type { FilterNode, SimpleFilter } from '../scim/filter/ast.ts'
export type { SchemaDef, AttributeDef } from '../scim/types.ts'

/** Per-call context. */
export interface PluginContext {
  /** The baseEntity (tenant) of the request; `undefined` when the request had none. */
  baseEntity: string | undefined
  /** Child logger with request id, plugin and baseEntity attached. */
  log: Logger
  /** Aborted when the client goes away or the request times out. */
  signal: AbortSignal
  /**
   * Set by the gateway for an HTTP request whose `signal` is its own: aborts it. The plugin guard's
   * timeout uses it; plugins need not.
   */
  abortRequest?: (reason: unknown) => void
  /** The caller's Authorization header, only when auth.passThrough is on and the plugin declares `passThrough`. */
  passThrough?: { authorization: string }
  requestId: string
}

// PatchOperation is a protocol type: it lives in lib/scim (re-exported here for plugins)
export type { PatchOperation } from '../scim/types.ts'

/** What a plugin's get* method is asked. */
export interface GetQuery {
  /** The whole filter as a syntax tree; undefined = all. */
  filter?: FilterNode
  /**
   * The single comparison the plugin should apply, when the gateway could reduce the filter to one
   * (`id eq "x"`, `userName eq "bjensen"`, `members.value eq "x"`). `eq` on id, userName, externalId
   * (users) and id, displayName, members.value (groups) must be applied exactly (the contract suite
   * checks it; GET by id and Entra's existence check rely on it). For other comparisons a plugin may
   * return a superset: the gateway re-checks the full filter on what the plugin returns.
   */
  simple?: SimpleFilter
  /** The filter text as the client sent it. */
  rawFilter?: string
  /** Requested attributes (empty = default set). Plugins may return more. */
  attributes: string[]
  excludedAttributes: string[]
  /** 1-based start index and page size the client asked for. */
  startIndex: number
  count?: number
  sortBy?: string
  sortOrder?: 'ascending' | 'descending'
}

/** What a plugin's get* method returns. */
export interface GetResult<T extends JsonObject = ScimResource> {
  Resources: T[]
  /**
   * Set when the plugin applied the whole filter, sorting and paging itself (large back-ends);
   * `totalResults` must then be the full count. Otherwise the gateway filters, sorts and pages `Resources`.
   */
  exact?: { totalResults: number }
}

/** A modification the gateway hands to modifyUser/modifyGroup after applying PATCH/PUT semantics. */
export interface Modification {
  /**
   * The resource as it is after the change (current state with the changes applied). With
   * `members` set (a member delta) only `{ id }`: the gateway did not read the group.
   */
  resource: ScimResource
  /**
   * The minimal list of changes from the current state to `resource`. With `members` set: the
   * delta as `add members [..]` / `remove members [{value}..]` (adding a member that is already
   * there or removing one that is not are no-ops).
   */
  operations: PatchOperation[]
  /**
   * Only for modifyGroup of a plugin declaring `capabilities.groupMemberDelta`: a PATCH that only
   * adds and removes members arrives as this delta, without the gateway reading or rewriting the
   * whole group (O(delta) instead of O(group size)). `add` elements have a non-empty string
   * `value` (plus `display`, when given); `remove` lists member values. Values compare
   * case-insensitively, like SCIM's `members.value`. Applied as one atomic change.
   */
  members?: MemberDelta
  /**
   * Only with `scim.skipTypeConvert: false`: the changed attributes in scimgateway's type-converted
   * form (multi-valued attributes keyed by type, removed elements marked `operation: "delete"`), for
   * plugins ported from scimgateway.
   */
  typeConverted?: JsonObject
}

/** Members added to and removed from a group (see {@link Modification.members}). */
export interface MemberDelta {
  add: JsonObject[]
  remove: string[]
}

/** Arguments of the API-gateway routes (`/api`, `/pub/api`). */
export interface ApiRequest {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'
  /** Path below `/api/` (or `/pub/api/`), e.g. `orders/42`. */
  path: string
  query: Record<string, string>
  body: JsonValue | undefined
}

export interface PluginCapabilities {
  /** 'simple': the plugin only understands `GetQuery.simple` (default); 'full': it applies `filter` itself. */
  filter?: 'simple' | 'full'
  /** The plugin wants the caller's Authorization header (auth.passThrough). */
  passThrough?: boolean
  /** modifyGroup understands member deltas ({@link Modification.members}). */
  groupMemberDelta?: boolean
}

/**
 * Backend state of one baseEntity as the plugin sees it (lib/plugins/sdk/entities.ts fills it).
 * 'up': the connection/pool/client is open and its last check passed; 'down': opening or the last
 * check failed (`detail` says why); 'idle': configured but not opened yet (lazy entities).
 */
export interface EntityHealth {
  state: 'up' | 'down' | 'idle'
  detail?: string
  /** ISO time of the last open or check. */
  checkedAt?: string
}

/** What {@link ScimPlugin.health} reports: one entry per baseEntity (key `undefined` = no baseEntity). */
export interface PluginHealth {
  entities: Record<string, EntityHealth>
}

/**
 * A SCIM gateway plugin. Every method is optional; one that is missing answers 501.
 * @example
 * export function createMyPlugin (opts: MyOptions): ScimPlugin {
 *   return {
 *     name: 'my',
 *     async getUsers (query, ctx) { return { Resources: await fetchUsers(query.simple) } },
 *     async createUser (user, ctx) { return await insert(user) }
 *   }
 * }
 */
export interface ScimPlugin {
  readonly name: string
  readonly capabilities?: PluginCapabilities
  /** Called once before the gateway serves requests (open connections, load stores). */
  start? (log: Logger): Promise<void>
  /** Called on shutdown (flush, close). */
  stop? (): Promise<void>
  /**
   * The backend state of each baseEntity (readiness). Should answer quickly: the gateway bounds it
   * with the plugin timeout. Absent = the plugin has no backend to report on (always ready).
   */
  health? (): Promise<PluginHealth>
  /**
   * The schemas `/Schemas` publishes instead of the core ones (a plugin with an endpointMapper
   * publishes only what it maps). Validation of requests still uses the core schemas.
   */
  schemas? (): readonly SchemaDef[]

  getUsers? (query: GetQuery, ctx: PluginContext): Promise<GetResult>
  /** Returns the created user; at least `id` must be set. */
  createUser? (user: ScimResource, ctx: PluginContext): Promise<ScimResource>
  /** Returns the modified user, or nothing (the gateway then reads it back). */
  modifyUser? (id: string, mod: Modification, ctx: PluginContext): Promise<ScimResource | undefined>
  deleteUser? (id: string, ctx: PluginContext): Promise<void>

  getGroups? (query: GetQuery, ctx: PluginContext): Promise<GetResult>
  createGroup? (group: ScimResource, ctx: PluginContext): Promise<ScimResource>
  modifyGroup? (id: string, mod: Modification, ctx: PluginContext): Promise<ScimResource | undefined>
  deleteGroup? (id: string, ctx: PluginContext): Promise<void>

  getRoles? (query: GetQuery, ctx: PluginContext): Promise<GetResult>
  getEntitlements? (query: GetQuery, ctx: PluginContext): Promise<GetResult>

  getApi? (req: ApiRequest, ctx: PluginContext): Promise<JsonValue>
  postApi? (req: ApiRequest, ctx: PluginContext): Promise<JsonValue>
  putApi? (req: ApiRequest, ctx: PluginContext): Promise<JsonValue>
  patchApi? (req: ApiRequest, ctx: PluginContext): Promise<JsonValue>
  deleteApi? (req: ApiRequest, ctx: PluginContext): Promise<JsonValue>
  /** Unauthenticated `/pub/api` route. */
  publicApi? (req: ApiRequest, ctx: PluginContext): Promise<JsonValue>
}
