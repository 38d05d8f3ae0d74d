// plugin-generic with an endpointMapper (`endpoint.map.user|group`, scimgateway's shape): the target
// holds its own attribute names and values; reads go through `toScim` (a valueMap hides what it does
// not list), writes through `toEndpoint`/`endpointChanges` (a value a valueMap does not list is a 400).
// Because hidden resources change counts, a mapped kind is read whole and the gateway filters, sorts
// and pages; a comparison the map can translate is still pushed down to the target.
import type { EndpointMapper } from '../../helpers/endpoint-mapper/index.ts'
import type { GetQuery, GetResult, Modification, PatchOperation, ScimResource } from '../types.ts'
import type { JsonObject } from '../../scim/types.ts'
import type { Kind, ScimTarget } from './target.ts'

type MapKind = 'user' | 'group'
const mapKind = (kind: Kind): MapKind => kind === 'Users' ? 'user' : 'group'

export class MappedKind {
  constructor (private readonly mapper: EndpointMapper, private readonly kind: Kind) {}

  private get k (): MapKind { return mapKind(this.kind) }

  async get (t: ScimTarget, query: GetQuery, signal: AbortSignal, auth?: string): Promise<GetResult> {
    const s = query.simple
    let filter: string | undefined
    if (s !== undefined) {
      const f = this.mapper.endpointFilter(this.k, s)
      if (f.kind === 'none') return { Resources: [] }
      if (f.kind === 'filter') {
        if (f.attribute.toLowerCase() === 'id' && f.operator === 'eq') {
          const r = await t.get(this.kind, f.value, signal, auth)
          const scim = r !== undefined ? this.mapper.toScim(this.k, r) : undefined
          return { Resources: scim !== undefined ? [scim] : [] }
        }
        filter = f.operator === 'pr' ? `${f.attribute} pr` : `${f.attribute} ${f.operator} ${JSON.stringify(f.value)}`
      }
    }
    const { resources } = await t.list(this.kind, { startIndex: 1, ...(filter !== undefined ? { filter } : {}) }, signal, auth)
    const out: ScimResource[] = []
    for (const r of resources) {
      const scim = this.mapper.toScim(this.k, r)
      if (scim !== undefined) out.push(scim)
    }
    return { Resources: out }
  }

  async create (t: ScimTarget, resource: ScimResource, signal: AbortSignal, auth?: string): Promise<ScimResource> {
    const created = await t.create(this.kind, this.outbound(resource), signal, auth)
    return this.mapper.toScim(this.k, created) ?? { id: created.id }
  }

  async modify (t: ScimTarget, id: string, mod: Modification, signal: AbortSignal, auth?: string): Promise<ScimResource | undefined> {
    if (t.version === '1.1' || mod.operations.length === 0) {
      const r = await t.replace(this.kind, id, { id, ...this.outbound(mod.resource) }, signal, auth)
      return r !== undefined ? this.mapper.toScim(this.k, r) : undefined
    }
    const changes = this.mapper.endpointChanges(this.k, mod.operations, mod.resource)
    const ops: PatchOperation[] = Object.entries(changes).map(([path, value]) => value === null || (Array.isArray(value) && value.length === 0) ? { op: 'remove', path } : { op: 'replace', path, value })
    const r = await t.patch(this.kind, id, ops, signal, auth)
    return r !== undefined ? this.mapper.toScim(this.k, r) : undefined
  }

  /** The endpoint object, keeping the SCIM `schemas` the target (a SCIM server) needs. */
  private outbound (r: ScimResource): JsonObject {
    const body = this.mapper.toEndpoint(this.k, r)
    return r.schemas !== undefined ? { schemas: r.schemas, ...body } : body
  }
}
