// Maps driver errors to SCIM errors and retries what is safe to retry: a lost connection once (the
// pool has dropped it; an uncommitted transaction was rolled back by the server), deadlocks and
// serialisation failures a few times. A failed COMMIT is never retried: its outcome is unknown.
import { InvalidValueError, UniquenessError, isScimError } from '../../scim/errors.ts'
import { ServiceUnavailableError } from '../sdk/errors.ts'
import { CommitError } from './db.ts'
import type { Dialect } from './dialect.ts'

/** The error a client sees for a driver error; `uniqueDetail` names what was not unique. */
export function toScimError (d: Dialect, err: unknown, uniqueDetail: () => string): Error {
  if (isScimError(err)) return err
  if (err instanceof CommitError) {
    return new ServiceUnavailableError(`the database connection failed while committing; the change may or may not have been applied (${err.message})`, { cause: err })
  }
  const msg = err instanceof Error ? err.message : String(err)
  switch (d.classify(err)) {
    case 'unique': return new UniquenessError(uniqueDetail())
    case 'data': return new InvalidValueError(`the database refused a value: ${msg}`)
    case 'connection': return new ServiceUnavailableError(`database unavailable: ${msg}`, { cause: err })
    case 'retry': return new ServiceUnavailableError(`database busy (deadlock), try again: ${msg}`, { cause: err, retryAfter: 1 })
    default: return err instanceof Error ? err : new Error(msg)
  }
}

/** Runs `fn`, retrying lost connections once and deadlocks up to three times; errors come out as ScimErrors. */
export async function withRetry<T> (d: Dialect, fn: () => Promise<T>, uniqueDetail: () => string = () => 'a unique value is already in use'): Promise<T> {
  let connRetries = 1
  let deadlockRetries = 3
  for (;;) {
    try {
      return await fn()
    } catch (err) {
      if (isScimError(err) || err instanceof CommitError) throw toScimError(d, err, uniqueDetail)
      const cls = d.classify(err)
      if (cls === 'connection' && connRetries-- > 0) continue
      if (cls === 'retry' && deadlockRetries-- > 0) continue
      throw toScimError(d, err, uniqueDetail)
    }
  }
}
