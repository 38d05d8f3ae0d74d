// `general.do_initial_load_filter`: the stream-rule filter of a filtered initial load, compiled the
// same way by the config check (config.ts) and by the tenant runtime that runs the load.
import { ConfigError, type ConfigProblem } from '../config/index.ts'
import { compileRuleSet, type CompiledRule } from './rules/index.ts'

/**
 * One stream-rule filter (no `-exclude`) choosing the users of a filtered initial load.
 * @throws ConfigError with the path when it does not compile
 * @example compileInitialLoadFilter('user.department -eq "Sales"', 'hr.acme.general.do_initial_load_filter')
 */
export function compileInitialLoadFilter (filter: string, at: string): CompiledRule[] {
  const problems: ConfigProblem[] = []
  const rules = compileRuleSet([{ filter }], at, { allowExclude: false, userOnly: false }, problems)
  // compileRuleSet names the rule `<at>[0].filter`; the key itself is the path users know.
  if (problems.length > 0) throw new ConfigError(undefined, problems.map(p => ({ path: at, message: p.message })))
  return rules
}
