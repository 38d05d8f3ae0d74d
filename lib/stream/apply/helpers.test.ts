// replaceDomains (fixtures/domains.yaml), classifyError and generatePassword.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { parse } from 'yaml'
import { compileDomainReplacer, type DomainReplacement } from './domains.ts'
import { classifyError, type ErrorClass } from './classify.ts'
import { generatePassword } from './password.ts'
import { PermanentMessageError } from '../message.ts'
import { ScimError, NotFoundError, UniquenessError } from '../../scim/errors.ts'
import type { JsonValue } from '../../scim/types.ts'

interface DomainRow { name: string, replace: DomainReplacement[], input: JsonValue, expect: JsonValue }
const domainRows = parse(readFileSync(new URL('./fixtures/domains.yaml', import.meta.url), 'utf8')) as DomainRow[]

for (const r of domainRows) {
  test(`replaceDomains: ${r.name}`, () => {
    assert.deepEqual(compileDomainReplacer(r.replace)(r.input), r.expect)
  })
}

const errno = (code: string): Error => Object.assign(new Error(code), { code })
const named = (name: string): Error => Object.assign(new Error(name), { name })

const classifications: Array<[string, unknown, ErrorClass]> = [
  ['PermanentMessageError', new PermanentMessageError('bad'), 'permanent'],
  ['400 invalidValue', new ScimError(400, 'invalidValue', 'x'), 'permanent'],
  ['404', new NotFoundError('x'), 'permanent'],
  ['409 uniqueness', new UniquenessError('x'), 'permanent'],
  ['408 request timeout', new ScimError(408, undefined, 'x'), 'transient'],
  ['429 too many requests', new ScimError(429, undefined, 'x'), 'transient'],
  ['500', new ScimError(500, undefined, 'x'), 'transient'],
  ['501 not implemented (retry cannot help)', new ScimError(501, undefined, 'x'), 'permanent'],
  ['503', new ScimError(503, undefined, 'x'), 'transient'],
  ['504', new ScimError(504, undefined, 'x'), 'transient'],
  ['ECONNREFUSED', errno('ECONNREFUSED'), 'transient'],
  ['ECONNRESET', errno('ECONNRESET'), 'transient'],
  ['ETIMEDOUT', errno('ETIMEDOUT'), 'transient'],
  ['AbortError', named('AbortError'), 'transient'],
  ['TimeoutError', named('TimeoutError'), 'transient'],
  ['fetch failed with network cause', new TypeError('fetch failed', { cause: errno('ECONNREFUSED') }), 'transient'],
  ['wrapped permanent cause', new Error('apply failed', { cause: new PermanentMessageError('bad') }), 'permanent'],
  ['HTTP client error with status 422', Object.assign(new Error('x'), { status: 422 }), 'permanent'],
  ['HTTP client error with statusCode 502', Object.assign(new Error('x'), { statusCode: 502 }), 'transient'],
  ['unknown error: retried, never dropped', new Error('something odd'), 'transient'],
  ['a thrown string', 'boom', 'transient']
]

for (const [name, err, expected] of classifications) {
  test(`classifyError: ${name}`, () => { assert.equal(classifyError(err), expected) })
}

test('generatePassword: length, character classes, no repeats across calls', () => {
  const seen = new Set<string>()
  for (let i = 0; i < 200; i++) {
    const p = generatePassword()
    assert.equal(p.length, 20)
    assert.match(p, /[A-Z]/); assert.match(p, /[a-z]/); assert.match(p, /[0-9]/); assert.match(p, /[^A-Za-z0-9]/)
    assert.doesNotMatch(p, /[0O1lI]/)
    seen.add(p)
  }
  assert.equal(seen.size, 200)
  assert.equal(generatePassword(4).length, 12)
})
