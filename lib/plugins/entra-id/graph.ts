// Graph access of plugin-entra-id over the shared REST client: single calls with Graph's errors
// mapped to SCIM (errors.ts), full lists through `@odata.nextLink` pages (`$top` = pageSize), and
// JSON `$batch` (at most 20 requests per POST). The REST client retries 429/503 with Retry-After for
// whole requests; inside a batch each item has its own status, so throttled items are sent again
// here after the longest Retry-After they carry (bounded by the connection's retry settings).
import type { RestClient } from '../../helpers/rest/client.ts'
import { odataPages } from '../../helpers/rest/paging.ts'
import { sleep } from '../../helpers/rest/retry.ts'
import { graphError, graphScimError } from './errors.ts'

type Obj = Record<string, unknown>
export interface BatchItem { method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE', url: string, body?: unknown }
export interface BatchResult { status: number, body: unknown, retryAfterS?: number }

/** Graph's limit of requests in one $batch. */
export const BATCH_MAX = 20

export class Graph {
  constructor (readonly client: RestClient, private readonly pageSize: number) {}

  async call<T = Obj> (method: BatchItem['method'], path: string, opts: { query?: Record<string, string | number | undefined>, body?: unknown, signal?: AbortSignal } = {}): Promise<T> {
    try {
      const res = await this.client.request<T>({ method, path, ...(opts.query !== undefined ? { query: opts.query } : {}), ...(opts.body !== undefined ? { body: opts.body } : {}), ...(opts.signal !== undefined ? { signal: opts.signal } : {}) })
      return res.body
    } catch (err) {
      throw graphError(err, `${method} ${path}`)
    }
  }

  /** The object at `path`, or undefined for 404 / an id Graph cannot parse. */
  async find (path: string, select: string, signal: AbortSignal): Promise<Obj | undefined> {
    try {
      return await this.call('GET', path, { query: { $select: select }, signal })
    } catch (err) {
      if (err instanceof Error && 'status' in err && err.status === 404) return undefined
      throw err
    }
  }

  /** Every element of a Graph list, page after page. */
  async list (path: string, query: Record<string, string | number | undefined>, signal: AbortSignal): Promise<Obj[]> {
    const out: Obj[] = []
    try {
      // an @odata.nextLink already carries the whole query
      const q = /^https?:\/\//i.test(path) ? {} : { query: { ...query, $top: this.pageSize } }
      for await (const page of odataPages<Obj>(this.client, path, { ...q, signal })) out.push(...page)
    } catch (err) {
      throw graphError(err, `GET ${path}`)
    }
    return out
  }

  /**
   * Runs requests through $batch (chunks of 20, chunks in sequence) and returns each one's result
   * in order. Throttled items (429/503) are retried; other failures are returned, not thrown.
   */
  async batch (items: BatchItem[], signal: AbortSignal): Promise<BatchResult[]> {
    const results: BatchResult[] = new Array<BatchResult>(items.length)
    const retry = this.client.config.retry
    for (let start = 0; start < items.length; start += BATCH_MAX) {
      let pending = items.slice(start, start + BATCH_MAX).map((item, i) => ({ item, at: start + i }))
      for (let attempt = 1; pending.length > 0; attempt++) {
        const body = { requests: pending.map((p, i) => ({ id: String(i + 1), method: p.item.method, url: p.item.url, ...(p.item.body !== undefined ? { body: p.item.body, headers: { 'Content-Type': 'application/json' } } : {}) })) }
        const res = await this.call<{ responses?: unknown }>('POST', '/$batch', { body, signal })
        const responses = Array.isArray(res.responses) ? res.responses as Obj[] : []
        const again: typeof pending = []
        let waitS = 0
        pending.forEach((p, i) => {
          const r = responses.find(x => x.id === String(i + 1))
          const status = typeof r?.status === 'number' ? r.status : 502
          const headers = (typeof r?.headers === 'object' && r.headers !== null ? r.headers : {}) as Record<string, unknown>
          const ra = Number(headers['Retry-After'] ?? headers['retry-after'])
          const retryAfterS = Number.isFinite(ra) ? ra : undefined
          if ((status === 429 || status === 503) && attempt < retry.maxAttempts && (retryAfterS ?? 0) * 1000 <= retry.maxRetryAfterMs) {
            again.push(p)
            waitS = Math.max(waitS, retryAfterS ?? 1)
          } else {
            results[p.at] = { status, body: r?.body, ...(retryAfterS !== undefined ? { retryAfterS } : {}) }
          }
        })
        pending = again
        if (pending.length > 0) await sleep(waitS * 1000, signal)
      }
    }
    return results
  }

  /** Throws the SCIM error of a failed batch result. */
  static check (r: BatchResult, what: string): void {
    if (r.status >= 300) throw graphScimError(r.status, r.body, what, r.retryAfterS)
  }
}

/** A string literal of OData ('' escapes a quote). */
export function odataString (v: string): string {
  return `'${v.replace(/'/g, "''")}'`
}

/** `$filter` for one SCIM comparison on a Graph property (eq / sw), or undefined when Graph cannot. */
export function odataFilter (prop: string, op: string, value: string): string | undefined {
  if (op === 'eq') return `${prop} eq ${odataString(value)}`
  if (op === 'sw') return `startswith(${prop},${odataString(value)})`
  return undefined
}

/** The `value` array of a Graph list body (objects only). */
export function listOf (body: unknown): Obj[] {
  const v = typeof body === 'object' && body !== null ? (body as Obj).value : undefined
  return Array.isArray(v) ? v.filter((x): x is Obj => typeof x === 'object' && x !== null) : []
}
