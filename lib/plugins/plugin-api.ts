// plugin-api: the API-gateway example (non-SCIM REST through the gateway, scimgateway's plugin-api).
// `/api[/<id>]` (authenticated, also `/<baseEntity>/api`) does CRUD on JSON objects — kept in memory
// per baseEntity, or forwarded to an upstream REST API when the entity has `upstream`; `/pub/api`
// (unauthenticated) answers `?model=<name>` from the configured catalog.
import { randomUUID } from 'node:crypto'
import { InvalidValueError, NotFoundError, ScimError } from '../scim/errors.ts'
import { isJsonObject, type JsonObject } from '../scim/types.ts'
import type { ApiRequest, JsonValue, Logger, PluginContext, ScimPlugin } from './types.ts'
import { definePlugin, EntityHandles, toUpstreamError, UpstreamError } from './sdk/index.ts'
import { apiEndpointSchema, apiEntities, type ApiEndpoint, type ApiEntity } from './api/options.ts'

export { apiEndpointSchema } from './api/options.ts'

type Backend = { kind: 'memory', items: Map<string, JsonObject> } | { kind: 'upstream', baseUrl: string, headers: Record<string, string>, timeoutMs: number }

/** Objects of the in-memory collection match a query when every query key equals the field (as text). */
function matches (item: JsonObject, query: Record<string, string>): boolean {
  return Object.entries(query).every(([k, v]) => String(item[k] ?? '') === v)
}

/** The id segment of `/api/<id>`; deeper paths are not part of the example. */
function idOf (req: ApiRequest, required: boolean): string | undefined {
  const parts = req.path.split('/').filter(p => p !== '')
  if (parts.length > 1) throw new NotFoundError(`no such API path: /api/${req.path}`)
  if (required && parts[0] === undefined) throw new ScimError(405, undefined, `${req.method} /api needs an id: /api/<id>`)
  return parts[0]
}

function bodyObject (req: ApiRequest): JsonObject {
  if (!isJsonObject(req.body)) throw new InvalidValueError(`${req.method} /api needs a JSON object body`)
  return req.body
}

/**
 * Creates the API plugin from a validated endpoint section.
 * @example
 * createApiPlugin({ catalog: { Tesla: { maker: 'Tesla', type: 'car' } }, entity: { undefined: {} } })
 */
export function createApiPlugin (endpoint: ApiEndpoint): ScimPlugin {
  const handles = new EntityHandles<ApiEntity, Backend>({
    entities: apiEntities(endpoint),
    async open (cfg) {
      if (cfg.upstream === undefined) return { kind: 'memory', items: new Map() }
      return { kind: 'upstream', baseUrl: cfg.upstream.baseUrl.replace(/\/+$/, ''), headers: { ...cfg.upstream.headers }, timeoutMs: cfg.upstream.timeoutMs }
    },
    async check (b) {
      if (b.kind === 'upstream') await fetch(b.baseUrl, { method: 'HEAD', headers: b.headers, signal: AbortSignal.timeout(b.timeoutMs) })
    }
  })

  /** Forwards one request to the upstream REST API; its errors come back typed (404 stays 404, down is 503, …). */
  const forward = async (b: Extract<Backend, { kind: 'upstream' }>, req: ApiRequest, ctx: PluginContext): Promise<JsonValue> => {
    const segments = req.path.split('/').filter(p => p !== '')
    // '..' would climb out of the configured base path once the URL is normalised
    if (segments.some(p => p === '.' || p === '..')) throw new InvalidValueError('API paths must not contain "." or ".." segments')
    const qs = new URLSearchParams(req.query).toString()
    const url = `${b.baseUrl}${segments.map(p => `/${encodeURIComponent(p)}`).join('')}${qs !== '' ? `?${qs}` : ''}`
    let res: Response
    try {
      res = await fetch(url, {
        method: req.method,
        headers: { accept: 'application/json', ...(req.body !== undefined ? { 'content-type': 'application/json' } : {}), ...b.headers },
        ...(req.body !== undefined ? { body: JSON.stringify(req.body) } : {}),
        signal: AbortSignal.any([ctx.signal, AbortSignal.timeout(b.timeoutMs)])
      })
    } catch (err) {
      // fetch rejects only for network problems (or an abort, which the gateway answers itself)
      throw toUpstreamError(err, `${req.method} ${url}`) ?? new UpstreamError(`${req.method} ${url} failed: ${err instanceof Error ? err.message : String(err)}`, { cause: err })
    }
    const text = await res.text()
    if (!res.ok) throw toUpstreamError({ status: res.status, message: text.slice(0, 200) }, `${req.method} /api/${req.path}`) ?? new ScimError(502, undefined, `upstream answered ${res.status}`)
    if (text === '') return null
    try { return JSON.parse(text) as JsonValue } catch { return text }
  }

  const memory = (req: ApiRequest, items: Map<string, JsonObject>): JsonValue => {
    switch (req.method) {
      case 'GET': {
        const id = idOf(req, false)
        if (id !== undefined) {
          const item = items.get(id)
          if (item === undefined) throw new NotFoundError(`no object with id ${id}`)
          return item
        }
        const found = [...items.values()].filter(i => matches(i, req.query))
        return { totalResults: found.length, Resources: found }
      }
      case 'POST': {
        if (idOf(req, false) !== undefined) throw new ScimError(405, undefined, 'POST goes to /api, not /api/<id>')
        const item = { ...bodyObject(req), id: randomUUID() }
        items.set(item.id, item)
        return item
      }
      case 'PUT': case 'PATCH': {
        const id = idOf(req, true) ?? ''
        const cur = items.get(id)
        if (cur === undefined) throw new NotFoundError(`no object with id ${id}`)
        const next = req.method === 'PUT' ? { ...bodyObject(req), id } : { ...cur, ...bodyObject(req), id }
        items.set(id, next)
        return next
      }
      case 'DELETE': {
        const id = idOf(req, true) ?? ''
        if (!items.delete(id)) throw new NotFoundError(`no object with id ${id}`)
        return null
      }
    }
  }

  const api = async (req: ApiRequest, ctx: PluginContext): Promise<JsonValue> => {
    const b = (await handles.get(ctx)).handle
    return b.kind === 'upstream' ? await forward(b, req, ctx) : memory(req, b.items)
  }

  return {
    name: 'api',
    async start (log: Logger): Promise<void> { await handles.start(log) },
    async stop (): Promise<void> { await handles.stop() },
    async health () { return await handles.health() },
    getApi: api,
    postApi: api,
    putApi: api,
    patchApi: api,
    deleteApi: api,
    /** `/pub/api?model=<name>`: a catalog entry, without authentication (read-only). */
    async publicApi (req: ApiRequest): Promise<JsonValue> {
      if (req.method !== 'GET') throw new ScimError(405, undefined, '/pub/api is read-only')
      const model = req.query.model
      if (model === undefined || model === '') return { models: Object.keys(endpoint.catalog) }
      const key = Object.keys(endpoint.catalog).find(k => k.toLowerCase() === model.toLowerCase())
      if (key === undefined) throw new NotFoundError(`unknown model ${JSON.stringify(model)}`)
      return { model: key, ...endpoint.catalog[key] }
    }
  }
}

/** The plugin as `runGateway(apiPlugin)` starts it from config/plugin-api.json. */
export const apiPlugin = definePlugin({ name: 'api', endpoint: apiEndpointSchema, create: endpoint => createApiPlugin(endpoint) })
