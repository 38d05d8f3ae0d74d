// Reading from the directory: paged searches (the simple paged-results control,
// 1.2.840.113556.1.4.319 — AD refuses more than MaxPageSize entries without it), case-insensitive
// attribute access on returned entries, and AD's range retrieval of large multi-valued attributes:
// a group with more members than MaxValRange comes back as `member;range=0-1499` and the rest must
// be asked for as `member;range=1500-*`, `member;range=3000-*`, … until a range ends in `*`.
import type { Client, Entry } from 'ldapts'
import { parseLdapFilter } from './filter-parse.ts'

export type Scope = 'base' | 'one' | 'sub'

export interface SearchSpec {
  base: string
  filter: string
  scope: Scope
  attributes: string[]
  binary?: string[]
  /** Stop after this many entries (the rest of the paged search is abandoned). */
  limit?: number
  pageSize: number
}

/** Values of an attribute, whatever case the server used for its name. Strings, or Buffers for binary ones. */
export function values (entry: Entry, attr: string): Array<string | Buffer> {
  const key = attr in entry ? attr : Object.keys(entry).find(k => k.toLowerCase() === attr.toLowerCase())
  if (key === undefined) return []
  const v = entry[key]
  if (v === undefined) return []
  return Array.isArray(v) ? v : [v]
}

export function strings (entry: Entry, attr: string): string[] {
  return values(entry, attr).map(v => typeof v === 'string' ? v : v.toString('utf8'))
}

export function first (entry: Entry, attr: string): string | undefined {
  return strings(entry, attr)[0]
}

/** Runs a search with the paged-results control; `onPage` consumes each page (return false to stop) instead of the result. */
export async function pagedSearch (client: Client, spec: SearchSpec, onPage?: (entries: Entry[]) => boolean | undefined): Promise<Entry[]> {
  const out: Entry[] = []
  const opts = {
    scope: spec.scope,
    filter: parseLdapFilter(spec.filter),
    attributes: spec.attributes.length > 0 ? spec.attributes : ['1.1'],
    explicitBufferAttributes: spec.binary ?? [],
    paged: { pageSize: spec.limit !== undefined ? Math.min(spec.pageSize, Math.max(1, spec.limit)) : spec.pageSize }
  }
  if (spec.scope === 'base') {
    const { searchEntries } = await client.search(spec.base, { ...opts, paged: false })
    return searchEntries
  }
  const pages = client.searchPaginated(spec.base, opts)
  for await (const page of pages) {
    // with onPage the caller consumes the pages: nothing is kept here (flat memory on large lists)
    if (onPage === undefined) for (const e of page.searchEntries) out.push(e)
    const more = onPage?.(page.searchEntries)
    if (more === false || (spec.limit !== undefined && out.length >= spec.limit)) {
      await pages.return(undefined) // abandons the rest of the paged search
      break
    }
  }
  return spec.limit !== undefined ? out.slice(0, spec.limit) : out
}

const RANGE_RE = /^(.+);range=(\d+)-(\d+|\*)$/i

/**
 * All values of `attr` on the entry at `dn`, following AD's range retrieval when the server
 * answers with `attr;range=lo-hi` instead of `attr`. `entry` is the already-read entry, if any.
 */
export async function rangedValues (client: Client, dn: string, attr: string, entry?: Entry): Promise<string[]> {
  let current = entry ?? (await client.search(dn, { scope: 'base', filter: '(objectClass=*)', attributes: [attr] })).searchEntries[0]
  if (current === undefined) return []
  const plain = strings(current, attr)
  const out: string[] = []
  for (let guard = 0; guard < 100_000; guard++) {
    const ranged = rangeOf(current, attr)
    if (ranged === undefined) return out.length === 0 ? plain : out
    for (const v of ranged.values) out.push(v)
    if (ranged.high === '*') return out
    const next = `${attr};range=${Number(ranged.high) + 1}-*`
    current = (await client.search(dn, { scope: 'base', filter: '(objectClass=*)', attributes: [next] })).searchEntries[0]
    if (current === undefined) return out
  }
  return out
}

/** The `attr;range=lo-hi` values of an entry, if the server sent a range. */
export function rangeOf (entry: Entry, attr: string): { low: number, high: string, values: string[] } | undefined {
  for (const key of Object.keys(entry)) {
    const m = RANGE_RE.exec(key)
    if (m === null || m[1]?.toLowerCase() !== attr.toLowerCase()) continue
    return { low: Number(m[2]), high: m[3] ?? '*', values: strings(entry, key) }
  }
  return undefined
}
