// One JSON parse for everything that enters from outside (HTTP bodies incl. Bulk, stream messages, GW
// envelopes): it measures the nesting depth of the text first and refuses a document nested deeper
// than the limit before JSON.parse builds it, so nothing downstream (journal JSON.stringify, Bulk
// reference resolution, schema walks — all recursive) can overflow the stack on hostile input.

/** Default nesting limit: SCIM resources nest 3–4 levels; 64 leaves room for any real document. */
export const DEFAULT_JSON_MAX_DEPTH = 64

/** Why {@link parseJsonLimited} refused a text: `depth` (nested too deep) or `syntax` (not JSON). */
export class JsonInputError extends Error {
  constructor (readonly kind: 'depth' | 'syntax', message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'JsonInputError'
  }
}

const OPEN_OBJECT = 0x7b // {
const OPEN_ARRAY = 0x5b // [
const CLOSE_OBJECT = 0x7d // }
const CLOSE_ARRAY = 0x5d // ]
const QUOTE = 0x22
const BACKSLASH = 0x5c

/**
 * The deepest nesting of objects/arrays in `text`, stopping as soon as it exceeds `stopAbove`
 * (brackets inside strings do not count). A linear scan with no recursion and no allocation.
 */
export function jsonNestingDepth (text: string, stopAbove = Number.POSITIVE_INFINITY): number {
  let depth = 0
  let max = 0
  let inString = false
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (inString) {
      if (c === BACKSLASH) i++
      else if (c === QUOTE) inString = false
      continue
    }
    if (c === QUOTE) inString = true
    else if (c === OPEN_OBJECT || c === OPEN_ARRAY) {
      if (++depth > max) {
        max = depth
        if (max > stopAbove) return max
      }
    } else if (c === CLOSE_OBJECT || c === CLOSE_ARRAY) depth--
  }
  return max
}

/**
 * JSON.parse with a nesting limit.
 * @throws JsonInputError `depth` when the text nests deeper than `maxDepth`, `syntax` when it is not JSON
 * @example parseJsonLimited('{"a":[1]}', 64) // { a: [1] }
 */
export function parseJsonLimited (text: string, maxDepth: number = DEFAULT_JSON_MAX_DEPTH): unknown {
  if (jsonNestingDepth(text, maxDepth) > maxDepth) {
    throw new JsonInputError('depth', `JSON nested deeper than ${maxDepth} levels`)
  }
  try {
    return JSON.parse(text)
  } catch (e) {
    throw new JsonInputError('syntax', e instanceof Error ? e.message : 'invalid JSON', { cause: e })
  }
}
