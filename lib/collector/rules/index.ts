// Public API of the stream-rule filter language: parse filters, compile streams[] and rule lists
// (the latter shared with dynamics).
export { parseRuleFilter, MAX_RULE_LENGTH } from './parser.ts'
export { RuleSyntaxError, type RuleNode, type RuleOp, type RulePath } from './ast.ts'
export type { RuleMessage, Selection } from './evaluate.ts'
export { GROUP_IDS_KEY, ROLE_APPS_KEY } from './evaluate.ts'
export { compileRuleSet, anyRuleHolds, evaluateRuleSet, type CompiledRule, type RuleSetOptions } from './rule-set.ts'
export { compileStreamRules, type StreamDef, type ChannelUser, type CompiledStreams } from './streams.ts'
