// Command line of the `scim-stream` program:
//   scim-stream [--config <file>]                          run the service (default config/scim-stream.yaml)
//   scim-stream init --tenant <t> --collector hr|entra …    write a first config + NATS credentials + certs
//   scim-stream credentials --tenant <t> --type entra|hr|gw print a gateway's scimgateway.stream fragment
//   scim-stream rules test --tenant <t> --user <file.json>  dry-run dynamics + rules + messages
// Exit codes: 0 ok, 1 invalid configuration or failure, 2 usage error.
import { existsSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { isConfigError } from '../config/index.ts'
import { initCommand } from './cli-init.ts'
import { credentialsCommand } from './cli-credentials.ts'
import { rulesTestCommand } from './cli-rules-test.ts'
import { startService } from './service.ts'

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

/**
 * Runs the CLI and returns the exit code.
 * @example process.exitCode = await runCli(process.argv.slice(2), { out: console.log, err: console.error, env: process.env })
 */
export async function runCli (argv: readonly string[], io: CliIo): Promise<number> {
  try {
    const { positional, flags } = parseArgs(argv)
    if (flags.has('help') || positional[0] === 'help') { io.out(USAGE); return 0 }
    if (flags.has('version') || positional[0] === 'version') { io.out(`scim-stream ${await version()}`); return 0 }
    const config = one(flags, 'config') ?? io.env['SCIM-STREAM_CONFIG'] ?? io.env.SCIM_STREAM_CONFIG ?? 'config/scim-stream.yaml'
    switch (positional[0]) {
      case undefined:
      case 'run':
        return await runService(config, io)
      case 'init':
        return await initCommand(config, flags, io)
      case 'credentials':
        return await credentialsCommand(config, flags, io)
      case 'rules':
        if (positional[1] !== 'test') throw new UsageError('expected "rules test"')
        return await rulesTestCommand(config, flags, io)
      default:
        throw new UsageError(`unknown command "${positional[0]}"`)
    }
  } catch (err) {
    if (err instanceof UsageError) { io.err(`${err.message}\n\n${USAGE}`); return 2 }
    if (isConfigError(err)) { io.err(err.message); return 1 }
    if (err instanceof CliFailure) { io.err(`scim-stream: ${err.message}`); return 1 }
    io.err(`scim-stream: ${(err as Error).message}`)
    return 1
  }
}

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

async function runService (config: string, io: CliIo): Promise<number> {
  if (!existsSync(config)) {
    io.err(`scim-stream: no config file ${config}\nFirst start: scim-stream init --tenant <name> --collector hr|entra --config ${config}`)
    return 1
  }
  const svc = await startService({ configFile: config, env: io.env })
  const stop = io.stopSignal ?? (async () => await new Promise<void>(resolve => {
    process.once('SIGTERM', () => { resolve() })
    process.once('SIGINT', () => { resolve() })
  }))
  await stop()
  await svc.stop()
  return 0
}

/** The package version (package.json next to lib/). */
async function version (): Promise<string> {
  const pkg = JSON.parse(await readFile(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: unknown }
  return typeof pkg.version === 'string' ? pkg.version : 'unknown'
}
