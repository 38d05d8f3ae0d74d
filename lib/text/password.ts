// Random passwords and strings from the operating system's CSPRNG (node:crypto), shared by the
// collector's RandomString() mapper function and the gateway subscriber's generateUserPassword.
// One implementation: required character classes are drawn first, the rest from a fill alphabet,
// then a Fisher-Yates shuffle so the required characters are not at predictable positions.
import { randomInt } from 'node:crypto'

/** A character class that must occur at least `min` times. */
export interface CharClass {
  chars: string
  min: number
}

/** What {@link randomFromClasses} rejects (the caller maps it to its own error type). */
export class RandomSpecError extends Error {
  constructor (message: string) {
    super(message)
    this.name = 'RandomSpecError'
  }
}

/**
 * `length` random characters with at least `min` characters of every class, the rest from `fill`.
 * Uniform per character (randomInt has no modulo bias); the result is shuffled.
 * @throws RandomSpecError when the minimums exceed `length`, a required class is empty or `fill` is
 * empty while characters remain to be filled
 * @example randomFromClasses(8, [{ chars: '0123456789', min: 2 }], 'abcdefghijklmnopqrstuvwxyz')
 */
export function randomFromClasses (length: number, classes: readonly CharClass[], fill: string): string {
  if (!Number.isInteger(length) || length < 0) throw new RandomSpecError(`length must be a whole number ≥ 0, got ${length}`)
  const required = classes.reduce((n, c) => n + Math.max(0, c.min), 0)
  if (required > length) throw new RandomSpecError(`the minimums (${required}) exceed the length (${length})`)
  const out: string[] = []
  for (const c of classes) {
    if (c.min <= 0) continue
    const set = [...c.chars]
    if (set.length === 0) throw new RandomSpecError('a required character class has no characters')
    for (let i = 0; i < c.min; i++) out.push(pick(set))
  }
  const rest = [...fill]
  if (out.length < length && rest.length === 0) throw new RandomSpecError('no characters to fill the rest with')
  while (out.length < length) out.push(pick(rest))
  shuffle(out)
  return out.join('')
}

// The subscriber's alphabet leaves out look-alikes (0/O, 1/l/I) because people may type the password.
const UPPER = 'ABCDEFGHJKLMNPQRSTUVWXYZ'
const LOWER = 'abcdefghijkmnopqrstuvwxyz'
const DIGITS = '23456789'
const SPECIAL = '!#%+-.:=?@_'

/**
 * A strong initial password: `length` characters (at least 12) with at least one upper-case letter,
 * lower-case letter, digit and special character; look-alike characters left out.
 * @example generatePassword() // e.g. 'q7R#mZ2x.Kp9hT4w'
 */
export function generatePassword (length = 20): string {
  const classes = [UPPER, LOWER, DIGITS, SPECIAL].map(chars => ({ chars, min: 1 }))
  return randomFromClasses(Math.max(12, Math.floor(length)), classes, UPPER + LOWER + DIGITS + SPECIAL)
}

function pick (set: readonly string[]): string {
  return set[randomInt(set.length)] as string
}

function shuffle (a: string[]): void {
  for (let i = a.length - 1; i > 0; i--) {
    const j = randomInt(i + 1)
    const t = a[i] as string
    a[i] = a[j] as string
    a[j] = t
  }
}
