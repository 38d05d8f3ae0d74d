// Dotted paths into HR responses and records (`d.results`, `@odata.nextLink`, `paging.next`,
// `employmentNav.results.[0].startDate`). Keys may themselves contain dots (`@odata.nextLink`): at
// each level the longest key that exists wins. `[n]` (or `.[n]`) selects an array element; a key
// applied to an array is applied to every element (fan-out), which is how a lifecycle path reaches
// all employments of a person.
import { isJsonObject, type JsonValue } from '../../../scim/types.ts'

/** A parsed path: keys and element indexes. */
export type PathSegment = { key: string } | { index: number }

const INDEX = /^\[(-?\d+)\]$/

/**
 * Parses a dotted path once.
 * @example parsePath('employmentNav.results[0].startDate')
 */
export function parsePath (path: string): PathSegment[] {
  const out: PathSegment[] = []
  for (const raw of path.replace(/([^.])\[/g, '$1.[').split('.')) {
    if (raw === '') continue
    const m = INDEX.exec(raw)
    out.push(m !== null ? { index: Number(m[1]) } : { key: raw })
  }
  return out
}

/**
 * The single value at `path` (the first one when a key fans out over an array), or undefined.
 * @example getPath(body, parsePath('d.__next'))
 */
export function getPath (root: JsonValue | undefined, path: readonly PathSegment[]): JsonValue | undefined {
  return getAll(root, path)[0]
}

/** Every value at `path` (a key applied to an array maps each element). */
export function getAll (root: JsonValue | undefined, path: readonly PathSegment[]): JsonValue[] {
  const out: JsonValue[] = []
  walk(root, path, 0, out)
  return out
}

function walk (v: JsonValue | undefined, path: readonly PathSegment[], i: number, out: JsonValue[]): void {
  if (v === undefined) return
  if (i >= path.length) {
    out.push(v)
    return
  }
  const seg = path[i]
  if (seg === undefined) return
  if ('index' in seg) {
    if (!Array.isArray(v)) return
    walk(v[seg.index < 0 ? v.length + seg.index : seg.index], path, i + 1, out)
    return
  }
  if (Array.isArray(v)) {
    for (const e of v) walk(e, path, i, out)
    return
  }
  if (!isJsonObject(v)) return
  // Longest dotted key first: `@odata.nextLink` is one key.
  for (let j = path.length; j > i; j--) {
    const key = joinKeys(path, i, j)
    if (key !== undefined && Object.prototype.hasOwnProperty.call(v, key)) {
      walk(v[key] ?? undefined, path, j, out)
      return
    }
  }
}

function joinKeys (path: readonly PathSegment[], from: number, to: number): string | undefined {
  let s = ''
  for (let k = from; k < to; k++) {
    const seg = path[k]
    if (seg === undefined || !('key' in seg)) return undefined
    s = k === from ? seg.key : `${s}.${seg.key}`
  }
  return s
}
