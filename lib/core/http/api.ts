// /api and /pub/api (API-gateway routes handed to the plugin's getApi/postApi/…/publicApi),
// /Roles and /Entitlements.
import type { ApiRequest, GetQuery, ScimPlugin } from '../../plugins/types.ts'
import { NotImplementedError, ScimError } from '../../scim/errors.ts'
import { listResponse } from '../../scim/listing.ts'
import type { JsonValue } from '../../scim/types.ts'
import type { ScimService } from '../service.ts'
import type { RequestContext } from '../context.ts'
import { readJsonBody } from './body.ts'
import { jsonResponse } from './respond.ts'

const API_METHODS = {
  GET: 'getApi', POST: 'postApi', PUT: 'putApi', PATCH: 'patchApi', DELETE: 'deleteApi'
} as const

export async function handleApi (service: ScimService, req: Request, url: URL, rest: string[], isPublic: boolean, maxBytes: number, rc: RequestContext, maxDepth?: number): Promise<Response> {
  const method = req.method.toUpperCase()
  if (!(method in API_METHODS)) throw new ScimError(405, undefined, `${method} is not allowed on /api`)
  const m = method as keyof typeof API_METHODS
  const plugin: ScimPlugin = service.plugin
  const fn = isPublic ? plugin.publicApi?.bind(plugin) : plugin[API_METHODS[m]]?.bind(plugin)
  if (fn === undefined) throw new NotImplementedError(`${isPublic ? 'publicApi' : API_METHODS[m]} is not implemented by plugin ${plugin.name}`)
  const body: JsonValue | undefined = method === 'GET' || method === 'DELETE' ? undefined : await readJsonBody(req, maxBytes, rc.incoming, maxDepth)
  const apiReq: ApiRequest = { method: m, path: rest.join('/'), query: Object.fromEntries(url.searchParams), body }
  const result = await fn(apiReq, service.pluginContext(rc))
  return jsonResponse(method === 'POST' ? 201 : 200, result)
}

export async function handleRolesOrEntitlements (service: ScimService, what: 'Roles' | 'Entitlements', method: string, rc: RequestContext): Promise<Response> {
  if (method !== 'GET') throw new ScimError(405, undefined, `${method} is not allowed on /${what}`)
  const plugin = service.plugin
  const fn = what === 'Roles' ? plugin.getRoles?.bind(plugin) : plugin.getEntitlements?.bind(plugin)
  if (fn === undefined) throw new NotImplementedError(`/${what} is not supported by plugin ${plugin.name}`)
  const q: GetQuery = { attributes: [], excludedAttributes: [], startIndex: 1 }
  const r = await fn(q, service.pluginContext(rc))
  return jsonResponse(200, listResponse(r.Resources, { totalResults: r.exact?.totalResults ?? r.Resources.length, version: rc.version }))
}
