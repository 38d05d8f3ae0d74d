// References in config values, resolved once at start (scimgateway's convention):
//   "process.env.NAME"        → the environment variable NAME
//   "process.text.<path>"     → the whole content of the file, trimmed (e.g. a mounted k8s secret)
//   "process.file.<path>"     → one value from a JSON file of secrets: an object of key/value pairs
//                               whose key is `<plugin>.<config path>` of the value that references it,
//                               e.g. { "plugin-loki.scimgateway.auth.basic[0].password": "…" }.
//                               A key without the plugin prefix (`scimgateway.auth.basic[0].password`)
//                               is accepted as fallback, so one file can serve several plugins.
// Relative paths resolve against the config directory. Every unresolvable reference is reported
// with its path; nothing is thrown.
import { readFile } from 'node:fs/promises'
import { isAbsolute, resolve } from 'node:path'
import type { JsonValue } from '../scim/types.ts'
import { isJsonObject } from '../scim/types.ts'
import type { ConfigProblem } from './errors.ts'
import { formatPath, type PathSegment } from './path.ts'

export type ReferenceKind = 'env' | 'file' | 'text'

export interface ResolveOptions {
  /** Directory that relative file paths resolve against (the config directory). */
  baseDir: string
  env: NodeJS.ProcessEnv
  /** Prefix of keys in `process.file` secret files, e.g. `plugin-loki`. */
  keyPrefix?: string
}

const PREFIX: ReadonlyArray<[ReferenceKind, string]> = [['env', 'process.env.'], ['file', 'process.file.'], ['text', 'process.text.']]
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/

/** The kind and target of a reference string, or undefined for an ordinary value. */
export function parseReference (value: string): { kind: ReferenceKind, target: string } | undefined {
  for (const [kind, prefix] of PREFIX) {
    if (value.startsWith(prefix)) return { kind, target: value.slice(prefix.length).trim() }
  }
  return undefined
}

/** True for `process.env.X`, `process.file.<path>` and `process.text.<path>` strings. */
export function isReference (value: string): boolean {
  return parseReference(value) !== undefined
}

/**
 * Returns a copy of `value` with every reference replaced by what it points to, plus the problems
 * of those that could not be resolved (each with its config path).
 * @example
 * await resolveReferences({ password: 'process.env.PW' }, { baseDir: '/cfg', env: { PW: 'x' } })
 * // { value: { password: 'x' }, problems: [] }
 */
export async function resolveReferences (value: JsonValue, opts: ResolveOptions): Promise<{ value: JsonValue, problems: ConfigProblem[] }> {
  const problems: ConfigProblem[] = []
  const files = new Map<string, Promise<string>>()
  const read = (target: string): Promise<string> => {
    const abs = isAbsolute(target) ? target : resolve(opts.baseDir, target)
    let p = files.get(abs)
    if (p === undefined) { p = readFile(abs, 'utf8'); files.set(abs, p) }
    return p
  }

  const visit = async (v: JsonValue, path: PathSegment[]): Promise<JsonValue> => {
    if (typeof v === 'string') {
      const ref = parseReference(v)
      if (ref === undefined) return v
      const r = await resolveOne(ref.kind, ref.target, path, read, opts)
      if ('problem' in r) { problems.push({ path: formatPath(path), message: r.problem }); return v }
      return r.value
    }
    if (Array.isArray(v)) return Promise.all(v.map((el, i) => visit(el, [...path, i])))
    if (isJsonObject(v)) {
      const out: Record<string, JsonValue> = {}
      for (const [k, el] of Object.entries(v)) {
        if (el !== undefined) out[k] = await visit(el, [...path, k])
      }
      return out
    }
    return v
  }

  return { value: await visit(value, []), problems }
}

type Resolved = { value: JsonValue } | { problem: string }

async function resolveOne (kind: ReferenceKind, target: string, path: PathSegment[], read: (t: string) => Promise<string>, opts: ResolveOptions): Promise<Resolved> {
  if (kind === 'env') {
    if (!ENV_NAME.test(target)) return { problem: `invalid environment variable name in "process.env.${target}"` }
    const v = opts.env[target]
    return v === undefined ? { problem: `environment variable ${target} is not set` } : { value: v }
  }
  if (target === '') return { problem: `"process.${kind}." needs a file path` }
  let content: string
  try {
    content = await read(target)
  } catch (err) {
    return { problem: `cannot read ${kind === 'text' ? 'text' : 'secrets'} file ${target} (${errorCode(err)})` }
  }
  if (kind === 'text') return { value: content.trim() }

  let secrets: unknown
  try {
    secrets = JSON.parse(content)
  } catch (err) {
    return { problem: `secrets file ${target} is not valid JSON (${err instanceof Error ? err.message : String(err)})` }
  }
  if (!isJsonObject(secrets)) return { problem: `secrets file ${target} must hold a JSON object of "<plugin>.<config path>": value pairs` }
  const plain = formatPath(path)
  const keys = opts.keyPrefix !== undefined ? [`${opts.keyPrefix}.${plain}`, plain] : [plain]
  for (const k of keys) {
    const v = secrets[k]
    if (v !== undefined) return { value: v }
  }
  return { problem: `secrets file ${target} has no key "${keys[0] ?? plain}"` }
}

function errorCode (err: unknown): string {
  if (typeof err === 'object' && err !== null && 'code' in err && typeof err.code === 'string') return err.code
  return err instanceof Error ? err.message : String(err)
}
