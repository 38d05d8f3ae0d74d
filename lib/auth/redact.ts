// How rejected credentials' identifiers appear in logs. A user name that failed may be a password
// typed into the wrong field, so it is never logged verbatim: only a keyed hash (HMAC-SHA256 with a
// per-process random key, so a log reader cannot test password guesses against it) and the length.
// Within one run, the same rejected name always gives the same tag, so repeated attempts correlate.
import { createHmac, randomBytes } from 'node:crypto'

const key = randomBytes(32)

/**
 * A log-safe tag for a rejected identifier.
 * @example redactIdentifier('alice') // 'hmac:3f2a91c07d (5 chars)'
 */
export function redactIdentifier (value: string): string {
  const tag = createHmac('sha256', key).update(value, 'utf8').digest('hex').slice(0, 10)
  return `hmac:${tag} (${value.length} chars)`
}
