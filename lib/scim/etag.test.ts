// Tests of etag.ts: content hashing properties, header parsing (incl. garbage) and precondition outcomes.
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { computeEtag, evaluatePreconditions, ifMatchPasses, ifNoneMatchPasses, parseEtagList } from './etag.ts'
import type { JsonObject } from './types.ts'

const user = (): JsonObject => ({
  schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
  id: '2819c223',
  userName: 'bjensen',
  name: { givenName: 'Barbara', familyName: 'Jensen' },
  active: true,
  emails: [{ value: 'bjensen@example.com', type: 'work', primary: true }],
  meta: { resourceType: 'User', version: 'W/"1"', lastModified: '2011-05-13T04:42:34Z', location: 'https://x/Users/2819c223' }
})

describe('computeEtag', () => {
  it('is a weak tag of 16 hex digits', () => {
    assert.match(computeEtag(user()), /^W\/"[0-9a-f]{16}"$/)
  })
  it('is stable across calls and key order at every depth', () => {
    const a = user()
    const b: JsonObject = {
      meta: { location: 'https://x/Users/2819c223', version: 'W/"1"', resourceType: 'User', lastModified: '2011-05-13T04:42:34Z' },
      emails: [{ primary: true, type: 'work', value: 'bjensen@example.com' }],
      active: true,
      name: { familyName: 'Jensen', givenName: 'Barbara' },
      userName: 'bjensen',
      id: '2819c223',
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:User']
    }
    assert.equal(computeEtag(a), computeEtag(a))
    assert.equal(computeEtag(a), computeEtag(b))
  })
  it('ignores meta entirely and undefined values', () => {
    const a = user()
    const b = user()
    b.meta = { version: 'W/"999"', lastModified: '2030-01-01T00:00:00Z', location: 'elsewhere' }
    const c = user()
    delete c.meta
    const d = user()
    d.nickName = undefined
    assert.equal(computeEtag(a), computeEtag(b))
    assert.equal(computeEtag(a), computeEtag(c))
    assert.equal(computeEtag(a), computeEtag(d))
  })
  it('changes when any other attribute changes', () => {
    const base = computeEtag(user())
    const edits: Array<(u: JsonObject) => void> = [
      u => { u.userName = 'bjensen2' },
      u => { u.active = false },
      u => { u.name = { givenName: 'Barbara', familyName: 'Jensen', middleName: 'J' } },
      u => { u.emails = [{ value: 'bjensen@example.com', type: 'home', primary: true }] },
      u => { u.emails = [] },
      u => { u.nickName = 'Babs' },
      u => { u.active = null },
      u => { delete u.name },
      u => { u.id = 2819 } // number vs string must differ from any string
    ]
    const seen = new Set([base])
    for (const edit of edits) {
      const u = user()
      edit(u)
      const tag = computeEtag(u)
      assert.notEqual(tag, base)
      seen.add(tag)
    }
    assert.equal(seen.size, edits.length + 1)
  })
  it('keeps array order significant and distinguishes structure from content', () => {
    assert.notEqual(computeEtag({ a: [1, 2] }), computeEtag({ a: [2, 1] }))
    assert.notEqual(computeEtag({ a: 'bc' }), computeEtag({ ab: 'c' }))
    assert.notEqual(computeEtag({ a: ['x', 'y'] }), computeEtag({ a: ['xy'] }))
    assert.notEqual(computeEtag({ a: '1' }), computeEtag({ a: 1 }))
    assert.notEqual(computeEtag({ a: {} }), computeEtag({ a: [] }))
    assert.notEqual(computeEtag({ a: { meta: 1 } }), computeEtag({ a: {} }), 'only top-level meta is ignored')
  })
  it('property: equal for deep key permutations, different after a changed leaf', () => {
    const json = fc.jsonValue({ maxDepth: 3 })
    fc.assert(fc.property(fc.dictionary(fc.string(), json), fc.string(), (obj, extra) => {
      const o = obj as JsonObject
      const reversed: JsonObject = {}
      for (const k of Object.keys(o).reverse()) Object.defineProperty(reversed, k, { value: o[k], enumerable: true, writable: true, configurable: true })
      assert.equal(computeEtag(o), computeEtag(reversed))
      if (extra === 'meta') return
      const changed: JsonObject = { ...reversed }
      Object.defineProperty(changed, extra, { value: ['__changed__', o[extra] ?? null], enumerable: true, writable: true, configurable: true })
      assert.notEqual(computeEtag(o), computeEtag(changed))
    }), { numRuns: 300 })
  })
})

describe('parseEtagList', () => {
  const cases: Array<[string, string[] | '*']> = [
    ['*', '*'],
    ['  *  ', '*'],
    ['"abc"', ['"abc"']],
    ['W/"abc"', ['W/"abc"']],
    ['W/"a", "b" ,W/"c"', ['W/"a"', '"b"', 'W/"c"']],
    ['"a,b", "c"', ['"a,b"', '"c"']],
    ['""', ['""']],
    ['abc', ['"abc"']],
    ['W/abc', ['W/"abc"']],
    ['"a", *', '*'],
    ['', []],
    ['   ', []],
    [',,,', []],
    ['"unterminated', []],
    ['"ok", "unterminated', ['"ok"']],
    ['a b', []],
    ['W/', []],
    ['\u0000\uffff"', []]
  ]
  for (const [header, expected] of cases) {
    it(`parses ${JSON.stringify(header)}`, () => {
      assert.deepEqual(parseEtagList(header), expected)
    })
  }
  it('never throws on random input', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary' }), h => {
      const r = parseEtagList(h)
      assert.ok(r === '*' || Array.isArray(r))
    }), { numRuns: 500 })
  })
  it('never throws on a non-string at runtime', () => {
    assert.deepEqual(parseEtagList(42 as unknown as string), [])
  })
})

describe('ifMatchPasses / ifNoneMatchPasses', () => {
  const tag = 'W/"abc"'
  it('absent or empty headers pass', () => {
    assert.equal(ifMatchPasses(undefined, tag), true)
    assert.equal(ifMatchPasses('  ', undefined), true)
    assert.equal(ifNoneMatchPasses(undefined, tag), true)
    assert.equal(ifNoneMatchPasses('', tag), true)
  })
  it('* matches any existing resource', () => {
    assert.equal(ifMatchPasses('*', tag), true)
    assert.equal(ifMatchPasses('*', undefined), false)
    assert.equal(ifNoneMatchPasses('*', tag), false)
    assert.equal(ifNoneMatchPasses('*', undefined), true)
  })
  it('compares weakly (W/ prefix ignored on either side)', () => {
    assert.equal(ifMatchPasses('"abc"', tag), true)
    assert.equal(ifMatchPasses('W/"abc"', '"abc"'), true)
    assert.equal(ifMatchPasses('W/"x", W/"abc"', tag), true)
    assert.equal(ifMatchPasses('W/"ABC"', tag), false, 'opaque tags are case-sensitive')
    assert.equal(ifNoneMatchPasses('"abc"', tag), false)
    assert.equal(ifNoneMatchPasses('W/"other"', tag), true)
  })
  it('garbage If-Match fails, garbage If-None-Match passes, neither throws', () => {
    for (const g of ['"', 'a b c', ',', 'W/', '\u0000']) {
      assert.equal(ifMatchPasses(g, tag), false, g)
      assert.equal(ifNoneMatchPasses(g, tag), true, g)
    }
  })
  it('If-Match with a tag on a missing resource fails', () => {
    assert.equal(ifMatchPasses(tag, undefined), false)
    assert.equal(ifNoneMatchPasses(tag, undefined), true)
  })
})

describe('evaluatePreconditions', () => {
  const etag = 'W/"v1"'
  const cases: Array<{ name: string, method: string, ifMatch?: string, ifNoneMatch?: string, etag?: string, expected: string }> = [
    { name: 'no headers', method: 'GET', etag, expected: 'ok' },
    { name: 'GET If-None-Match same', method: 'GET', ifNoneMatch: etag, etag, expected: 'notModified' },
    { name: 'HEAD If-None-Match same (lower-case method)', method: 'head', ifNoneMatch: etag, etag, expected: 'notModified' },
    { name: 'GET If-None-Match other', method: 'GET', ifNoneMatch: 'W/"v0"', etag, expected: 'ok' },
    { name: 'GET If-None-Match *', method: 'GET', ifNoneMatch: '*', etag, expected: 'notModified' },
    { name: 'PUT If-None-Match same', method: 'PUT', ifNoneMatch: etag, etag, expected: 'preconditionFailed' },
    { name: 'POST If-None-Match * on missing resource', method: 'POST', ifNoneMatch: '*', expected: 'ok' },
    { name: 'PUT If-Match same', method: 'PUT', ifMatch: etag, etag, expected: 'ok' },
    { name: 'PATCH If-Match stale', method: 'PATCH', ifMatch: 'W/"v0"', etag, expected: 'preconditionFailed' },
    { name: 'DELETE If-Match *', method: 'DELETE', ifMatch: '*', etag, expected: 'ok' },
    { name: 'DELETE If-Match * on missing resource', method: 'DELETE', ifMatch: '*', expected: 'preconditionFailed' },
    { name: 'GET If-Match stale wins over If-None-Match', method: 'GET', ifMatch: 'W/"v0"', ifNoneMatch: etag, etag, expected: 'preconditionFailed' },
    { name: 'GET If-Match garbage', method: 'GET', ifMatch: '"', etag, expected: 'preconditionFailed' },
    { name: 'GET If-None-Match garbage', method: 'GET', ifNoneMatch: '"', etag, expected: 'ok' }
  ]
  for (const c of cases) {
    it(c.name, () => {
      assert.equal(evaluatePreconditions({ method: c.method, ifMatch: c.ifMatch, ifNoneMatch: c.ifNoneMatch, etag: c.etag }), c.expected)
    })
  }
  it('uses computeEtag output end to end', () => {
    const u: JsonObject = { id: '1', userName: 'a' }
    const tag = computeEtag(u)
    assert.equal(evaluatePreconditions({ method: 'GET', ifNoneMatch: tag, etag: computeEtag({ userName: 'a', id: '1' }) }), 'notModified')
    assert.equal(evaluatePreconditions({ method: 'PUT', ifMatch: tag, etag: computeEtag({ id: '1', userName: 'b' }) }), 'preconditionFailed')
  })
})
