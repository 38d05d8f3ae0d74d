// Property-based tests (fast-check) of the filter engine: robustness on arbitrary input, round trips of
// structurally valid trees, and evaluation consistent with boolean logic. Runs and sizes are bounded.
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import fc from 'fast-check'
import { InvalidFilterError, InvalidPathError } from '../errors.ts'
import { coreResourceSchema } from '../schema/resolve.ts'
import type { JsonObject } from '../types.ts'
import {
  compileFilter, filterToString, parseFilter, parsePatchPath,
  type AttrPath, type CompareOp, type FilterNode, type FilterValue
} from './index.ts'

const RUNS = { numRuns: 400 }

const names = fc.oneof(
  fc.constantFrom('userName', 'emails', 'value', 'type', 'primary', 'title', 'meta', 'created', '$ref', 'x-y_z', 'not', 'and', 'or', 'eq', 'pr', 'TITLE'),
  fc.stringMatching(/^[A-Za-z][A-Za-z0-9_-]{0,8}$/)
)
const uris = fc.constantFrom(
  'urn:ietf:params:scim:schemas:core:2.0:User',
  'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User',
  'urn:example:ext:Thing'
)
const simplePath: fc.Arbitrary<AttrPath> = fc.tuple(names, fc.option(names, { nil: undefined }))
  .map(([attr, sub]) => sub === undefined ? { attr } : { attr, sub })
const attrPath: fc.Arbitrary<AttrPath> = fc.oneof(
  { weight: 4, arbitrary: simplePath },
  { weight: 1, arbitrary: fc.tuple(uris, simplePath).map(([uri, p]) => ({ uri, ...p })) },
  { weight: 1, arbitrary: uris.filter(u => u.startsWith('urn:ietf')).map(uri => ({ uri, attr: '' })) }
)
const values: fc.Arbitrary<FilterValue> = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 12 }),
  fc.string({ unit: 'grapheme-ascii', maxLength: 12 }),
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.boolean(),
  fc.constant(null)
)
const ops = fc.constantFrom<CompareOp>('eq', 'ne', 'co', 'sw', 'ew', 'gt', 'ge', 'lt', 'le')

function leaf (path: fc.Arbitrary<AttrPath>): fc.Arbitrary<FilterNode> {
  return fc.oneof(
    fc.tuple(path, ops, values).map(([p, op, value]): FilterNode =>
      ({ type: 'compare', path: p, op: value === null && op !== 'ne' ? 'eq' : op, value })),
    path.map((p): FilterNode => ({ type: 'present', path: p }))
  )
}

/** Structurally valid filters: value filters hold no value filters, paths inside them are plain. */
const trees = fc.letrec<{ node: FilterNode, inner: FilterNode }>(tie => ({
  node: fc.oneof(
    { maxDepth: 5, depthIdentifier: 'f' },
    leaf(attrPath),
    fc.tuple(tie('node'), tie('node')).map(([left, right]): FilterNode => ({ type: 'and', left, right })),
    fc.tuple(tie('node'), tie('node')).map(([left, right]): FilterNode => ({ type: 'or', left, right })),
    tie('node').map((expr): FilterNode => ({ type: 'not', expr })),
    fc.tuple(names, tie('inner')).map(([attr, filter]): FilterNode => ({ type: 'valuePath', path: { attr }, filter }))
  ),
  inner: fc.oneof(
    { maxDepth: 3, depthIdentifier: 'i' },
    leaf(simplePath),
    fc.tuple(tie('inner'), tie('inner')).map(([left, right]): FilterNode => ({ type: 'and', left, right })),
    fc.tuple(tie('inner'), tie('inner')).map(([left, right]): FilterNode => ({ type: 'or', left, right })),
    tie('inner').map((expr): FilterNode => ({ type: 'not', expr }))
  )
})).node

/** Filter-looking noise: tokens of the grammar glued in random order. */
const tokenSoup = fc.array(fc.constantFrom(
  '(', ')', '[', ']', ' ', ' and ', ' or ', 'not ', ' eq ', ' pr', ' gt ', '"x"', '"\\', '"\\u12', 'userName', 'emails',
  '.value', 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:', '1', '-2.5e3', 'true', 'null', ':', '.'
), { maxLength: 30 }).map(a => a.join(''))

function parsesOrInvalid (text: string): FilterNode | undefined {
  try {
    return parseFilter(text)
  } catch (e) {
    assert.ok(e instanceof InvalidFilterError, `unexpected ${String(e)} for ${JSON.stringify(text)}`)
    return undefined
  }
}

describe('filter properties', () => {
  it('arbitrary strings: parseFilter returns a tree or throws InvalidFilterError', () => {
    fc.assert(fc.property(fc.oneof(fc.string({ unit: 'binary', maxLength: 200 }), tokenSoup), text => {
      parsesOrInvalid(text)
    }), { numRuns: 1000 })
  })

  it('arbitrary strings: parsePatchPath returns a path or throws InvalidPathError', () => {
    fc.assert(fc.property(fc.oneof(fc.string({ unit: 'binary', maxLength: 100 }), tokenSoup), text => {
      try {
        parsePatchPath(text)
      } catch (e) {
        assert.ok(e instanceof InvalidPathError, `unexpected ${String(e)}`)
      }
    }), { numRuns: 500 })
  })

  it('whatever parses round-trips through filterToString', () => {
    fc.assert(fc.property(tokenSoup, text => {
      const tree = parsesOrInvalid(text)
      if (tree !== undefined) assert.deepEqual(parseFilter(filterToString(tree)), tree)
    }), { numRuns: 1000 })
  })

  it('generated filters: parseFilter(filterToString(t)) equals t', () => {
    fc.assert(fc.property(trees, tree => {
      assert.deepEqual(parseFilter(filterToString(tree)), tree)
    }), RUNS)
  })

  it('generated filters evaluate like boolean logic and never throw without schema', () => {
    const { users } = JSON.parse(readFileSync(new URL('./fixtures/resources.json', import.meta.url), 'utf8')) as { users: JsonObject[] }
    fc.assert(fc.property(trees, trees, (a, b) => {
      const fa = compileFilter(a)
      const fb = compileFilter(b)
      const and = compileFilter({ type: 'and', left: a, right: b })
      const or = compileFilter({ type: 'or', left: a, right: b })
      const not = compileFilter({ type: 'not', expr: a })
      for (const u of users) {
        const x = fa(u)
        const y = fb(u)
        assert.equal(typeof x, 'boolean')
        assert.equal(and(u), x && y)
        assert.equal(or(u), x || y)
        assert.equal(not(u), !x)
      }
    }), { numRuns: 200 })
  })

  it('with a schema, compileFilter only ever throws InvalidFilterError', () => {
    const schema = coreResourceSchema('User')
    fc.assert(fc.property(trees, tree => {
      try {
        compileFilter(tree, schema)
      } catch (e) {
        assert.ok(e instanceof InvalidFilterError, `unexpected ${String(e)}`)
      }
    }), RUNS)
  })
})
