// Encrypting and decrypting the secrets of a config file in place. Only the string tokens of the
// secret values change; every other byte (formatting, key order, YAML comments) stays as it was.
// Files are replaced atomically (temp file in the same directory + rename) with their mode kept.
import { chmod, readFile, realpath, rename, stat, unlink, writeFile } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'
import { randomBytes } from 'node:crypto'
import type { ConfigProblem } from './errors.ts'
import { ConfigError } from './errors.ts'
import { JsonSyntaxError, parseJsonWithPositions, spliceText, type StringToken } from './json-source.ts'
import { formatPath } from './path.ts'
import { decryptSecret, encryptSecret, isEncrypted, needsEncryption, SecretDecryptError, type SecretKey } from './secrets.ts'
import { parseYamlWithPositions, spliceYamlScalars } from './yaml-source.ts'

/** The format of a config file, by extension (.yaml/.yml = YAML, anything else JSON). */
export type ConfigFormat = 'json' | 'yaml'

export interface RewriteResult {
  /** The new text (equal to the input when nothing changed). */
  text: string
  /** Paths of the values that were changed. */
  changed: string[]
}

/** The format of `file` by its extension. */
export function formatOf (file: string): ConfigFormat {
  return /\.ya?ml$/i.test(file) ? 'yaml' : 'json'
}

/** String values of a config text with their positions; syntax errors become a ConfigError. */
export function scanStrings (text: string, format: ConfigFormat, file?: string): StringToken[] {
  if (format === 'yaml') {
    const parsed = parseYamlWithPositions(text)
    if (parsed.problems.length > 0) throw new ConfigError(file, parsed.problems)
    return parsed.strings
  }
  try {
    return parseJsonWithPositions(text).strings
  } catch (err) {
    if (err instanceof JsonSyntaxError) throw new ConfigError(file, [{ path: '', message: `JSON syntax error: ${err.message}` }])
    throw err
  }
}

/**
 * Encrypts every cleartext secret of a JSON or YAML text (see SECRET_KEY_NAMES); references and
 * already-encrypted values stay as they are.
 */
export function encryptSecretsInText (text: string, format: ConfigFormat, key: SecretKey, file?: string): RewriteResult {
  const targets = scanStrings(text, format, file).filter(t => needsEncryption(t.path, t.value))
  return apply(text, format, targets.map(t => ({ token: t, value: encryptSecret(t.value, key) })))
}

/** Decrypts every encrypted value of a JSON or YAML text back to cleartext (the CLI's `decrypt`). */
export function decryptSecretsInText (text: string, format: ConfigFormat, key: SecretKey, file?: string): RewriteResult {
  const problems: ConfigProblem[] = []
  const edits: Array<{ token: StringToken, value: string }> = []
  for (const t of scanStrings(text, format, file)) {
    if (!isEncrypted(t.value)) continue
    try {
      edits.push({ token: t, value: decryptSecret(t.value, key, formatPath(t.path)) })
    } catch (err) {
      if (!(err instanceof SecretDecryptError)) throw err
      problems.push({ path: err.path, message: err.message.slice(err.path.length + 2) })
    }
  }
  if (problems.length > 0) throw new ConfigError(file, problems)
  return apply(text, format, edits)
}

/** Paths holding cleartext secrets that `encryptSecretsInText` would encrypt. */
export function cleartextSecretPaths (text: string, format: ConfigFormat): string[] {
  return scanStrings(text, format).filter(t => needsEncryption(t.path, t.value)).map(t => formatPath(t.path))
}

/** Reads, rewrites with `fn` and (when changed) atomically replaces a file. */
export async function rewriteFile (file: string, fn: (text: string) => RewriteResult): Promise<RewriteResult> {
  const text = await readFile(file, 'utf8')
  const result = fn(text)
  if (result.text !== text) await writeFileAtomic(file, result.text)
  return result
}

/**
 * Replaces `file` with `text` atomically: a temp file in the same directory, then rename. The mode
 * of the existing file is kept (a 0600 config stays 0600); a symlink is followed, not replaced.
 */
export async function writeFileAtomic (path: string, text: string): Promise<void> {
  // Write next to the real file, so a symlinked config keeps its link.
  const file = await realpath(path).catch(() => path)
  let mode = 0o600
  try { mode = (await stat(file)).mode & 0o7777 } catch { /* new file */ }
  const tmp = join(dirname(file), `.${basename(file)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`)
  try {
    await writeFile(tmp, text, { mode })
    await chmod(tmp, mode) // writeFile's mode is filtered by the umask
    await rename(tmp, file)
  } catch (err) {
    await unlink(tmp).catch(() => {})
    throw err
  }
}

function apply (text: string, format: ConfigFormat, edits: ReadonlyArray<{ token: StringToken, value: string }>): RewriteResult {
  const changed = edits.map(e => formatPath(e.token.path))
  if (edits.length === 0) return { text, changed }
  const out = format === 'yaml'
    ? spliceYamlScalars(text, edits.map(e => ({ start: e.token.start, end: e.token.end, value: e.value })))
    : spliceText(text, edits.map(e => ({ start: e.token.start, end: e.token.end, text: JSON.stringify(e.value) })))
  return { text: out, changed }
}
