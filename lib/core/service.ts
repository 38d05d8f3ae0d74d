// The SCIM service: every SCIM operation independent of HTTP. HTTP routes, bulk and the stream
// subscriber all call this one implementation. It owns SCIM semantics on top of the plugin:
// filtering/sorting/paging what a plugin returns, PATCH and PUT (incl. soft sync) turned into a clean
// Modification, ETag preconditions, meta decoration.
import type { GetQuery, MemberDelta, Modification, PatchOperation, PluginContext, ScimPlugin } from '../plugins/types.ts'
import { isJsonObject, type JsonObject, type ScimResource } from '../scim/types.ts'
import type { FilterNode } from '../scim/filter/ast.ts'
import type { ResourceSchema } from '../scim/schema/resolve.ts'
import { coreResourceSchema } from '../scim/schema/resolve.ts'
import { NotFoundError, NotImplementedError, PreconditionFailedError, ScimError } from '../scim/errors.ts'
import { compileFilter, parseFilter } from '../scim/filter/index.ts'
import { applyPatch, diffResources } from '../scim/patch/index.ts'
import { validateResource } from '../scim/schema/validate.ts'
import { sortResources } from '../scim/listing.ts'
import { computeEtag, evaluatePreconditions } from '../scim/etag.ts'
import { SCHEMA_GROUP, SCHEMA_USER } from '../scim/schema/definitions.ts'
import type { RequestContext, ResourceKind } from './context.ts'
import { fetchWithPlan } from './filter-plan.ts'
import { softSyncMerge } from './soft-sync.ts'
import { applyMembershipToUsers, memberDelta, membersFromUsers } from './member-of-user.ts'
import { deltaOperations, memberDeltaOf } from './member-delta.ts'
import { TYPE_CONVERTED_ATTRIBUTES, fromTypeConverted, operationsToTypeConverted } from '../scim/convert/typeconvert.ts'

export interface ServiceOptions {
  plugin: ScimPlugin
  usePutSoftSync: boolean
  skipMetaLocation: boolean
  /** Page size when the client gives no `count`. */
  defaultCount: number
  /** Upper bound for `count`. */
  maxResults: number
  /** Group membership lives on users (`scim.groupMemberOfUser`). */
  groupMemberOfUser?: boolean
  /** false = scimgateway's type-converted form: Modification.typeConverted is filled and plugin results may use it. */
  skipTypeConvert?: boolean
}

export interface ListQuery {
  filter?: FilterNode
  rawFilter?: string
  sortBy?: string
  sortOrder?: 'ascending' | 'descending'
  startIndex: number
  count?: number
  attributes: string[]
  excludedAttributes: string[]
  /**
   * Resources as the plugin returned them (normalized), without schemas/meta/ETag: for internal
   * callers that only read (the stream subscriber's lookups), where decorating costs an ETag over
   * the whole resource per call.
   */
  raw?: boolean
}

export interface ListResult {
  Resources: ScimResource[]
  totalResults: number
  startIndex: number
}

export interface Preconditions {
  ifMatch?: string
  ifNoneMatch?: string
}

export interface PatchOptions {
  /**
   * false: the caller does not use the result (the stream subscriber), so the resource is neither
   * read back nor decorated and patch() resolves with `undefined`.
   */
  returnResource?: boolean
  /**
   * The resource as the caller has just read it (fetchRaw/list `raw`, undecorated): the operations
   * apply to it instead of a second read. For callers that read and patch under their own per-resource
   * ordering (the stream subscriber's per-user queue); ignored for preconditions and for Groups
   * with groupMemberOfUser (whose members are not on the group).
   */
  current?: ScimResource
}

interface KindOps {
  schema: ResourceSchema
  resourceType: 'User' | 'Group'
  coreSchema: string
  get: 'getUsers' | 'getGroups'
  create: 'createUser' | 'createGroup'
  modify: 'modifyUser' | 'modifyGroup'
  remove: 'deleteUser' | 'deleteGroup'
}

const KINDS: Record<ResourceKind, KindOps> = {
  Users: { schema: coreResourceSchema('User'), resourceType: 'User', coreSchema: SCHEMA_USER, get: 'getUsers', create: 'createUser', modify: 'modifyUser', remove: 'deleteUser' },
  Groups: { schema: coreResourceSchema('Group'), resourceType: 'Group', coreSchema: SCHEMA_GROUP, get: 'getGroups', create: 'createGroup', modify: 'modifyGroup', remove: 'deleteGroup' }
}

export function schemaOf (kind: ResourceKind): ResourceSchema {
  return KINDS[kind].schema
}

export class ScimService {
  readonly plugin: ScimPlugin
  private readonly opts: ServiceOptions
  private readonly compiled = new Map<string, (r: JsonObject) => boolean>()

  constructor (opts: ServiceOptions) {
    this.opts = opts
    this.plugin = opts.plugin
  }

  /** List/search: the plugin returns candidates, the service filters, sorts and pages them. */
  async list (kind: ResourceKind, q: ListQuery, rc: RequestContext): Promise<ListResult> {
    const k = KINDS[kind]
    const get = this.plugin[k.get]?.bind(this.plugin)
    if (get === undefined) throw new NotImplementedError(`${k.get} is not implemented by plugin ${this.plugin.name}`)
    const count = q.count === undefined ? this.opts.defaultCount : Math.min(Math.max(q.count, 0), this.opts.maxResults)
    const startIndex = Math.max(1, q.startIndex)
    const base: GetQuery = {
      attributes: q.attributes,
      excludedAttributes: q.excludedAttributes,
      startIndex,
      count
    }
    if (q.filter !== undefined) base.filter = q.filter
    if (q.rawFilter !== undefined) base.rawFilter = q.rawFilter
    if (q.sortBy !== undefined) base.sortBy = q.sortBy
    if (q.sortOrder !== undefined) base.sortOrder = q.sortOrder
    const pctx = this.pluginContext(rc)
    const fetched = await fetchWithPlan(get, base, this.plugin.capabilities?.filter ?? 'simple', pctx)
    if (this.opts.skipTypeConvert === false) fetched.resources = fetched.resources.map(r => this.normalize(r))
    if (fetched.exact !== undefined) {
      const page = await this.withMembers(kind, fetched.resources, rc)
      return { Resources: q.raw === true ? page : page.map(r => this.decorate(kind, r, rc)), totalResults: fetched.exact.totalResults, startIndex }
    }
    let all = fetched.resources
    if (q.filter !== undefined) {
      const match = this.matcher(kind, q.rawFilter, q.filter)
      all = all.filter(match)
    }
    if (q.sortBy !== undefined && q.sortBy !== '') all = sortResources(all, q.sortBy, q.sortOrder ?? 'ascending', k.schema)
    const page = await this.withMembers(kind, all.slice(startIndex - 1, startIndex - 1 + count), rc)
    return { Resources: q.raw === true ? page : page.map(r => this.decorate(kind, r, rc)), totalResults: all.length, startIndex }
  }

  /** One resource by id (404 when the plugin does not return it). */
  async get (kind: ResourceKind, id: string, rc: RequestContext): Promise<ScimResource> {
    const [r] = await this.withMembers(kind, [await this.fetchRaw(kind, id, rc)], rc)
    return this.decorate(kind, r ?? {}, rc)
  }

  async create (kind: ResourceKind, input: unknown, rc: RequestContext): Promise<ScimResource> {
    const k = KINDS[kind]
    const create = this.plugin[k.create]?.bind(this.plugin)
    if (create === undefined) throw new NotImplementedError(`${k.create} is not implemented by plugin ${this.plugin.name}`)
    const resource = validateResource(input, k.schema, 'create')
    const membersOnUsers = kind === 'Groups' && this.opts.groupMemberOfUser === true
    const toCreate = membersOnUsers ? withoutMembers(resource) : resource
    const created = await create(toCreate, this.pluginContext(rc))
    if (typeof created?.id !== 'string' || created.id === '') throw new ScimError(500, undefined, `plugin ${this.plugin.name} ${k.create} returned no id`)
    if (membersOnUsers) {
      await applyMembershipToUsers(this.plugin, { ...toCreate, id: created.id }, memberDelta({}, resource), this.pluginContext(rc))
      return await this.get(kind, created.id, rc)
    }
    // a plugin that returns only the id: read the full resource back
    const full = Object.keys(created).length <= 2 ? await this.fetchRaw(kind, created.id, rc) : created
    return this.decorate(kind, full, rc)
  }

  /** PUT: replace (or soft-sync when configured). */
  async replace (kind: ResourceKind, id: string, input: unknown, rc: RequestContext, pre: Preconditions = {}): Promise<ScimResource> {
    const k = KINDS[kind]
    const incoming = validateResource(input, k.schema, 'replace')
    const current = await this.fetchCurrent(kind, id, rc)
    this.checkPreconditions('PUT', current, pre)
    const next = this.opts.usePutSoftSync ? softSyncMerge(current, incoming, k.schema) : withServerAttributes(incoming, current, k.schema)
    return await this.modify(kind, id, current, next, rc)
  }

  /**
   * PATCH with already-parsed operations. A Group PATCH that only adds/removes members (and has no
   * precondition, which needs the current version) is a member delta: the group is not read, the
   * plugin gets the delta (capability `groupMemberDelta`) or, with groupMemberOfUser, only the
   * affected users change.
   */
  async patch (kind: ResourceKind, id: string, ops: PatchOperation[], rc: RequestContext, pre?: Preconditions): Promise<ScimResource>
  async patch (kind: ResourceKind, id: string, ops: PatchOperation[], rc: RequestContext, pre: Preconditions, opts: PatchOptions): Promise<ScimResource | undefined>
  async patch (kind: ResourceKind, id: string, ops: PatchOperation[], rc: RequestContext, pre: Preconditions = {}, opts: PatchOptions = {}): Promise<ScimResource | undefined> {
    const k = KINDS[kind]
    const result = opts.returnResource !== false
    if (kind === 'Groups' && pre.ifMatch === undefined && pre.ifNoneMatch === undefined && this.memberDeltaPossible()) {
      const delta = memberDeltaOf(ops)
      if (delta !== undefined) return await this.patchMembers(id, delta, rc, result)
    }
    const given = opts.current !== undefined && opts.current.id === id && pre.ifMatch === undefined && pre.ifNoneMatch === undefined &&
      !(kind === 'Groups' && this.opts.groupMemberOfUser === true)
    const current = given ? this.normalize(opts.current as ScimResource) : await this.fetchCurrent(kind, id, rc)
    this.checkPreconditions('PATCH', current, pre)
    // custom (schema-less) attributes are common with scimgateway plugins: accept them
    const next = applyPatch(current, ops, k.schema, { allowUnknownAttributes: true })
    return await this.modify(kind, id, current, next, rc, result)
  }

  async delete (kind: ResourceKind, id: string, rc: RequestContext, pre: Preconditions = {}): Promise<void> {
    const k = KINDS[kind]
    const remove = this.plugin[k.remove]?.bind(this.plugin)
    if (remove === undefined) throw new NotImplementedError(`${k.remove} is not implemented by plugin ${this.plugin.name}`)
    if (pre.ifMatch !== undefined) this.checkPreconditions('DELETE', await this.fetchRaw(kind, id, rc), pre)
    await remove(id, this.pluginContext(rc))
  }

  /** Strong-enough validator of the current state of a resource (weak ETag of its content). */
  etagOf (resource: ScimResource): string {
    return computeEtag(resource)
  }

  /** Reads a resource from the plugin, undecorated. */
  async fetchRaw (kind: ResourceKind, id: string, rc: RequestContext): Promise<ScimResource> {
    const k = KINDS[kind]
    const get = this.plugin[k.get]?.bind(this.plugin)
    if (get === undefined) throw new NotImplementedError(`${k.get} is not implemented by plugin ${this.plugin.name}`)
    const filter: FilterNode = { type: 'compare', path: { attr: 'id' }, op: 'eq', value: id }
    const res = await get({
      filter,
      simple: { attribute: 'id', operator: 'eq', value: id },
      rawFilter: `id eq ${JSON.stringify(id)}`,
      attributes: [],
      excludedAttributes: [],
      startIndex: 1,
      count: 1
    }, this.pluginContext(rc))
    const found = res.Resources.find(r => r.id === id)
    if (found === undefined) throw new NotFoundError(`${k.resourceType} ${JSON.stringify(id)} not found`)
    return this.normalize(found)
  }

  private async modify (kind: ResourceKind, id: string, current: ScimResource, next: ScimResource, rc: RequestContext): Promise<ScimResource>
  private async modify (kind: ResourceKind, id: string, current: ScimResource, next: ScimResource, rc: RequestContext, result: boolean): Promise<ScimResource | undefined>
  private async modify (kind: ResourceKind, id: string, current: ScimResource, next: ScimResource, rc: RequestContext, result = true): Promise<ScimResource | undefined> {
    if (kind === 'Groups' && this.opts.groupMemberOfUser === true) {
      await applyMembershipToUsers(this.plugin, next, memberDelta(current, next), this.pluginContext(rc))
      await this.modifyPlain(kind, id, withoutMembers(current), withoutMembers(next), rc, false)
      return result ? await this.get(kind, id, rc) : undefined
    }
    return await this.modifyPlain(kind, id, current, next, rc, result)
  }

  private async modifyPlain (kind: ResourceKind, id: string, current: ScimResource, next: ScimResource, rc: RequestContext, result: boolean): Promise<ScimResource | undefined> {
    const k = KINDS[kind]
    const operations = diffResources(current, next, k.schema)
    if (operations.length === 0) return result ? this.decorate(kind, current, rc) : undefined
    const modify = this.plugin[k.modify]?.bind(this.plugin)
    if (modify === undefined) throw new NotImplementedError(`${k.modify} is not implemented by plugin ${this.plugin.name}`)
    const mod: Modification = this.opts.skipTypeConvert === false ? withTypeConverted({ resource: next, operations }, () => operationsToTypeConverted(operations, next, current)) : { resource: next, operations }
    const modified = await modify(id, mod, this.pluginContext(rc))
    if (!result) return undefined
    return this.decorate(kind, modified ?? await this.fetchRaw(kind, id, rc), rc)
  }

  /**
   * Whether member deltas can bypass reading the group: with groupMemberOfUser they become user
   * changes; otherwise the plugin must take them.
   */
  private memberDeltaPossible (): boolean {
    return this.opts.groupMemberOfUser === true || this.plugin.capabilities?.groupMemberDelta === true
  }

  /** A member-only Group PATCH: O(delta) — the group's members are neither read nor rewritten. */
  private async patchMembers (id: string, delta: MemberDelta, rc: RequestContext, result: boolean): Promise<ScimResource | undefined> {
    const ctx = this.pluginContext(rc)
    if (this.opts.groupMemberOfUser === true) {
      const group = await this.fetchRaw('Groups', id, rc) // 404 for an unknown group; members are not read
      const added = delta.add.map(m => String(m.value))
      // the delta removes before it adds; applyMembershipToUsers adds first
      const readded = new Set(added.map(v => v.toLowerCase()))
      const removed = delta.remove.filter(v => !readded.has(v.toLowerCase()))
      await applyMembershipToUsers(this.plugin, group, { added, removed }, ctx)
      return result ? await this.get('Groups', id, rc) : undefined
    }
    const modify = this.plugin.modifyGroup?.bind(this.plugin)
    if (modify === undefined) throw new NotImplementedError(`modifyGroup is not implemented by plugin ${this.plugin.name}`)
    const operations = deltaOperations(delta)
    // type-converted form of a delta: added members, removed ones marked `operation: "delete"` (O(delta))
    const mod: Modification = this.opts.skipTypeConvert === false ? withTypeConverted({ resource: { id }, operations, members: delta }, () => operationsToTypeConverted(operations, { id })) : { resource: { id }, operations, members: delta }
    const modified = await modify(id, mod, ctx)
    if (!result) return undefined
    return this.decorate('Groups', modified ?? await this.fetchRaw('Groups', id, rc), rc)
  }

  /** Plain SCIM from a plugin result (scimgateway plugins may answer in type-converted form). */
  private normalize (r: ScimResource): ScimResource {
    return this.opts.skipTypeConvert === false && isTypeConverted(r) ? fromTypeConverted(r) : r
  }

  /** The current state as clients see it (with groupMemberOfUser: members included). */
  private async fetchCurrent (kind: ResourceKind, id: string, rc: RequestContext): Promise<ScimResource> {
    const [r] = await this.withMembers(kind, [await this.fetchRaw(kind, id, rc)], rc)
    return r ?? await this.fetchRaw(kind, id, rc)
  }

  /** With groupMemberOfUser, a group's members come from the users' `groups`. */
  private async withMembers (kind: ResourceKind, groups: ScimResource[], rc: RequestContext): Promise<ScimResource[]> {
    if (kind !== 'Groups' || this.opts.groupMemberOfUser !== true) return groups
    const ctx = this.pluginContext(rc)
    return await Promise.all(groups.map(async g => typeof g.id === 'string' ? { ...g, members: await membersFromUsers(this.plugin, g.id, ctx) } : g))
  }

  private checkPreconditions (method: string, current: ScimResource, pre: Preconditions): void {
    if (pre.ifMatch === undefined && pre.ifNoneMatch === undefined) return
    const outcome = evaluatePreconditions({ method, ifMatch: pre.ifMatch, ifNoneMatch: pre.ifNoneMatch, etag: computeEtag(current) })
    if (outcome !== 'ok') throw new PreconditionFailedError(`precondition failed: resource version is ${computeEtag(current)}`)
  }

  private matcher (kind: ResourceKind, raw: string | undefined, node: FilterNode): (r: JsonObject) => boolean {
    if (raw === undefined) return compileFilter(node, KINDS[kind].schema)
    const key = `${kind}\u0000${raw}`
    const cached = this.compiled.get(key)
    if (cached !== undefined) return cached
    const m = compileFilter(node, KINDS[kind].schema)
    if (this.compiled.size > 500) this.compiled.clear()
    this.compiled.set(key, m)
    return m
  }

  pluginContext (rc: RequestContext): PluginContext {
    // log and signal read through: both may be made on first use (HTTP requests)
    const ctx: PluginContext = { baseEntity: rc.baseEntity, get log () { return rc.log }, get signal () { return rc.signal }, requestId: rc.requestId }
    if (rc.passThrough !== undefined && this.plugin.capabilities?.passThrough === true) ctx.passThrough = rc.passThrough
    if (rc.abort !== undefined) ctx.abortRequest = rc.abort
    return ctx
  }

  /** A copy of the plugin's resource with schemas and meta (resourceType, location, version) filled in. */
  decorate (kind: ResourceKind, r: ScimResource, rc: RequestContext): ScimResource {
    const k = KINDS[kind]
    const out: ScimResource = { ...r }
    out.schemas = schemasPresent(r, k.coreSchema)
    const meta = { ...(r.meta ?? {}) }
    meta.resourceType = k.resourceType
    meta.version = computeEtag(r)
    if (!this.opts.skipMetaLocation && typeof r.id === 'string') meta.location = `${rc.locationBase}/${kind}/${encodeURIComponent(r.id)}`
    else delete meta.location
    out.meta = meta
    return out
  }
}

/**
 * The modification with `typeConverted` computed on first read (then kept): most plugins never read
 * scimgateway's type-converted form, and building it costs on every write.
 */
function withTypeConverted (mod: Modification, build: () => JsonObject): Modification {
  (mod as LazyModification)[BUILD_TYPE_CONVERTED] = build
  Object.defineProperty(mod, 'typeConverted', { get: lazyTypeConverted, enumerable: true, configurable: true })
  return mod
}
const BUILD_TYPE_CONVERTED = Symbol('typeConverted')
const TYPE_CONVERTED = Symbol('typeConverted built')
type LazyModification = Modification & { [BUILD_TYPE_CONVERTED]?: () => JsonObject, [TYPE_CONVERTED]?: JsonObject }
// a module-level getter, not a closure per write (tsx's keep-names wraps each inline function)
function lazyTypeConverted (this: LazyModification): JsonObject | undefined {
  return (this[TYPE_CONVERTED] ??= this[BUILD_TYPE_CONVERTED]?.())
}

/** A plugin result in type-converted form: some multi-valued attribute is an object keyed by type. */
function isTypeConverted (r: ScimResource): boolean {
  for (const a of TYPE_CONVERTED_ATTRIBUTES) if (isJsonObject(r[a])) return true
  return false
}

function withoutMembers (r: ScimResource): ScimResource {
  const out = { ...r }
  delete out.members
  return out
}

/** `schemas` as RFC 7643 §3 means it: the core schema plus the extensions whose data the resource holds. */
function schemasPresent (r: ScimResource, core: string): string[] {
  const out = [core]
  for (const key in r) {
    if (key.length > 4 && (key.charCodeAt(0) === 117 || key.charCodeAt(0) === 85) && key.slice(0, 4).toLowerCase() === 'urn:' && isJsonObject(r[key])) out.push(key)
  }
  return out
}

/**
 * PUT replaces client-writable data; id, meta and other readOnly attributes (a user's `groups`) stay
 * the server's, so they neither vanish nor show up as changes for the plugin.
 */
function withServerAttributes (incoming: ScimResource, current: ScimResource, schema: ResourceSchema): ScimResource {
  const next: ScimResource = { ...incoming }
  for (const [key, value] of Object.entries(current)) {
    if (key === 'id' || key === 'meta' || schema.attribute({ attr: key })?.mutability === 'readOnly') next[key] = value
  }
  return next
}

/**
 * Parses a filter string (used by the HTTP layer and the stream subscriber). Syntax trees are
 * immutable and clients repeat the same filters, so recent ones are kept in a small bounded cache.
 */
export function parseOptionalFilter (text: string | undefined): FilterNode | undefined {
  if (text === undefined || text.trim() === '') return undefined
  const hit = parsedFilters.get(text)
  if (hit !== undefined) return hit
  const node = parseFilter(text)
  if (parsedFilters.size >= 1000) parsedFilters.clear()
  parsedFilters.set(text, node)
  return node
}
const parsedFilters = new Map<string, FilterNode>()
