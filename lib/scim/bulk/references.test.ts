// Tests of findBulkIdRefs and resolveBulkIds: where a `bulkId:` reference is recognised, deep replacement, immutability.
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { findBulkIdRefs, resolveBulkIds } from './references.ts'
import type { JsonValue } from '../types.ts'

const ids = new Map([['qwerty', '92b725cd'], ['ytrewq', 'e9e30dba']])

describe('resolveBulkIds', () => {
  const cases: Array<[string, JsonValue, JsonValue]> = [
    ['whole value', 'bulkId:qwerty', '92b725cd'],
    ['path segment', '/Groups/bulkId:qwerty', '/Groups/92b725cd'],
    ['baseEntity path', '/t1/Users/bulkId:ytrewq', '/t1/Users/e9e30dba'],
    ['URL $ref', 'https://example.com/v2/Users/bulkId:qwerty', 'https://example.com/v2/Users/92b725cd'],
    ['segment followed by more path', '/Users/bulkId:qwerty/x', '/Users/92b725cd/x'],
    ['unknown id left alone', 'bulkId:nope', 'bulkId:nope'],
    ['prose left alone', 'see bulkId:qwerty now', 'see bulkId:qwerty now'],
    ['case-sensitive prefix', 'BulkId:qwerty', 'BulkId:qwerty'],
    ['longer id is not a prefix match', 'bulkId:qwertyuiop', 'bulkId:qwertyuiop'],
    ['non-strings untouched', 42, 42],
    ['null untouched', null, null],
    ['deep in objects and arrays', { members: [{ value: 'bulkId:qwerty' }, { value: 'bulkId:ytrewq', display: 'bulkId:x y' }], n: 1 },
      { members: [{ value: '92b725cd' }, { value: 'e9e30dba', display: 'bulkId:x y' }], n: 1 }],
    ['keys are not references', { 'bulkId:qwerty': 'v' }, { 'bulkId:qwerty': 'v' }]
  ]
  for (const [name, input, expected] of cases) {
    it(name, () => { assert.deepEqual(resolveBulkIds(input, ids), expected) })
  }
  it('does not modify its input', () => {
    const input = { members: [{ value: 'bulkId:qwerty' }] }
    const copy = structuredClone(input)
    const out = resolveBulkIds(input, ids)
    assert.deepEqual(input, copy)
    assert.notEqual(out, input)
  })
  it('keeps a JSON "__proto__" key as data without touching the prototype', () => {
    const input = JSON.parse('{"__proto__": {"value": "bulkId:qwerty"}, "a": 1}') as JsonValue
    const out = resolveBulkIds(input, ids)
    assert.equal(Object.getPrototypeOf(out), Object.prototype)
    assert.deepEqual(Object.getOwnPropertyDescriptor(out, '__proto__')?.value, { value: '92b725cd' })
  })
})

describe('findBulkIdRefs', () => {
  it('finds each referenced id once, in first-seen order', () => {
    assert.deepEqual(findBulkIdRefs({ a: ['bulkId:b', 'bulkId:a'], c: { d: 'bulkId:b', e: '/Users/bulkId:c' } }), ['b', 'a', 'c'])
  })
  it('finds nothing in values without references', () => {
    assert.deepEqual(findBulkIdRefs({ userName: 'bjensen', n: 3, ok: true, x: null }), [])
    assert.deepEqual(findBulkIdRefs(undefined), [])
  })
})
