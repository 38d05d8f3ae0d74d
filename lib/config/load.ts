// Loading a configuration file, once, at start:
//   read → parse (syntax errors with line:column) → encrypt cleartext secrets in the file in place
//   → resolve process.env/file/text references → decrypt in memory → overrides (PORT) → validate
//   (every problem with its path, defaults filled) → freeze.
// Any problem throws one ConfigError listing them all; the caller prints its message and exits.
import { readFile } from 'node:fs/promises'
import { basename, dirname, join, resolve } from 'node:path'
import type { JsonValue } from '../scim/types.ts'
import { isJsonObject } from '../scim/types.ts'
import type { Logger } from '../logging/types.ts'
import { silentLogger } from '../logging/types.ts'
import { ConfigError, type ConfigProblem } from './errors.ts'
import { cleartextSecretPaths, encryptSecretsInText, writeFileAtomic, type ConfigFormat } from './file-secrets.ts'
import { gatewayConfigSchema, type GatewayConfig } from './gateway-schema.ts'
import { JsonSyntaxError, parseJsonWithPositions } from './json-source.ts'
import { formatPath, type PathSegment } from './path.ts'
import { resolveReferences } from './references.ts'
import { deepFreeze, validate, type Infer, type Presence, type Schema } from './schema.ts'
import { decryptSecret, deriveSecretKey, isEncrypted, SECRET_KEY_NAMES, SecretDecryptError, type MachineIdentity, type SecretKey } from './secrets.ts'
import { parseYamlWithPositions, setYamlValue } from './yaml-source.ts'

export interface LoadOptions {
  /** Environment to read SEED, PORT, SCIM_CONFIG_DIR and `process.env.X` references from (default process.env). */
  env?: NodeJS.ProcessEnv
  log?: Logger
  /** Encrypt cleartext secrets in the file on load (default true). A read-only file is only logged. */
  encryptInPlace?: boolean
  /** Machine identity for the machine-derived key (tests); default: this machine. */
  machine?: MachineIdentity
}

export interface PluginLoadOptions extends LoadOptions {
  /** Directory of plugin-<name>.json (default $SCIM_CONFIG_DIR, else ./config). */
  configDir?: string
  /**
   * The plugin's schema of the `endpoint` section (lib/plugins/sdk): its problems join the one
   * ConfigError; the validated value is returned as `endpoint`.
   */
  endpointSchema?: Schema<unknown, Presence>
}

export interface YamlLoadOptions extends LoadOptions {
  /** Prefix of keys in `process.file` secret files (default: the file name without extension). */
  keyPrefix?: string
}

/** A loaded, validated, frozen config and where it came from. */
export interface LoadedConfig<T = GatewayConfig> {
  readonly config: T
  /** Absolute path of the file read. */
  readonly file: string
  readonly configDir: string
  /** Paths of the secrets that were encrypted in the file by this load. */
  readonly encryptedNow: readonly string[]
  /** With `endpointSchema`: the `endpoint` section validated and defaulted by it. */
  readonly endpoint?: unknown
}

/**
 * Loads `plugin-<name>.json` from the config directory, validated against the gateway schema.
 * @example
 * const { config } = await loadPluginConfig('loki', { log })
 * config.scimgateway.port // 8880 unless set (or PORT is)
 */
export async function loadPluginConfig (pluginName: string, opts: PluginLoadOptions = {}): Promise<LoadedConfig<GatewayConfig>> {
  const env = opts.env ?? process.env
  const configDir = resolve(opts.configDir ?? nonEmpty(env.SCIM_CONFIG_DIR) ?? defaultConfigDir())
  const name = pluginName.startsWith('plugin-') ? pluginName : `plugin-${pluginName}`
  const file = resolve(configDir, `${name}.json`)
  return await loadFile(file, 'json', gatewayConfigSchema, { ...opts, env }, name, (value, problems) => applyPortOverride(value, env, problems), opts.endpointSchema)
}

/**
 * Loads a YAML config (the SCIM Stream service's) against `schema`, with the same secret, reference
 * and validation handling as plugin configs. Comments in the file survive the in-place encryption.
 */
export async function loadYamlConfig<S extends Schema<unknown, Presence>> (file: string, schema: S, opts: YamlLoadOptions = {}): Promise<LoadedConfig<Infer<S>>> {
  const abs = resolve(file)
  const prefix = opts.keyPrefix ?? basename(abs).replace(/\.ya?ml$/i, '')
  return await loadFile(abs, 'yaml', schema, { ...opts, env: opts.env ?? process.env }, prefix, () => {})
}

/**
 * Writes one value back into a YAML file, keeping comments and formatting (atomic replace).
 * @example await updateYamlValue('config/stream.yaml', ['collector', 'do_initial_load'], false)
 */
export async function updateYamlValue (file: string, path: readonly PathSegment[], value: string | number | boolean | null): Promise<void> {
  const text = await readFile(file, 'utf8')
  const next = setYamlValue(text, path, value)
  if (next !== text) await writeFileAtomic(file, next)
}

// ---------------------------------------------------------------------------------------------

type Override = (value: JsonValue, problems: ConfigProblem[]) => void

async function loadFile<S extends Schema<unknown, Presence>> (
  file: string, format: ConfigFormat, schema: S, opts: LoadOptions & { env: NodeJS.ProcessEnv }, keyPrefix: string, override: Override,
  endpointSchema?: Schema<unknown, Presence>
): Promise<LoadedConfig<Infer<S>>> {
  const log = opts.log ?? silentLogger
  const configDir = dirname(file)
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (err) {
    throw new ConfigError(file, [{ path: '', message: `cannot read the config file (${codeOf(err)})` }])
  }
  const raw = parse(text, format, file, log)

  // Lazily derived: scrypt runs only when the file has something to encrypt or decrypt.
  let key: SecretKey | undefined
  const getKey = (): SecretKey => {
    if (key === undefined) {
      key = deriveSecretKey({ seed: opts.env.SEED, ...(opts.machine !== undefined ? { machine: opts.machine } : {}) })
      if (key.source === 'machine') log.warn('SEED is not set: config secrets use a key derived from this machine and cannot be decrypted elsewhere', { file })
    }
    return key
  }

  let encryptedNow: string[] = []
  if (opts.encryptInPlace !== false) {
    encryptedNow = await encryptInFile(file, text, format, getKey, log)
  }

  const problems: ConfigProblem[] = []
  const resolved = await resolveReferences(raw, { baseDir: configDir, env: opts.env, keyPrefix })
  problems.push(...resolved.problems)
  const decrypted = decryptTree(resolved.value, [], getKey, problems)
  override(decrypted, problems)
  // the plugin's endpoint schema (if any) checks `endpoint` first; the rest of the file is then
  // checked with the endpoint as the plugin validated it (defaults filled, null entries resolved)
  const ep = endpointSchema !== undefined ? validate(endpointSchema, isJsonObject(decrypted) ? decrypted.endpoint : undefined, { coerce: true }, ['endpoint']) : undefined
  const whole = ep !== undefined && isJsonObject(decrypted) ? { ...decrypted, endpoint: ep.ok ? ep.value as JsonValue : {} } : decrypted
  const result = validate(schema, whole, { coerce: true })
  problems.push(...result.errors)
  if (ep !== undefined) problems.push(...ep.errors)
  if (!result.ok || problems.length > 0) throw new ConfigError(file, problems.map(redact))
  log.info('configuration loaded', { file })
  return deepFreeze({ config: result.value, file, configDir, encryptedNow, ...(ep !== undefined ? { endpoint: ep.value } : {}) })
}

/** A wrongly typed secret must not be echoed into logs: `expected string, got 1234` → `got <hidden>`. */
function redact (p: ConfigProblem): ConfigProblem {
  const last = /([A-Za-z0-9_$@-]+)$/.exec(p.path)?.[1]
  if (last === undefined || !SECRET_KEY_NAMES.has(last)) return p
  return { path: p.path, message: p.message.replace(/, got .*$/s, ', got <hidden>') }
}

function parse (text: string, format: ConfigFormat, file: string, log: Logger): JsonValue {
  if (format === 'yaml') {
    const y = parseYamlWithPositions(text)
    if (y.problems.length > 0) throw new ConfigError(file, y.problems)
    return y.value
  }
  try {
    const parsed = parseJsonWithPositions(text)
    // JSON.parse (and so scimgateway) silently keeps the last of duplicate keys; say so.
    for (const dup of parsed.duplicateKeys) log.warn(`duplicate key ${formatPath(dup)}: the last one is used`, { file })
    return parsed.value
  } catch (err) {
    if (err instanceof JsonSyntaxError) throw new ConfigError(file, [{ path: '', message: `JSON syntax error: ${err.message}` }])
    throw err
  }
}

async function encryptInFile (file: string, text: string, format: ConfigFormat, getKey: () => SecretKey, log: Logger): Promise<string[]> {
  if (cleartextSecretPaths(text, format).length === 0) return []
  const result = encryptSecretsInText(text, format, getKey(), file)
  try {
    // Re-read: another process may have encrypted the file since we read it.
    const current = await readFile(file, 'utf8')
    if (current !== text) return []
    await writeFileAtomic(file, result.text)
    log.info(`encrypted ${result.changed.length} cleartext secret(s) in place`, { file, paths: result.changed })
    return result.changed
  } catch (err) {
    log.warn(`could not write encrypted secrets back (${codeOf(err)}); they stay cleartext in the file`, { file, paths: result.changed })
    return []
  }
}

function decryptTree (v: JsonValue, path: PathSegment[], getKey: () => SecretKey, problems: ConfigProblem[]): JsonValue {
  if (isEncrypted(v)) {
    try {
      return decryptSecret(v, getKey(), formatPath(path))
    } catch (err) {
      if (!(err instanceof SecretDecryptError)) throw err
      problems.push({ path: err.path, message: err.message.slice(err.path.length + 2) })
      return v
    }
  }
  if (Array.isArray(v)) return v.map((el, i) => decryptTree(el, [...path, i], getKey, problems))
  if (isJsonObject(v)) {
    const out: Record<string, JsonValue> = {}
    for (const [k, el] of Object.entries(v)) if (el !== undefined) out[k] = decryptTree(el, [...path, k], getKey, problems)
    return out
  }
  return v
}

function applyPortOverride (value: JsonValue, env: NodeJS.ProcessEnv, problems: ConfigProblem[]): void {
  const port = nonEmpty(env.PORT)
  if (port === undefined) return
  const n = Number(port)
  if (!/^\d+$/.test(port.trim()) || n < 1 || n > 65535) {
    problems.push({ path: 'PORT', message: `environment variable PORT must be an integer 1..65535, got ${JSON.stringify(port)}` })
    return
  }
  if (!isJsonObject(value)) return
  const gw = value.scimgateway
  if (gw === undefined || gw === null) value.scimgateway = { port: n }
  else if (isJsonObject(gw)) gw.port = n
}

function nonEmpty (v: string | undefined): string | undefined {
  return v === undefined || v.trim() === '' ? undefined : v
}

function codeOf (err: unknown): string {
  if (typeof err === 'object' && err !== null && 'code' in err && typeof err.code === 'string') return err.code
  return err instanceof Error ? err.message : String(err)
}

/**
 * `./config`, or — in a single binary built with `bun build --compile` (its modules live in Bun's
 * embedded `$bunfs`) — the `config` directory beside the executable, wherever it is started from.
 */
export function defaultConfigDir (moduleUrl: string = import.meta.url, execPath: string = process.execPath): string {
  return /[/\\]\$bunfs[/\\]|~BUN[/\\]/.test(decodeURIComponent(moduleUrl)) ? join(dirname(execPath), 'config') : 'config'
}
