// The registry of mapper functions: which names exist (case-insensitive), which the mapper
// evaluates, which only the subscriber can evaluate (templates), and which do not apply here.
import type { FnDef } from './function-types.ts'
import { OTHER_FUNCTIONS } from './functions-other.ts'
import { REPLACE_FUNCTIONS } from './functions-replace.ts'
import { TEXT_FUNCTIONS } from './functions-text.ts'

const EVALUATED: ReadonlyMap<string, FnDef> = new Map(
  [...TEXT_FUNCTIONS, ...REPLACE_FUNCTIONS, ...OTHER_FUNCTIONS].map(f => [f.name.toLowerCase(), f]),
)

/**
 * Functions that need the target endpoint, so only the subscriber can evaluate them
 * (STREAM-CONTRACT "template functions to evaluate at the subscriber").
 */
const SUBSCRIBER_ONLY: ReadonlyMap<string, string> = new Map([['getuniquevalue', 'GetUniqueValue'], ['increment', 'Increment']])

/** Every function a subscriber knows how to evaluate inside a template. */
const SUBSCRIBER_KNOWN: ReadonlySet<string> = new Set([
  'getuniquevalue', 'increment', 'join', 'normalize', 'lowercase', 'uppercase', 'firstn', 'elementnumber', 'replace',
])

/** Entra functions about Entra app role assignments, which have no meaning for SCIM Stream. */
const NOT_APPLICABLE: ReadonlySet<string> = new Set(['approleassignmentscomplex', 'singleapproleassignment'])

/** What a function name means to the mapper. */
export type FunctionKind =
  | { kind: 'evaluated', def: FnDef }
  | { kind: 'subscriber', name: string }
  | { kind: 'notApplicable' }
  | { kind: 'unknown' }

/** Looks a function name up (case-insensitive). */
export function lookupFunction (name: string): FunctionKind {
  const l = name.toLowerCase()
  const def = EVALUATED.get(l)
  if (def !== undefined) return { kind: 'evaluated', def }
  const sub = SUBSCRIBER_ONLY.get(l)
  if (sub !== undefined) return { kind: 'subscriber', name: sub }
  if (NOT_APPLICABLE.has(l)) return { kind: 'notApplicable' }
  return { kind: 'unknown' }
}

/** True when a subscriber can evaluate this function inside a template. */
export function subscriberKnows (name: string): boolean {
  return SUBSCRIBER_KNOWN.has(name.toLowerCase())
}

/** Names of all functions the mapper evaluates (canonical spelling). */
export function evaluatedFunctionNames (): string[] {
  return [...EVALUATED.values()].map(f => f.name).sort()
}
