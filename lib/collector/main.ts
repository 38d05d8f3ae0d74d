// Entry point of the `scim-stream` program (bin/scim-stream.mjs runs it through tsx).
import { runCli } from './cli/index.ts'

process.exitCode = await runCli(process.argv.slice(2), {
  out: (text) => { process.stdout.write(`${text}\n`) },
  err: (text) => { process.stderr.write(`${text}\n`) },
  env: process.env
})
