// What every `scim-stream` command shares: the I/O a command writes to, the usage text, the two
// failure kinds (usage mistake → exit 2, failure → exit 1) and the argument parser with its flag
// readers. A leaf of cli/: the subcommands and the entry (cli/main.ts) import it, it imports none of them.

/** Where a command writes (injectable for tests). */
export interface CliIo {
  out: (text: string) => void
  err: (text: string) => void
  env: NodeJS.ProcessEnv
  /** Resolves when the service should stop (default: SIGTERM or SIGINT). */
  stopSignal?: () => Promise<void>
}

/** A usage mistake: message + exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError'
}

export const USAGE = `Usage:
  scim-stream [--config <file>]
  scim-stream init --tenant <name> --collector hr|entra [--tenant … --collector …] [--config <file>] [--force]
  scim-stream credentials --tenant <name> --type entra|hr|gw [--config <file>] [--user <name>] [--entity <baseEntity>] [--host <public name>]
  scim-stream rules test --tenant <name> --user <file.json> [--config <file>]
  scim-stream -h | --help | help        scim-stream -v | --version
The default config file is config/scim-stream.yaml (or SCIM-STREAM_CONFIG / SCIM_STREAM_CONFIG).`

/** A failure that is not a usage mistake: its message alone, exit code 1. */
export class CliFailure extends Error {
  override name = 'CliFailure'
}

/** Parsed options: each flag may repeat. */
export type Flags = Map<string, string[]>

/** `--name value` / `--name=value` / `--flag` (boolean) → flags; the rest positional. */
export function parseArgs (argv: readonly string[]): { positional: string[], flags: Flags } {
  const positional: string[] = []
  const flags: Flags = new Map()
  const booleans = new Set(['force', 'help', 'version'])
  const short: Record<string, string> = { '-h': 'help', '-v': 'version', '-V': 'version' }
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string
    const s = short[a]
    if (s !== undefined) { flags.set(s, ['true']); continue }
    if (a === '--') { positional.push(...argv.slice(i + 1)); break }
    if (a.startsWith('-') && !a.startsWith('--') && a !== '-') throw new UsageError(`unknown option ${a}`)
    if (!a.startsWith('--')) { positional.push(a); continue }
    const eq = a.indexOf('=')
    const name = a.slice(2, eq === -1 ? undefined : eq)
    let value: string
    if (eq !== -1) value = a.slice(eq + 1)
    else if (booleans.has(name)) value = 'true'
    else {
      const next = argv[i + 1]
      if (next === undefined || next.startsWith('--')) throw new UsageError(`--${name} needs a value`)
      value = next
      i++
    }
    flags.set(name, [...(flags.get(name) ?? []), value])
  }
  return { positional, flags }
}

/** The single value of a flag (error when repeated). */
export function one (flags: Flags, name: string): string | undefined {
  const v = flags.get(name)
  if (v === undefined) return undefined
  if (v.length > 1) throw new UsageError(`--${name} given more than once`)
  return v[0]
}

/** The value of a required flag. */
export function required (flags: Flags, name: string): string {
  const v = one(flags, name)
  if (v === undefined || v === '') throw new UsageError(`--${name} is required`)
  return v
}
