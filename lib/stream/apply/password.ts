// generateUserPassword: a strong random initial password for users the subscriber creates.
import { randomInt } from 'node:crypto'

const UPPER = 'ABCDEFGHJKLMNPQRSTUVWXYZ'
const LOWER = 'abcdefghijkmnopqrstuvwxyz'
const DIGITS = '23456789'
const SPECIAL = '!#%+-.:=?@_'
const ALL = UPPER + LOWER + DIGITS + SPECIAL

/**
 * A random password from a CSPRNG: `length` characters (≥ 12), at least one upper-case letter,
 * lower-case letter, digit and special character; look-alike characters (0/O, 1/l/I) left out.
 * @example generatePassword() // e.g. 'q7R#mZ2x.Kp9hT4w'
 */
export function generatePassword (length = 20): string {
  const n = Math.max(12, length)
  const chars = [pick(UPPER), pick(LOWER), pick(DIGITS), pick(SPECIAL)]
  while (chars.length < n) chars.push(pick(ALL))
  for (let i = chars.length - 1; i > 0; i--) {
    const j = randomInt(i + 1)
    const t = chars[i] as string
    chars[i] = chars[j] as string
    chars[j] = t
  }
  return chars.join('')
}

function pick (set: string): string {
  return set.charAt(randomInt(set.length))
}
