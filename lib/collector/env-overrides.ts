// Configuration overrides from the environment and from a vault file, in the SCIM Stream product's
// form: the config path upper-cased, levels joined by "_", with the prefix `SCIM-STREAM_` (or
// `SCIM_STREAM_`, for shells that dislike hyphens), e.g.
//   SCIM-STREAM_NATS_SERVER_PORT=9013
//   SCIM_STREAM_HR_MYCOMPANY_GENERAL_COLLECT_INTERVAL=600
//   SCIM-STREAM_HR_MYCOMPANY_AUTH_BASIC_PASSWORD=secret
// Keys contain "_" themselves, so a name is resolved against the schema's known keys (longest match
// first) and, inside maps of tenants, against the tenants present in the file.
// `SCIM-STREAM_VAULTFILE` names a YAML/JSON file of such names (or dotted paths) → values; the
// environment wins over the vault. Values are strings (numbers/booleans are coerced by validation);
// a value starting with "[" or "{" is parsed as JSON, so lists can be overridden too.
import { readFile } from 'node:fs/promises'
import { isAbsolute, resolve } from 'node:path'
import { parse as parseYaml } from 'yaml'
import type { ConfigProblem, Schema } from '../config/index.ts'
import type { Presence } from '../config/schema.ts'
import { isJsonObject } from '../scim/types.ts'
import type { JsonObject, JsonValue } from '../scim/types.ts'

/** One override: the name it came from and its value. */
export interface Override { name: string, tokens: string[], value: JsonValue }

const PREFIXES = ['SCIM-STREAM_', 'SCIM_STREAM_']
const VAULT_NAMES = ['SCIM-STREAM_VAULTFILE', 'SCIM_STREAM_VAULTFILE']
/** Names of the program itself, not config overrides. */
const RESERVED = new Set([...VAULT_NAMES, 'SCIM-STREAM_CONFIG', 'SCIM_STREAM_CONFIG'])

/** How the tree below a path looks: the keys of an object, or a map whose values have `child` keys. */
export type ShapeAt = (path: readonly string[]) => { keys: readonly string[] } | 'map' | undefined

/**
 * Reads overrides from the vault file (if named) and the environment, in that order.
 * Unreadable vault files are reported as problems.
 */
export async function readOverrides (env: NodeJS.ProcessEnv, baseDir: string, problems: ConfigProblem[]): Promise<Override[]> {
  const out: Override[] = []
  const vaultName = VAULT_NAMES.find(n => nonEmpty(env[n]) !== undefined)
  if (vaultName !== undefined) {
    const file = env[vaultName] as string
    const abs = isAbsolute(file) ? file : resolve(baseDir, file)
    try {
      const parsed: unknown = parseYaml(await readFile(abs, 'utf8'))
      if (!isJsonObject(parsed as JsonValue)) throw new Error('must be a map of names to values')
      for (const [k, v] of Object.entries(parsed as JsonObject)) {
        const o = toOverride(k, v ?? null, true)
        if (o !== undefined) out.push(o)
        else problems.push({ path: vaultName, message: `${abs}: "${k}" is not a SCIM-STREAM_… name or dotted config path` })
      }
    } catch (err) {
      problems.push({ path: vaultName, message: `cannot use vault file ${abs}: ${(err as Error).message}` })
    }
  }
  for (const [k, v] of Object.entries(env)) {
    if (v === undefined || RESERVED.has(k.toUpperCase())) continue
    const o = toOverride(k, parseValue(v), false)
    if (o !== undefined) out.push(o)
  }
  return out
}

/**
 * Applies overrides to a raw config tree (mutating copies; returns the new root). A name that does
 * not resolve to a config path is a problem (a typo must not be silently ignored).
 */
export function applyOverrides (root: JsonValue, overrides: readonly Override[], shapeAt: ShapeAt, problems: ConfigProblem[]): JsonValue {
  const tree: JsonObject = isJsonObject(root) ? root : {}
  for (const o of overrides) {
    const path = resolvePath(tree, o.tokens, shapeAt)
    if (path === undefined) {
      problems.push({ path: o.name, message: 'does not name a configuration key' })
      continue
    }
    setPath(tree, path, o.value)
  }
  return tree
}

// ---------------------------------------------------------------------------------------------

function toOverride (name: string, value: JsonValue, allowDotted: boolean): Override | undefined {
  const prefix = PREFIXES.find(p => name.toUpperCase().startsWith(p))
  if (prefix !== undefined) {
    const rest = name.slice(prefix.length)
    if (rest === '') return undefined
    return { name, tokens: rest.split('_').filter(t => t !== ''), value: typeof value === 'string' ? parseValue(value) : value }
  }
  if (allowDotted && /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)+$/.test(name)) {
    // dotted path: each segment is a whole key; encode it as one token group
    return { name, tokens: name.split('.').map(seg => `\u0000${seg}`), value }
  }
  return undefined
}

function parseValue (v: string): JsonValue {
  const t = v.trim()
  if (t.startsWith('[') || t.startsWith('{')) {
    try { return JSON.parse(t) as JsonValue } catch { return v }
  }
  return v
}

/** Resolves tokens to real keys, longest known key first; undefined when nothing fits. */
function resolvePath (tree: JsonObject, tokens: readonly string[], shapeAt: ShapeAt): string[] | undefined {
  const walk = (node: JsonValue | undefined, path: string[], i: number): string[] | undefined => {
    if (i === tokens.length) return path
    const tok = tokens[i] as string
    const shape = shapeAt(path) ?? (node !== undefined && isJsonObject(node) ? { keys: [] } : undefined)
    if (shape === undefined) return undefined
    const existing = isJsonObject(node ?? null) ? Object.keys(node as JsonObject) : []
    if (tok.startsWith('\u0000')) {
      const key = tok.slice(1)
      const real = existing.find(k => k.toLowerCase() === key.toLowerCase()) ??
        (shape === 'map' ? key : shape.keys.find(k => k.toLowerCase() === key.toLowerCase()))
      if (real === undefined) return undefined
      return walk(child(node, real), [...path, real], i + 1)
    }
    const candidates = shape === 'map' ? existing : [...new Set([...shape.keys, ...existing])]
    const ordered = candidates
      .map(k => ({ k, parts: k.toUpperCase().split('_') }))
      .sort((a, b) => b.parts.length - a.parts.length)
    for (const { k, parts } of ordered) {
      if (parts.every((p, j) => tokens[i + j]?.toUpperCase() === p)) {
        const r = walk(child(node, k), [...path, k], i + parts.length)
        if (r !== undefined) return r
      }
    }
    if (shape === 'map') {
      // a tenant that is not in the file yet: the shortest name that lets the rest resolve
      for (let n = 1; i + n < tokens.length; n++) {
        const key = tokens.slice(i, i + n).join('_').toLowerCase()
        const r = walk(undefined, [...path, key], i + n)
        if (r !== undefined) return r
      }
    }
    return undefined
  }
  return walk(tree, [], 0)
}

function child (node: JsonValue | undefined, key: string): JsonValue | undefined {
  return node !== undefined && isJsonObject(node) ? node[key] : undefined
}

function setPath (tree: JsonObject, path: readonly string[], value: JsonValue): void {
  let node: JsonObject = tree
  path.forEach((key, i) => {
    if (i === path.length - 1) {
      node[key] = value
      return
    }
    const next = node[key]
    if (next === undefined || next === null || !isJsonObject(next)) node[key] = {}
    node = node[key] as JsonObject
  })
}

function nonEmpty (v: string | undefined): string | undefined {
  return v === undefined || v.trim() === '' ? undefined : v
}

/** A ShapeAt over object schemas (their `shape`), with the given paths being maps of `mapChild`. */
export function shapeFromSchema (
  root: Schema<unknown, Presence>, maps: ReadonlyArray<{ at: readonly string[], child: Schema<unknown, Presence> }>
): ShapeAt {
  return (path) => {
    let schema: Schema<unknown, Presence> | undefined = root
    for (let i = 0; i < path.length; i++) {
      const map = maps.find(m => sameAs(path.slice(0, i), m.at))
      schema = map !== undefined ? map.child : schema?.shape?.[path[i] as string]
    }
    if (maps.some(m => sameAs(path, m.at))) return 'map'
    return schema?.shape === undefined ? undefined : { keys: Object.keys(schema.shape) }
  }
}

function sameAs (a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i])
}
