// compileStreamRules: a tenant's `streams[]` ({ channel, rules: [{ filter }] }) compiled once; per
// message, the channels the user qualifies for and the user as each channel sees it.
//
// Semantics (documented choices):
// - Several rules of a stream = OR; inside a filter `and`, `or`, `not` and parentheses are allowed.
// - `-match` ignores case (PowerShell's operator, whose syntax the product follows); `-cmatch` does not.
// - A channel sees only the groups/roles its holding rules select: a group is included when a
//   holding rule's comparison on `user.groups…` matched it (likewise roles). A channel whose rules
//   never mention groups sees no groups. The filter `(.*)` alone means every user with all groups/roles.
// - `-exclude`: every group/role any -exclude of the channel matches is left out of that channel's
//   user, whichever rule selected it. The documented modifier form (`(user.groups.value -match "id"
//   -exclude)`: provision the members without the group) must also hold for the rule to hold; the
//   operator form (`(user.groups.display -exclude "^Sync_")`) only leaves elements out.
// - Attributes other than groups/roles are passed as they are; a user without `groups` keeps none.
import { ConfigError, type ConfigProblem } from '../../config/errors.ts'
import { findKey } from '../../scim/filter/index.ts'
import { isJsonObject, type JsonObject, type JsonValue } from '../../scim/types.ts'
import type { RuleMessage, Selection } from './evaluate.ts'
import { compileRuleSet, evaluateRuleSet, excludedElements, type CompiledRule } from './rule-set.ts'

/** One configured stream. */
export interface StreamDef { channel: string, rules: Array<{ filter: string }> }

/** One channel's view of a message's user. */
export interface ChannelUser {
  channel: string
  /** The user filtered for this channel (a new object; the input is not modified). */
  user: JsonObject
  /** Indices of the stream's rules that held. */
  matchedRules: number[]
}

/** Compiled streams. */
export interface CompiledStreams {
  readonly channels: readonly string[]
  /** The channels the message's user qualifies for, in config order, each with its filtered user. */
  evaluate: (message: RuleMessage) => ChannelUser[]
}

const CHANNEL = /^[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)*$/

/**
 * Compiles `streams[]`.
 * @throws ConfigError naming stream, rule and position of every problem (`streams[1].rules[0].filter: unexpected ")" at 31`)
 * @example
 * const streams = compileStreamRules([{ channel: 'AD', rules: [{ filter: '(user.groups.display -match "^AD-")' }] }])
 * for (const { channel, user } of streams.evaluate({ user })) publish(`ENTRA.${channel}`, user)
 */
export function compileStreamRules (streams: readonly StreamDef[], opts: { configPath?: string } = {}): CompiledStreams {
  const base = opts.configPath ?? 'streams'
  const problems: ConfigProblem[] = []
  if (!Array.isArray(streams)) throw new ConfigError(undefined, [{ path: base, message: 'must be a list of { channel, rules }' }])
  const compiled: Array<{ channel: string, rules: CompiledRule[] }> = []
  const seen = new Set<string>()
  streams.forEach((s: unknown, i) => {
    const at = `${base}[${i}]`
    if (!isJsonObject(s)) { problems.push({ path: at, message: 'must be an object { channel, rules }' }); return }
    const channel = s.channel
    if (typeof channel !== 'string' || !CHANNEL.test(channel)) problems.push({ path: `${at}.channel`, message: 'must be a channel name (letters, digits, _ and -, levels separated by ".")' })
    else if (seen.has(channel)) problems.push({ path: `${at}.channel`, message: `duplicate channel "${channel}"` })
    else seen.add(channel)
    const rules = compileRuleSet(s.rules, `${at}.rules`, { allowExclude: true, userOnly: false }, problems)
    if (typeof channel === 'string') compiled.push({ channel, rules })
  })
  if (problems.length > 0) throw new ConfigError(undefined, problems)
  return {
    channels: compiled.map(c => c.channel),
    evaluate (message: RuleMessage): ChannelUser[] {
      const out: ChannelUser[] = []
      for (const c of compiled) {
        const r = evaluateRuleSet(c.rules, message)
        if (r === undefined) continue
        out.push({ channel: c.channel, user: channelUser(message.user, r.selection, c.rules, message), matchedRules: r.matched })
      }
      return out
    },
  }
}

function channelUser (user: JsonObject, sel: Selection, rules: readonly CompiledRule[], msg: RuleMessage): JsonObject {
  const hasExclusions = rules.some(r => r.exclusions.length > 0)
  const ex = hasExclusions ? excludedElements(rules, msg) : undefined
  const out: JsonObject = Object.assign({}, user)
  pick(out, 'groups', sel.all, sel.groups, ex?.groups)
  pick(out, 'roles', sel.all, sel.roles, ex?.roles)
  return out
}

function pick (out: JsonObject, name: string, all: boolean, chosen: ReadonlySet<number> | undefined, excluded: ReadonlySet<number> | undefined): void {
  const k = findKey(out, name)
  if (k === undefined) return
  const list = out[k]
  if (!Array.isArray(list)) return
  const kept: JsonValue[] = []
  for (let i = 0; i < list.length; i++) {
    if (!(all || chosen?.has(i) === true)) continue
    if (excluded?.has(i) === true) continue
    kept.push(list[i] as JsonValue)
  }
  out[k] = kept
}
