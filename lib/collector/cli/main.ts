// Command line of the `scim-stream` program:
//   scim-stream [--config <file>]                          run the service (default config/scim-stream.yaml)
//   scim-stream init --tenant <t> --collector hr|entra …    write a first config + NATS credentials + certs
//   scim-stream credentials --tenant <t> --type entra|hr|gw print a gateway's scimgateway.stream fragment
//   scim-stream rules test --tenant <t> --user <file.json>  dry-run dynamics + rules + messages
// Exit codes: 0 ok, 1 invalid configuration or failure, 2 usage error.
import { readFile } from 'node:fs/promises'
import { isConfigError } from '../../config/index.ts'
import { CliFailure, UsageError, USAGE, one, parseArgs, type CliIo } from './shared.ts'
import { runCommand } from './run.ts'
import { initCommand } from './init.ts'
import { credentialsCommand } from './credentials.ts'
import { rulesTestCommand } from './rules-test.ts'

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
        return await runCommand(config, io)
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

/** The package version (package.json next to lib/). */
async function version (): Promise<string> {
  const pkg = JSON.parse(await readFile(new URL('../../../package.json', import.meta.url), 'utf8')) as { version?: unknown }
  return typeof pkg.version === 'string' ? pkg.version : 'unknown'
}
