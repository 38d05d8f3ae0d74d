// ConfigError: every problem of a configuration file, each with its path, in one readable message.
// The caller prints `err.message` on stderr and exits non-zero — no stack trace for a config mistake.

/** One configuration problem. `path` is the JSON path (`scimgateway.port`), or '' for the whole file. */
export interface ConfigProblem { path: string, message: string }

/**
 * A configuration that cannot be used. `message` lists every problem, one per line.
 * @example
 * try { await loadPluginConfig('loki') } catch (err) {
 *   if (isConfigError(err)) { console.error(err.message); process.exit(1) }
 *   throw err
 * }
 */
export class ConfigError extends Error {
  readonly file: string | undefined
  readonly problems: readonly ConfigProblem[]

  constructor (file: string | undefined, problems: readonly ConfigProblem[], options?: ErrorOptions) {
    super(formatProblems(file, problems), options)
    this.name = 'ConfigError'
    this.file = file
    this.problems = problems
  }
}

/** True when `err` is a ConfigError (also across module copies, by name). */
export function isConfigError (err: unknown): err is ConfigError {
  return err instanceof ConfigError || (err instanceof Error && err.name === 'ConfigError' && 'problems' in err)
}

function formatProblems (file: string | undefined, problems: readonly ConfigProblem[]): string {
  const where = file !== undefined ? ` in ${file}` : ''
  const count = problems.length === 1 ? '1 problem' : `${problems.length} problems`
  const lines = problems.map(p => `  - ${p.path !== '' ? `${p.path}: ` : ''}${p.message}`)
  return [`Invalid configuration${where} (${count}):`, ...lines].join('\n')
}
