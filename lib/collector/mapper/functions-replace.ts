// Replace, with every overload Microsoft documents for Entra expressions
//   Replace(source, oldValue, regexPattern, regexGroupName, replacementValue, replacementAttributeName, template)
// and SCIM Stream's three-argument form Replace(source, oldValue, newValue).
// Which overload applies is decided by which arguments are present, as the documentation lists:
// - oldValue + replacementValue: every occurrence of oldValue in source becomes replacementValue
// - oldValue + template: every occurrence of oldValue in template becomes the source value
// - regexPattern + replacementValue: every match becomes replacementValue (${group} / $1 allowed)
// - regexPattern + regexGroupName + replacementValue: the named group's text in every match is replaced
// - regexPattern + regexGroupName + replacementAttributeName: source when it has a value, else the
//   named group of regexPattern matched against replacementAttributeName
// A source without value gives no value (except in the last overload). Regular expressions are
// JavaScript's (.NET's `(?<name>…)` groups read the same); each pattern text is compiled once per
// compiled mapper.
import { fn, type FnContext, type FnDef } from './function-types.ts'
import { EvalError, optStr, toStr, type Value } from './values.ts'

const MAX_CACHE = 256

/** The pattern compiled once per compiled mapper (its cache), global flag, lastIndex reset. */
function regex (pattern: string, cache: Map<string, RegExp>): RegExp {
  let re = cache.get(pattern)
  if (re === undefined) {
    try {
      re = new RegExp(pattern, 'g')
    } catch (err) {
      throw new EvalError(`invalid regular expression ${JSON.stringify(pattern)}: ${(err as Error).message}`)
    }
    if (cache.size >= MAX_CACHE) cache.clear()
    cache.set(pattern, re)
  }
  re.lastIndex = 0
  return re
}

/** .NET's `${name}` group reference is JavaScript's `$<name>`. */
const jsReplacement = (r: string): string => r.replace(/\$\{([A-Za-z_]\w*)\}/g, '$<$1>')

function replaceGroup (source: string, re: RegExp, group: string, replacement: string): string {
  return source.replace(re, (...args: unknown[]) => {
    const match = args[0] as string
    const last = args[args.length - 1]
    const groups = typeof last === 'object' && last !== null ? last as Record<string, string | undefined> : undefined
    const g = groups?.[group]
    if (g === undefined || g === '') return match
    const idx = match.indexOf(g)
    return idx < 0 ? match : match.slice(0, idx) + replacement + match.slice(idx + g.length)
  })
}

function replace (a: Value[], ctx: FnContext): Value {
  if (a.length === 3) {
    const s = optStr(a[0])
    return s === undefined ? undefined : s.split(toStr(a[1])).join(toStr(a[2]))
  }
  const [src, oldV, pattern, groupName, replacement, replacementAttr, template] = a
  const source = optStr(src)
  // Present = written in the call (an omitted argument is undefined; an attribute without value is null).
  const has = (v: Value): boolean => v !== undefined
  if (has(pattern) && has(groupName) && !has(replacement) && has(replacementAttr)) {
    if (source !== undefined && source !== '') return source
    const other = optStr(replacementAttr)
    if (other === undefined) return source
    const m = regex(toStr(pattern), ctx.caches.regexes).exec(other)
    return m?.groups?.[toStr(groupName)] ?? source
  }
  if (source === undefined) return undefined
  if (has(oldV) && has(template)) return toStr(template).split(toStr(oldV)).join(source)
  if (has(oldV) && has(replacement)) {
    const o = toStr(oldV)
    return o === '' ? source : source.split(o).join(toStr(replacement))
  }
  if (has(pattern) && has(replacement)) {
    const re = regex(toStr(pattern), ctx.caches.regexes)
    if (has(groupName)) return replaceGroup(source, re, toStr(groupName), toStr(replacement))
    return source.replace(re, jsReplacement(toStr(replacement)))
  }
  throw new EvalError('Replace: give oldValue with replacementValue or template, or regexPattern with replacementValue or replacementAttributeName')
}

export const REPLACE_FUNCTIONS: readonly FnDef[] = [fn('Replace', 3, 7, replace)]
