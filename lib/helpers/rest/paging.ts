// Paging helpers: Graph/OData lists (`value` + `@odata.nextLink`, followed as given), Graph delta
// rounds (pages until `@odata.deltaLink`), any JSON API with a next link (`linkedPages`: the caller
// says where the link is; the next page is fetched while the current one is consumed) and SCIM lists
// (startIndex/count until totalResults is reached or a page comes back empty). All yield one page at
// a time, so a caller can stop early and memory stays bounded by the page size.
import { shortUrl, type RestClient, type RestRequest, type RestResponse } from './client.ts'
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

/** A page of {@link linkedPages}: the parsed body and the URL that answered. */
export interface LinkedPage { body: unknown, url: string, status: number }

export interface LinkedPagesOptions extends PageOptions {
  /** The next link of a page (absolute, or relative to the URL that answered); undefined = last page. */
  next: (body: unknown) => string | undefined
  /** More pages than this fail (a server that keeps linking on); default 1 000 000. */
  maxPages?: number
  /** Request the next page while the caller handles the current one (default true). */
  prefetch?: boolean
}

/**
 * Follows next links from `path`. A link is requested relative to the base URL it is under (so
 * failover still works in the middle of paging); a link to a host other than the base URLs', or one
 * already read, ends the iteration with a `status` RestError: the configured credentials are never
 * sent to a host a server names.
 * @example for await (const page of linkedPages(client, '/odata/v2/PerPerson', { next: b => b?.d?.__next })) handle(page.body)
 */
export async function * linkedPages (client: RestClient, path: string, opts: LinkedPagesOptions): AsyncGenerator<LinkedPage> {
  const maxPages = opts.maxPages ?? MAX_PAGES
  const get = (target: string, query?: RestRequest['query']): Promise<RestResponse> => client.request({ method: 'GET', path: target, ...(query !== undefined ? { query } : {}), ...common(opts) })
  const seen = new Set<string>()
  let pending: Promise<RestResponse> | undefined = get(path, opts.query)
  try {
    for (let page = 1; pending !== undefined; page++) {
      const res: RestResponse = await pending
      pending = undefined
      const raw = opts.next(res.body)
      let nextTarget: string | undefined
      if (raw !== undefined && raw !== '') {
        const abs = new URL(raw, res.url).toString()
        const fail = (why: string): RestError => new RestError(`GET ${shortUrl(res.url)}: ${why}`, { kind: 'status', method: 'GET', url: res.url, status: res.status })
        if (!client.ownsUrl(abs)) throw fail(`refusing to follow the next link ${shortUrl(abs)}: not on the host of a base URL (credentials are sent only there)`)
        if (seen.has(abs)) throw fail(`the next link repeats a page already read (${shortUrl(abs)})`)
        if (page >= maxPages) throw fail(`more than ${maxPages} pages`)
        seen.add(abs)
        nextTarget = abs
      }
      if (nextTarget !== undefined && opts.prefetch !== false) {
        pending = get(nextTarget)
        pending.catch(() => {}) // awaited on the next turn; never unhandled when the caller stops early
      }
      yield { body: res.body, url: res.url, status: res.status }
      if (nextTarget !== undefined && pending === undefined) pending = get(nextTarget)
    }
  } finally {
    pending?.catch(() => {})
  }
}

/** A page of a Graph delta round. */
export interface DeltaPage<T = unknown> { value: T[], nextLink?: string, deltaLink?: string }

/**
 * Reads a Graph delta round (`/users/delta`, or a stored delta link): every page with its `value`;
 * the last one carries the `@odata.deltaLink` to start the next round from.
 * @example for await (const p of deltaPages(graph, '/v1.0/users/delta?$select=id')) { apply(p.value); link = p.deltaLink ?? link }
 */
export async function * deltaPages<T = unknown> (client: RestClient, path: string, opts: PageOptions & { maxPages?: number } = {}): AsyncGenerator<DeltaPage<T>> {
  const link = (b: unknown, key: string): string | undefined => {
    const v = typeof b === 'object' && b !== null ? (b as Record<string, unknown>)[key] : undefined
    return typeof v === 'string' && v !== '' ? v : undefined
  }
  for await (const page of linkedPages(client, path, { ...opts, next: b => link(b, '@odata.nextLink') })) {
    const value = typeof page.body === 'object' && page.body !== null ? (page.body as Record<string, unknown>).value : undefined
    if (!Array.isArray(value)) throw new RestError(`GET ${shortUrl(page.url)}: expected an OData list (value array)`, { kind: 'status', method: 'GET', url: page.url, status: page.status, body: page.body })
    const nextLink = link(page.body, '@odata.nextLink')
    const deltaLink = link(page.body, '@odata.deltaLink')
    yield { value: value as T[], ...(nextLink !== undefined ? { nextLink } : {}), ...(deltaLink !== undefined ? { deltaLink } : {}) }
  }
}

function common (opts: PageOptions): Partial<RestRequest> {
  return {
    ...(opts.headers !== undefined ? { headers: opts.headers } : {}),
    ...(opts.signal !== undefined ? { signal: opts.signal } : {}),
    ...(opts.authorization !== undefined ? { authorization: opts.authorization } : {})
  }
}
