// JSON paths of configuration values, as shown in error messages and used as keys of
// `process.file` secret files: `scimgateway.auth.basic[0].password`.
// Keys that would make the dotted form ambiguous are written in brackets: `endpoint["a.b"]`.

/** One step of a path: an object key or an array index. */
export type PathSegment = string | number

const PLAIN_KEY = /^[A-Za-z0-9_$@-]+$/

/**
 * Formats a path the way config errors and `process.file` keys show it.
 * @example formatPath(['scimgateway', 'auth', 'basic', 0, 'password']) // 'scimgateway.auth.basic[0].password'
 */
export function formatPath (path: readonly PathSegment[]): string {
  let out = ''
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`
    else if (PLAIN_KEY.test(seg)) out += out === '' ? seg : `.${seg}`
    else out += `[${JSON.stringify(seg)}]`
  }
  return out
}

/** Edit distance counting a swap of two neighbours as one edit (typos like "prot" for "port"). */
export function editDistance (a: string, b: string): number {
  if (a === b) return 0
  let before: number[] = []
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i)
  for (let i = 1; i <= a.length; i++) {
    const cur = [i]
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1
      let d = Math.min((prev[j] ?? 0) + 1, (cur[j - 1] ?? 0) + 1, (prev[j - 1] ?? 0) + cost)
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, (before[j - 2] ?? 0) + 1)
      cur[j] = d
    }
    before = prev
    prev = cur
  }
  return prev[b.length] ?? 0
}

/** The closest known name to `name` when it is close enough to be a likely typo, else undefined. */
export function didYouMean (name: string, known: Iterable<string>): string | undefined {
  const lower = name.toLowerCase()
  let best: string | undefined
  let bestDistance = Infinity
  for (const k of known) {
    const d = k.toLowerCase() === lower ? 0 : editDistance(lower, k.toLowerCase())
    if (d < bestDistance) { best = k; bestDistance = d }
  }
  const limit = Math.max(1, Math.floor(name.length / 3))
  return bestDistance <= limit ? best : undefined
}
