// `scim-stream [run]`: runs the service with the config file until SIGTERM or SIGINT (or the
// injected stop signal), then stops it cleanly. Without a config file it says how to make one.
import { existsSync } from 'node:fs'
import { startService } from '../service.ts'
import type { CliIo } from './shared.ts'

/** Runs the service; returns the exit code. */
export async function runCommand (config: string, io: CliIo): Promise<number> {
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
