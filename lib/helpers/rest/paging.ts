// Paging helpers: Graph/OData lists (`value` + `@odata.nextLink`, followed as given) and SCIM lists
// (startIndex/count until totalResults is reached or a page comes back empty). Both yield one page
// at a time, so a caller can stop early and memory stays bounded by the page size.
import type { RestClient, RestRequest, RestResponse } from './client.ts'
import { RestError } from './errors.ts'

interface PageOptions { query?: RestRequest['query'], headers?: Record<string, string>, signal?: AbortSignal, authorization?: string }

/** Safety net against a server that keeps answering with the same link. */
const MAX_PAGES = 1_000_000

/**
 * Follows `@odata.nextLink` from `path`, yielding each page's `value`.
 * @example for await (const users of odataPages(client, '/users', { query: { $top: 999 } })) handle(users)
 */
export async function * odataPages<T = unknown> (client: RestClient, path: string, opts: PageOptions = {}): AsyncGenerator<T[]> {
  let next: string | undefined = path
  let query = opts.query
  const seen = new Set<string>()
  for (let page = 0; next !== undefined && page < MAX_PAGES; page++) {
    const res: RestResponse<Record<string, unknown>> = await client.request<Record<string, unknown>>({ method: 'GET', path: next, ...(query !== undefined ? { query } : {}), ...common(opts) })
    const body: Record<string, unknown> = res.body
    if (typeof body !== 'object' || body === null || !Array.isArray(body.value)) throw new RestError(`GET ${res.url}: expected an OData list (value array)`, { kind: 'status', method: 'GET', url: res.url, status: res.status, body })
    yield body.value as T[]
    const link: unknown = body['@odata.nextLink']
    next = typeof link === 'string' && link !== '' ? link : undefined
    if (next !== undefined) {
      if (seen.has(next)) throw new RestError(`GET ${res.url}: @odata.nextLink repeats a page already read (${next})`, { kind: 'status', method: 'GET', url: res.url, status: res.status })
      seen.add(next)
    }
    query = undefined // the link carries the query
  }
}

/**
 * Reads a SCIM list page by page (`startIndex`, `count`), yielding each page's `Resources`.
 * @example for await (const users of scimPages(client, '/Users', { count: 200, query: { filter: 'active eq true' } })) handle(users)
 */
export async function * scimPages<T = unknown> (client: RestClient, path: string, opts: PageOptions & { count?: number } = {}): AsyncGenerator<T[]> {
  const count = opts.count ?? 100
  let startIndex = 1
  for (let page = 0; page < MAX_PAGES; page++) {
    const res = await client.request<Record<string, unknown>>({ method: 'GET', path, query: { ...opts.query, startIndex, count }, ...common(opts) })
    const body = res.body
    if (typeof body !== 'object' || body === null) throw new RestError(`GET ${res.url}: expected a SCIM ListResponse`, { kind: 'status', method: 'GET', url: res.url, status: res.status, body })
    const resources = Array.isArray(body.Resources) ? body.Resources as T[] : []
    if (resources.length > 0) yield resources
    const total = typeof body.totalResults === 'number' ? body.totalResults : undefined
    startIndex += resources.length
    if (resources.length === 0 || (total !== undefined && startIndex > total)) return
  }
}

function common (opts: PageOptions): Partial<RestRequest> {
  return {
    ...(opts.headers !== undefined ? { headers: opts.headers } : {}),
    ...(opts.signal !== undefined ? { signal: opts.signal } : {}),
    ...(opts.authorization !== undefined ? { authorization: opts.authorization } : {})
  }
}
