// The shared text helpers: normalizeText's rules, the collector's mapper and the subscriber's
// templates computing the same Normalize value for every input, and the random password generator.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { normalizeText } from './normalize.ts'
import { generatePassword, randomFromClasses, RandomSpecError } from './password.ts'
import { compileMapper } from '../collector/mapper/index.ts'
import { evaluateTemplate, parseTemplate } from '../stream/templates/index.ts'

const CASES: Array<[string, string]> = [
  ['Ærøskøbing', 'Aeroskobing'],
  ['ÆRØ', 'AERO'],
  ['ÆRØSKØBING', 'AEROSKOBING'],
  ['Æ', 'AE'],
  ['Æ-Ø', 'AE-O'],
  ['Æ\u0301r', 'Aer'], // a combining mark between the letter and the next one
  ['Þór', 'Thor'],
  ['ÞÓR', 'THOR'],
  ['Œuvre', 'Oeuvre'],
  ['straße', 'strasse'],
  ['Łódź', 'Lodz'],
  ['Đorđe', 'Dorde'],
  ['Zoë Müller', 'Zoe Muller'],
  ['Ångström Crème Brûlée', 'Angstrom Creme Brulee'],
  ['ıi', 'ii'],
  ['plain ASCII', 'plain ASCII']
]

test('normalizeText: diacritics stripped, letters transliterated, title case or capitals by the next letter', () => {
  for (const [input, expected] of CASES) assert.equal(normalizeText(input), expected, input)
})

test('the collector (Normalize, NormalizeDiacritics) and the subscriber (Normalize) agree', async () => {
  const mapper = compileMapper([
    { source: 'Normalize([v])', map_to: 'n' },
    { source: 'NormalizeDiacritics([v])', map_to: 'd' }
  ])
  const template = parseTemplate('Normalize([v])')
  for (const [input, expected] of CASES) {
    const { user, errors } = mapper.map({ v: input })
    assert.deepEqual(errors, [])
    const atGateway = await evaluateTemplate(template, { user: { v: input }, target: 'userName' }, 'Normalize([v])')
    assert.equal(user.n, expected, `collector Normalize ${input}`)
    assert.equal(user.d, expected, `collector NormalizeDiacritics ${input}`)
    assert.equal(atGateway, expected, `subscriber Normalize ${input}`)
  }
})

test('generatePassword: length, every character class, no look-alikes, distinct', () => {
  const seen = new Set<string>()
  for (let i = 0; i < 300; i++) {
    const p = generatePassword(16)
    assert.equal(p.length, 16)
    assert.match(p, /[A-Z]/)
    assert.match(p, /[a-z]/)
    assert.match(p, /[0-9]/)
    assert.match(p, /[^A-Za-z0-9]/)
    assert.doesNotMatch(p, /[0O1lI]/)
    seen.add(p)
  }
  assert.equal(seen.size, 300)
  assert.equal(generatePassword(3).length, 12, 'at least 12 characters')
})

test('randomFromClasses: minimums met, only allowed characters, positions shuffled', () => {
  const firstIsDigit = new Set<boolean>()
  for (let i = 0; i < 200; i++) {
    const s = randomFromClasses(6, [{ chars: '0123456789', min: 3 }], 'ab')
    assert.match(s, /^[0-9ab]{6}$/)
    assert.ok((s.match(/[0-9]/g) ?? []).length >= 3, s)
    firstIsDigit.add(/^[0-9]/.test(s))
  }
  assert.equal(firstIsDigit.size, 2, 'required characters are not always first')
  assert.throws(() => randomFromClasses(2, [{ chars: 'x', min: 3 }], 'a'), RandomSpecError)
  assert.throws(() => randomFromClasses(2, [{ chars: '', min: 1 }], 'a'), RandomSpecError)
  assert.throws(() => randomFromClasses(2, [], ''), RandomSpecError)
  assert.equal(randomFromClasses(0, [], ''), '')
})
