// Tests of the position-tracking JSON parser: a table of syntax errors (line:column) and values
// from fixtures/json-syntax.json, and a property test against JSON.parse.
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import fc from 'fast-check'
import { JsonSyntaxError, lineColumn, parseJsonWithPositions, spliceText } from './json-source.ts'

interface Case { name: string, input: string, error?: string, value?: unknown }
const cases = JSON.parse(readFileSync(new URL('./fixtures/json-syntax.json', import.meta.url), 'utf8')) as Case[]

describe('parseJsonWithPositions: fixture table', () => {
  for (const c of cases) {
    it(c.name, () => {
      if (c.error !== undefined) {
        assert.throws(() => parseJsonWithPositions(c.input), (err: unknown) => err instanceof JsonSyntaxError && err.message === c.error)
      } else {
        const parsed = parseJsonWithPositions(c.input)
        assert.deepEqual(parsed.value, c.value)
        assert.deepEqual(parsed.value, JSON.parse(c.input.replace(/^\ufeff/, '')))
      }
    })
  }
})

describe('parseJsonWithPositions', () => {
  it('agrees with JSON.parse and locates every string value exactly', () => {
    fc.assert(fc.property(fc.jsonValue(), fc.integer({ min: 0, max: 4 }), (value, indent) => {
      const text = JSON.stringify(value, null, indent)
      const parsed = parseJsonWithPositions(text)
      assert.deepEqual(parsed.value, JSON.parse(text))
      for (const t of parsed.strings) assert.equal(JSON.parse(text.slice(t.start, t.end)), t.value)
    }), { numRuns: 300 })
  })

  it('records paths of string values and duplicate keys', () => {
    const parsed = parseJsonWithPositions('{"a": {"b": ["x", {"c": "y"}]}, "k": 1, "k": "z"}')
    assert.deepEqual(parsed.strings.map(s => [s.path, s.value]), [[['a', 'b', 0], 'x'], [['a', 'b', 1, 'c'], 'y'], [['k'], 'z']])
    assert.deepEqual(parsed.duplicateKeys, [['k']])
  })

  it('splices non-overlapping edits in any order', () => {
    assert.equal(spliceText('abcdef', [{ start: 0, end: 1, text: 'X' }, { start: 4, end: 6, text: 'YY' }]), 'XbcdYY')
    assert.deepEqual(lineColumn('a\nbc\n', 3), { line: 2, column: 2 })
  })
})
