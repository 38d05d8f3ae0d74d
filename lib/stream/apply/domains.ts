// replaceDomains: `@from` → `@to` in every string of a message (user, onCreate, Operations), matched
// literally (the configured text is regex-escaped) and case-insensitively, only as a whole domain
// (`@example.com` does not touch `@example.com.au` or `@example.community`).
import { isJsonObject, type JsonValue } from '../../scim/types.ts'

/** One configured replacement (`from`/`to` with or without the leading `@`). */
export interface DomainReplacement { from: string, to: string }

/** A compiled replacer; the identity function when nothing is configured. */
export type DomainReplacer = <T extends JsonValue | undefined>(value: T) => T

/**
 * Compiles the replacements once per entity.
 * @example compileDomainReplacer([{ from: 'old.com', to: 'new.com' }])('a@OLD.com') // 'a@new.com'
 */
export function compileDomainReplacer (replacements: readonly DomainReplacement[] | undefined): DomainReplacer {
  // called per message with the entity's (stable) options: compiled once per configured list
  if (replacements === undefined || replacements.length === 0) return identity
  let compiled = cache.get(replacements)
  if (compiled === undefined) { compiled = compile(replacements); cache.set(replacements, compiled) }
  return compiled
}

const cache = new WeakMap<readonly DomainReplacement[], DomainReplacer>()

function identity<T extends JsonValue | undefined> (v: T): T {
  return v
}

function compile (replacements: readonly DomainReplacement[]): DomainReplacer {
  const rules = replacements
    .map(r => ({ from: r.from.replace(/^@/, ''), to: r.to.replace(/^@/, '') }))
    .filter(r => r.from !== '')
    .map(r => ({ re: new RegExp(`@${escapeRegExp(r.from)}(?![A-Za-z0-9-]|\\.[A-Za-z0-9])`, 'gi'), to: `@${r.to}` }))
  if (rules.length === 0) return identity
  const text = (s: string): string => {
    let out = s
    // a function replacement, so `$&`/`$1` in the configured target stay literal
    for (const r of rules) if (out.includes('@')) out = out.replace(r.re, () => r.to)
    return out
  }
  const walk = (v: JsonValue | undefined): JsonValue | undefined => {
    if (typeof v === 'string') return text(v)
    if (Array.isArray(v)) return v.map(x => walk(x) ?? null)
    if (isJsonObject(v)) {
      const out: Record<string, JsonValue | undefined> = {}
      for (const [k, x] of Object.entries(v)) out[k] = walk(x)
      return out
    }
    return v
  }
  return <T extends JsonValue | undefined>(v: T): T => walk(v) as T
}

function escapeRegExp (s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&')
}
