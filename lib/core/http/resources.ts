// HTTP handlers for /Users and /Groups: list, .search, get, create, replace, patch, delete.
// They parse HTTP input, call the ScimService and shape the output (projection, version, headers).
import type { ScimResource, JsonValue, ScimVersion } from '../../scim/types.ts'
import { InvalidSyntaxError, ScimError } from '../../scim/errors.ts'
import { parsePatchRequest } from '../../scim/patch/index.ts'
import { compileProjection, parseAttributeList } from '../../scim/projection.ts'
import { listResponse, parseListParams, searchRequestToParams, type ListParams } from '../../scim/listing.ts'
import { evaluatePreconditions } from '../../scim/etag.ts'
import { patchV1ToOperations, resourceFromV1, resourceToV1 } from '../../scim/convert/v1.ts'
import { isJsonObject } from '../../scim/types.ts'
import { parseOptionalFilter, schemaOf, type ListQuery, type ScimService } from '../service.ts'
import type { RequestContext, ResourceKind } from '../context.ts'
import { jsonResponse, noContent } from './respond.ts'
import { readJsonBody } from './body.ts'

export interface ResourceRouteOptions {
  maxPayloadBytes: number
  /** JSON nesting limit of request bodies. */
  jsonMaxDepth?: number
  defaultCount: number
  maxResults: number
  /** PATCH answers 204 (what Entra ID expects) unless the client asks for attributes. */
  patchReturnsResource: boolean
}

type Projector = (r: ScimResource) => ScimResource

const defaultProjectors = new Map<ResourceKind, Projector>()

/** Compiled projection; the default one (no attributes asked) is compiled once per resource type. */
function projector (kind: ResourceKind, attributes: string[], excludedAttributes: string[]): Projector {
  if (attributes.length > 0 || excludedAttributes.length > 0) return compileProjection({ attributes, excludedAttributes }, schemaOf(kind))
  let p = defaultProjectors.get(kind)
  if (p === undefined) {
    p = compileProjection({}, schemaOf(kind))
    defaultProjectors.set(kind, p)
  }
  return p
}

function outgoing (r: ScimResource, kind: ResourceKind, version: ScimVersion, project: Projector): ScimResource {
  const p = project(r)
  return version === '1.1' ? resourceToV1(p) : p
}

function incoming (body: JsonValue | undefined, version: ScimVersion, kind: ResourceKind): JsonValue | undefined {
  if (version !== '1.1' || !isJsonObject(body)) return body
  return resourceFromV1(body, schemaOf(kind))
}

function etagHeaders (r: ScimResource): Record<string, string> {
  const v = r.meta?.version
  return typeof v === 'string' ? { etag: v } : {}
}

function projectionOf (url: URL): { attributes: string[], excludedAttributes: string[] } {
  return {
    attributes: parseAttributeList(url.searchParams.get('attributes') ?? undefined),
    excludedAttributes: parseAttributeList(url.searchParams.get('excludedAttributes') ?? url.searchParams.get('excludedattributes') ?? undefined)
  }
}

/** Query parameters, keys matched case-insensitively (`startindex`, `StartIndex`). */
function queryRecord (url: URL): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {}
  const canonical = ['filter', 'attributes', 'excludedAttributes', 'sortBy', 'sortOrder', 'startIndex', 'count']
  for (const [k, v] of url.searchParams) {
    const c = canonical.find(n => n.toLowerCase() === k.toLowerCase()) ?? k
    out[c] = v
  }
  return out
}

export async function handleResource (
  service: ScimService, opts: ResourceRouteOptions, kind: ResourceKind, id: string | undefined,
  req: Request, url: URL, rc: RequestContext
): Promise<Response> {
  const method = req.method.toUpperCase()
  if (id === undefined) {
    if (method === 'GET') return await list(service, opts, kind, url, rc, queryRecord(url))
    if (method === 'POST') {
      const body = incoming(await readJsonBody(req, opts.maxPayloadBytes, rc.incoming, opts.jsonMaxDepth), rc.version, kind)
      if (body === undefined) throw new InvalidSyntaxError('request body is empty: expected a SCIM resource')
      const created = await service.create(kind, body, rc)
      const { attributes, excludedAttributes } = projectionOf(url)
      const headers: Record<string, string> = etagHeaders(created)
      if (typeof created.meta?.location === 'string') headers.location = created.meta.location
      return jsonResponse(201, outgoing(created, kind, rc.version, projector(kind, attributes, excludedAttributes)), headers)
    }
    throw new ScimError(405, undefined, `${method} is not allowed on /${kind}`)
  }
  if (id === '.search') {
    if (method !== 'POST') throw new ScimError(405, undefined, `${method} is not allowed on /${kind}/.search`)
    const body = await readJsonBody(req, opts.maxPayloadBytes, rc.incoming, opts.jsonMaxDepth)
    return await listWith(service, kind, rc, searchRequestToParams(body, { defaultCount: opts.defaultCount, maxCount: opts.maxResults }))
  }
  const ifMatch = req.headers.get('if-match') ?? undefined
  const ifNoneMatch = req.headers.get('if-none-match') ?? undefined
  switch (method) {
    case 'GET': {
      const r = await service.get(kind, id, rc)
      const etag = r.meta?.version
      if (typeof etag === 'string') {
        const outcome = evaluatePreconditions({ method, ifMatch, ifNoneMatch, etag })
        if (outcome === 'notModified') return new Response(null, { status: 304, headers: { etag } })
        if (outcome === 'preconditionFailed') throw new ScimError(412, undefined, `precondition failed: resource version is ${etag}`)
      }
      const { attributes, excludedAttributes } = projectionOf(url)
      return jsonResponse(200, outgoing(r, kind, rc.version, projector(kind, attributes, excludedAttributes)), etagHeaders(r))
    }
    case 'PUT': {
      const body = incoming(await readJsonBody(req, opts.maxPayloadBytes, rc.incoming, opts.jsonMaxDepth), rc.version, kind)
      if (body === undefined) throw new InvalidSyntaxError('request body is empty: expected a SCIM resource')
      const r = await service.replace(kind, id, body, rc, { ifMatch, ifNoneMatch })
      const { attributes, excludedAttributes } = projectionOf(url)
      return jsonResponse(200, outgoing(r, kind, rc.version, projector(kind, attributes, excludedAttributes)), etagHeaders(r))
    }
    case 'PATCH': {
      const body = await readJsonBody(req, opts.maxPayloadBytes, rc.incoming, opts.jsonMaxDepth)
      const ops = rc.version === '1.1' && !hasOperations(body) ? patchV1ToOperations(body, schemaOf(kind)) : parsePatchRequest(body)
      const r = await service.patch(kind, id, ops, rc, { ifMatch, ifNoneMatch })
      const { attributes, excludedAttributes } = projectionOf(url)
      if (!opts.patchReturnsResource && attributes.length === 0 && excludedAttributes.length === 0 && !wantsBody(req)) return noContent(etagHeaders(r))
      return jsonResponse(200, outgoing(r, kind, rc.version, projector(kind, attributes, excludedAttributes)), etagHeaders(r))
    }
    case 'DELETE':
      await service.delete(kind, id, rc, { ifMatch, ifNoneMatch })
      return noContent()
    default:
      throw new ScimError(405, undefined, `${method} is not allowed on /${kind}/<id>`)
  }
}

function hasOperations (body: JsonValue | undefined): boolean {
  return typeof body === 'object' && body !== null && !Array.isArray(body) && Object.keys(body).some(k => k.toLowerCase() === 'operations')
}

async function list (
  service: ScimService, opts: ResourceRouteOptions, kind: ResourceKind, _url: URL, rc: RequestContext,
  query: Record<string, string | undefined>
): Promise<Response> {
  return await listWith(service, kind, rc, parseListParams(query, { defaultCount: opts.defaultCount, maxCount: opts.maxResults }))
}

async function listWith (service: ScimService, kind: ResourceKind, rc: RequestContext, p: ListParams): Promise<Response> {
  const q: ListQuery = {
    startIndex: p.startIndex,
    attributes: p.attributes,
    excludedAttributes: p.excludedAttributes
  }
  const filter = parseOptionalFilter(p.filter)
  if (filter !== undefined) { q.filter = filter; q.rawFilter = p.filter }
  q.count = p.count
  if (p.sortBy !== undefined) q.sortBy = p.sortBy
  if (p.sortOrder !== undefined) q.sortOrder = p.sortOrder
  const result = await service.list(kind, q, rc)
  const project = projector(kind, p.attributes, p.excludedAttributes)
  const resources = result.Resources.map(r => outgoing(r, kind, rc.version, project))
  return jsonResponse(200, listResponse(resources, { totalResults: result.totalResults, startIndex: result.startIndex, version: rc.version }))
}

/**
 * PATCH answers 204 unless the client asks for the resource: `attributes`/`excludedAttributes`, or an
 * Accept header that names a JSON type (scimgateway answers those with 200 and the resource). Accept
 * absent or `*\/*` (what Entra ID and most clients send) keeps 204.
 */
function wantsBody (req: Request): boolean {
  const accept = req.headers.get('accept')
  return accept !== null && /\bapplication\/(scim\+)?json\b/i.test(accept)
}
