// Properties of the rule parser on arbitrary text: it parses or throws a RuleSyntaxError with a
// position inside the text — never another error.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { parseRuleFilter, RuleSyntaxError } from './index.ts'

const pieces = fc.constantFrom('(', ')', ' ', '"', '\'', 'user.groups.display', 'user.roles.app.value', '-match', '-exclude', '-cnotmatch', '-eq', 'and', 'or', 'not', '"^A"', '"(.*)"', '"(["', '.', '\\')
const text = fc.oneof(fc.string({ maxLength: 60 }), fc.array(pieces, { maxLength: 25 }).map(a => a.join('')))

test('parseRuleFilter: arbitrary text parses or fails with a positioned RuleSyntaxError', () => {
  fc.assert(fc.property(text, (s) => {
    try {
      parseRuleFilter(s)
    } catch (err) {
      assert.ok(err instanceof RuleSyntaxError, `${String(err)} for ${JSON.stringify(s)}`)
      assert.ok(err.pos >= 0 && err.pos <= s.length, `position ${err.pos} outside ${JSON.stringify(s)}`)
    }
  }), { numRuns: 3000 })
})
