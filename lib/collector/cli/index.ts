// Public API of the `scim-stream` command line: run it (lib/collector/main.ts is the program), parse
// its arguments, its usage text and I/O. One file per command in this folder; shared.ts is their leaf.
export { runCli } from './main.ts'
export { parseArgs, USAGE, UsageError, CliFailure, type CliIo, type Flags } from './shared.ts'
