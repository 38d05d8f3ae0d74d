// Keyed serialisation inside one gateway process. The transport serialises messages per user; two
// different users can still race for the same endpoint resource — the same missing group, or the
// same GetUniqueValue/Increment value. A serializer passed in ApplyDeps closes those races within a
// process (across gateways, a plugin's uniqueness checks (409) remain the guard; see apply.ts).

/** Runs `fn` after every earlier call with the same key has settled. */
export type Serializer = <T>(key: string, fn: () => Promise<T>) => Promise<T>

/**
 * A serializer with its own state (create one per subscriber entity; nothing is global).
 * @example const serialize = createKeyedSerializer(); await applyStreamMessage(msg, { ...deps, serialize })
 */
export function createKeyedSerializer (): Serializer {
  const tails = new Map<string, Promise<unknown>>()
  return async <T>(key: string, fn: () => Promise<T>): Promise<T> => {
    const before = tails.get(key) ?? Promise.resolve()
    const run = before.then(fn, fn)
    const tail = run.then(() => undefined, () => undefined)
    tails.set(key, tail)
    try {
      return await run
    } finally {
      if (tails.get(key) === tail) tails.delete(key)
    }
  }
}

/** The serializer used when none is given: runs `fn` at once. */
export const runAtOnce: Serializer = async (_key, fn) => await fn()
