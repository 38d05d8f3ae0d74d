// One target SCIM server (one baseEntity's connection): the SCIM calls plugin-generic makes, in the
// target's version. The gateway works in SCIM 2.0; a 1.1 target gets 1.1 bodies (schemas, enterprise
// extension, 1.1 PATCH form) and its answers are turned back into 2.0 here, so the gateway is also a
// SCIM version gateway in both directions.
import type { RestClient } from '../../helpers/rest/client.ts'
import { scimPages } from '../../helpers/rest/paging.ts'
import { listResponseFromV1, resourceFromV1, resourceToV1 } from '../../scim/convert/v1.ts'
import { SCHEMA_CORE_V1, SCHEMA_PATCH_OP } from '../../scim/schema/definitions.ts'
import { coreResourceSchema } from '../../scim/schema/resolve.ts'
import { isJsonObject, type JsonObject, type ScimResource } from '../../scim/types.ts'
import type { MemberDelta, Modification, PatchOperation } from '../types.ts'
import { targetError } from './errors.ts'
import { NotFoundError } from '../../scim/errors.ts'

export type Kind = 'Users' | 'Groups'

/** What a list asks the target (already in SCIM terms). */
export interface TargetQuery {
  filter?: string
  startIndex: number
  count?: number
  sortBy?: string
  sortOrder?: 'ascending' | 'descending'
}

/** Attributes the target owns (or derives): never written back to it. */
const READ_ONLY = ['meta', 'groups']
/** Page size when the gateway asks for everything (internal membership lookups). */
const FULL_PAGE = 500

export class ScimTarget {
  constructor (readonly client: RestClient, readonly version: '2.0' | '1.1') {}

  /** A resource by id; undefined when the target says 404. */
  async get (kind: Kind, id: string, signal: AbortSignal, auth?: string): Promise<ScimResource | undefined> {
    if (id === '') return undefined // `/Users/` would be the whole list
    const path = `/${kind}/${encodeURIComponent(id)}`
    try {
      const r = await this.client.request({ method: 'GET', path, signal, accept: [404], ...authOf(auth) })
      return r.status === 404 || !isJsonObject(r.body) ? undefined : this.inbound(kind, r.body)
    } catch (e) { throw targetError(e, `GET ${path}`, auth !== undefined) }
  }

  /** One page (count given) or every resource (count undefined) matching the filter, with the total. */
  async list (kind: Kind, q: TargetQuery, signal: AbortSignal, auth?: string): Promise<{ resources: ScimResource[], total: number }> {
    const query = { filter: q.filter, sortBy: q.sortBy, sortOrder: q.sortBy !== undefined ? q.sortOrder : undefined }
    try {
      if (q.count === undefined) {
        const all: ScimResource[] = []
        for await (const page of scimPages<JsonObject>(this.client, `/${kind}`, { count: FULL_PAGE, query, signal, ...authOf(auth) })) {
          for (const r of page) if (isJsonObject(r)) all.push(this.inbound(kind, r))
        }
        return { resources: all, total: all.length }
      }
      const r = await this.client.request({ method: 'GET', path: `/${kind}`, query: { ...query, startIndex: q.startIndex, count: q.count }, signal, ...authOf(auth) })
      const list = this.version === '1.1' ? listResponseFromV1(r.body, schemaOf(kind)) : r.body
      if (!isJsonObject(list)) throw new Error('the target answered no ListResponse')
      const resources = Array.isArray(list.Resources) ? list.Resources.filter(isJsonObject) : []
      const total = typeof list.totalResults === 'number' ? list.totalResults : resources.length
      return { resources: this.version === '1.1' ? resources : resources.map(x => x as ScimResource), total }
    } catch (e) { throw targetError(e, `GET /${kind}${q.filter !== undefined ? ` filter ${q.filter}` : ''}`, auth !== undefined) }
  }

  async create (kind: Kind, resource: ScimResource, signal: AbortSignal, auth?: string): Promise<ScimResource> {
    try {
      const r = await this.client.request({ method: 'POST', path: `/${kind}`, body: this.outbound(resource), signal, ...authOf(auth) })
      if (!isJsonObject(r.body)) throw new Error('the target answered the create without the resource')
      return this.inbound(kind, r.body)
    } catch (e) { throw targetError(e, `POST /${kind}`, auth !== undefined) }
  }

  /**
   * A change the gateway already resolved (PATCH/PUT semantics applied): a SCIM 2.0 target gets the
   * minimal operations as one PATCH (it applies them like the gateway would, custom attributes
   * included); a 1.1 target gets the whole new state as PUT.
   */
  async modify (kind: Kind, id: string, mod: Modification, signal: AbortSignal, auth?: string): Promise<ScimResource | undefined> {
    // no operations (a caller that only hands the new state): replace it as a whole
    if (this.version === '1.1' || mod.operations.length === 0) return await this.replace(kind, id, mod.resource, signal, auth)
    return await this.patch(kind, id, mod.operations, signal, auth)
  }

  /** One SCIM 2.0 PATCH with `operations` (those on read-only attributes left out). */
  async patch (kind: Kind, id: string, operations: readonly PatchOperation[], signal: AbortSignal, auth?: string): Promise<ScimResource | undefined> {
    noEmptyId(id)
    const ops = operations.filter(o => !READ_ONLY.includes((o.path ?? '').split(/[.[]/)[0]?.toLowerCase() ?? ''))
    if (ops.length === 0) return undefined
    const path = `/${kind}/${encodeURIComponent(id)}`
    try {
      const r = await this.client.request({ method: 'PATCH', path, body: { schemas: [SCHEMA_PATCH_OP], Operations: ops as unknown as JsonObject[] }, signal, ...authOf(auth) })
      return isJsonObject(r.body) && r.body.id === id ? this.inbound(kind, r.body) : undefined
    } catch (e) { throw targetError(e, `PATCH ${path}`, auth !== undefined) }
  }

  /** PUT: the target gets the whole new state. */
  async replace (kind: Kind, id: string, resource: ScimResource, signal: AbortSignal, auth?: string): Promise<ScimResource | undefined> {
    noEmptyId(id)
    const path = `/${kind}/${encodeURIComponent(id)}`
    try {
      const r = await this.client.request({ method: 'PUT', path, body: this.outbound(resource), signal, ...authOf(auth) })
      return isJsonObject(r.body) ? this.inbound(kind, r.body) : undefined
    } catch (e) { throw targetError(e, `PUT ${path}`, auth !== undefined) }
  }

  /** A member delta as one PATCH (O(delta), the group is not read or rewritten). */
  async patchMembers (id: string, delta: MemberDelta, signal: AbortSignal, auth?: string): Promise<ScimResource | undefined> {
    noEmptyId(id)
    const path = `/Groups/${encodeURIComponent(id)}`
    const body: JsonObject = this.version === '1.1'
      ? { schemas: [SCHEMA_CORE_V1], members: [...delta.remove.map(v => ({ value: v, operation: 'delete' })), ...delta.add] }
      : {
          schemas: [SCHEMA_PATCH_OP],
          Operations: [
            ...delta.remove.map(v => ({ op: 'remove', path: `members[value eq ${JSON.stringify(v)}]` })),
            ...(delta.add.length > 0 ? [{ op: 'add', path: 'members', value: delta.add }] : [])
          ]
        }
    try {
      // attributes=id keeps the answer small: the gateway only needs to know it worked
      const r = await this.client.request({ method: 'PATCH', path, query: { attributes: 'id' }, body, signal, ...authOf(auth) })
      return isJsonObject(r.body) && r.body.id === id ? { id } : undefined
    } catch (e) { throw targetError(e, `PATCH ${path}`, auth !== undefined) }
  }

  async delete (kind: Kind, id: string, signal: AbortSignal, auth?: string): Promise<void> {
    noEmptyId(id)
    const path = `/${kind}/${encodeURIComponent(id)}`
    try {
      await this.client.request({ method: 'DELETE', path, signal, ...authOf(auth) })
    } catch (e) { throw targetError(e, `DELETE ${path}`, auth !== undefined) }
  }

  /** Cheap liveness probe for health(). */
  async check (): Promise<void> {
    await this.client.request({ method: 'GET', path: this.version === '1.1' ? '/ServiceProviderConfigs' : '/ServiceProviderConfig', timeoutMs: 5000 })
  }

  private outbound (r: ScimResource): JsonObject {
    const out: JsonObject = {}
    for (const [k, v] of Object.entries(r)) if (v !== undefined && !READ_ONLY.includes(k)) out[k] = v
    return this.version === '1.1' ? resourceToV1(out) : out
  }

  private inbound (kind: Kind, r: JsonObject): ScimResource {
    return this.version === '1.1' ? resourceFromV1(r, schemaOf(kind)) : r as ScimResource
  }
}

function schemaOf (kind: Kind): ReturnType<typeof coreResourceSchema> {
  return coreResourceSchema(kind === 'Users' ? 'User' : 'Group')
}

function authOf (auth: string | undefined): { authorization?: string } {
  return auth !== undefined ? { authorization: auth } : {}
}

function noEmptyId (id: string): void {
  if (id === '') throw new NotFoundError('empty id')
}
