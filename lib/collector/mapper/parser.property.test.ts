// Properties of the mapper's parsers on arbitrary text: they either parse or throw a
// MapperSyntaxError with a position inside the text — never another error.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { compileSource, MapperSyntaxError, parseExpression, parseSourcePath } from './index.ts'
import { printExpr, printPath } from './print.ts'

const alphabet = fc.constantFrom(...'()[]{},."\\=<>&H-0123456789 aZ_:JoinLeftCDate-most_current'.split(''))
const text = fc.oneof(fc.string({ maxLength: 60 }), fc.array(alphabet, { maxLength: 60 }).map(a => a.join('')))

test('compileSource: arbitrary text parses or fails with a positioned MapperSyntaxError', () => {
  fc.assert(fc.property(text, (s) => {
    try {
      compileSource(s)
    } catch (err) {
      assert.ok(err instanceof MapperSyntaxError, `${String(err)} for ${JSON.stringify(s)}`)
      assert.ok(err.pos >= 0 && err.pos <= s.length, `position ${err.pos} outside ${JSON.stringify(s)}`)
    }
  }), { numRuns: 3000 })
})

test('compileSource: string literals round-trip through escaping', () => {
  fc.assert(fc.property(fc.string({ maxLength: 40 }), (s) => {
    const literal = '"' + s.replace(/\\/g, '\\\\').replace(/"/g, '\\"') + '"'
    const c = compileSource(`Join("", ${literal})`)
    assert.equal(c.kind, 'eval')
    if (c.kind === 'eval') assert.equal(c.run({}, { now: new Date(0), mapTo: '', isUnique: undefined, memo: new Map(), caches: { regexes: new Map(), formats: new Map() } }), s)
  }), { numRuns: 1000 })
})

// The translation of documented entries prints trees back to text: printing must be a fixpoint
// (parse → print → parse → print gives the same text) and keep the meaning of literals.
const exprish = fc.array(fc.constantFrom('Join(', 'LowerCase(', 'FirstN(', 'ElementNumber(', ')', ',', ' ', '[a.b]', '[x.[0].y]', '[p.[{"k":true}].v]',
  '[(l -most_current "s").f]', '"t"', '"q\\"x"', '"\\\\d"', '1', '-2', 'true', 'null', '=', '<>', '&H1F', 'vbTextCompare'), { maxLength: 14 }).map(a => a.join(''))

test('printExpr/printPath: print ∘ parse is a fixpoint for every text that parses', () => {
  fc.assert(fc.property(exprish, (s) => {
    let tree
    try { tree = parseExpression(s) } catch { return }
    const once = printExpr(tree)
    assert.equal(printExpr(parseExpression(once)), once, `${JSON.stringify(s)} → ${JSON.stringify(once)}`)
  }), { numRuns: 3000 })
  fc.assert(fc.property(fc.array(fc.constantFrom('a', 'b.c', '.[0]', '.[-1]', '.[{"x":1}]', '[2]'), { minLength: 1, maxLength: 6 }).map(a => a.join('')), (s) => {
    let p
    try { p = parseSourcePath(s) } catch { return }
    const once = printPath(p)
    assert.equal(printPath(parseSourcePath(once)), once)
  }), { numRuns: 1000 })
})
