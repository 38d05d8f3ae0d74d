// POST /Bulk: parses the BulkRequest and runs each operation through the same ScimService as the
// single-resource routes (so bulk has no SCIM semantics of its own).
import { parseBulkRequest, runBulk, type BulkOpResult, type ResolvedBulkOperation } from '../../scim/bulk/index.ts'
import { InvalidValueError, ScimError } from '../../scim/errors.ts'
import { parsePatchRequest } from '../../scim/patch/index.ts'
import type { ScimService } from '../service.ts'
import type { RequestContext, ResourceKind } from '../context.ts'
import { parseRoutePath } from '../route-path.ts'
import { parseJsonBody, readBodyText } from './body.ts'
import { jsonResponse } from './respond.ts'

export interface BulkRouteOptions {
  maxOperations: number
  maxPayloadSize: number
  /** JSON nesting limit of the request body (GatewayOptions.jsonMaxDepth). */
  jsonMaxDepth?: number
  entities: ReadonlyMap<string, string>
}

function target (path: string, entities: ReadonlyMap<string, string>): { kind: ResourceKind, id: string | undefined } {
  const parsed = parseRoutePath(path, entities)
  if (!parsed.ok || (parsed.route.resource !== 'Users' && parsed.route.resource !== 'Groups')) {
    throw new InvalidValueError(`bulk operation path ${JSON.stringify(path)} is not a /Users or /Groups path`)
  }
  return { kind: parsed.route.resource, id: parsed.route.id }
}

export async function handleBulk (service: ScimService, req: Request, opts: BulkRouteOptions, request: RequestContext): Promise<Response> {
  // one operation's plugin timeout must not abort the others: the guard composes a signal per call
  const rc: RequestContext = { ...request }
  delete rc.abort
  if (req.method.toUpperCase() !== 'POST') throw new ScimError(405, undefined, `${req.method} is not allowed on /Bulk`)
  const text = await readBodyText(req, opts.maxPayloadSize, rc.incoming)
  // depth-checked before parseBulkRequest/resolveBulkIds walk the data recursively
  const body = parseJsonBody(text, opts.jsonMaxDepth, 'bulk request body')
  const bulk = parseBulkRequest(body, { maxOperations: opts.maxOperations, maxPayloadSize: opts.maxPayloadSize }, Buffer.byteLength(text))

  const execute = async (op: ResolvedBulkOperation): Promise<BulkOpResult> => {
    const { kind, id } = target(op.path, opts.entities)
    const pre = op.version !== undefined ? { ifMatch: op.version } : {}
    switch (op.method) {
      case 'POST': {
        if (id !== undefined) throw new InvalidValueError(`POST bulk operation must target /${kind}, not ${op.path}`)
        const r = await service.create(kind, op.data, rc)
        return resultOf(201, r)
      }
      case 'PUT':
        return resultOf(200, await service.replace(kind, requireId(id, op), op.data, rc, pre))
      case 'PATCH':
        return resultOf(200, await service.patch(kind, requireId(id, op), parsePatchRequest(op.data), rc, pre))
      case 'DELETE':
        await service.delete(kind, requireId(id, op), rc, pre)
        return { status: 204 }
    }
  }
  const res = await runBulk(bulk, execute, { signal: rc.signal })
  return jsonResponse(200, res)
}

function requireId (id: string | undefined, op: ResolvedBulkOperation): string {
  if (id === undefined || id === '') throw new InvalidValueError(`bulk ${op.method} operation needs a resource id in its path (${op.path})`)
  return id
}

function resultOf (status: number, r: { id?: string, meta?: { location?: string, version?: string } }): BulkOpResult {
  const out: BulkOpResult = { status }
  if (r.id !== undefined) out.id = r.id
  if (r.meta?.location !== undefined) out.location = r.meta.location
  if (r.meta?.version !== undefined) out.version = r.meta.version
  return out
}
