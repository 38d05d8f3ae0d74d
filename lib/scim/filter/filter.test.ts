// Table-driven tests of the filter engine: every table lives in ./fixtures/*.json and one loop drives it.
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { ScimError } from '../errors.ts'
import { coreResourceSchema } from '../schema/resolve.ts'
import type { JsonObject } from '../types.ts'
import {
  compareInstants, compileFilter, compileValueFilter, filterToString, parseInstant, findKey, getAttributeValues, matchesFilter, parseAttrPath, parseFilter,
  parsePatchPath, patchPathToString, planFilter, toSimpleFilter,
  type AttrPath, type FilterNode, type FilterPlan, type PatchPath, type SimpleFilter
} from './index.ts'

function fixture<T> (name: string): T {
  return JSON.parse(readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8')) as T
}

/** Compact rendering of a tree used by parse.json: (and A B), (or A B), (not A), path[A], {uri}attr.sub */
function sexpr (n: FilterNode): string {
  switch (n.type) {
    case 'and': case 'or': return `(${n.type} ${sexpr(n.left)} ${sexpr(n.right)})`
    case 'not': return `(not ${sexpr(n.expr)})`
    case 'present': return `${path(n.path)} pr`
    case 'compare': return `${path(n.path)} ${n.op} ${JSON.stringify(n.value)}`
    case 'valuePath': return `${path(n.path)}[${sexpr(n.filter)}]`
  }
}
function path (p: AttrPath): string {
  return `${p.uri !== undefined ? `{${p.uri}}` : ''}${p.attr}${p.sub !== undefined ? `.${p.sub}` : ''}`
}

function expectScimError (fn: () => unknown, scimType: string, detail: string): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof ScimError, `expected ScimError, got ${String(e)}`)
    assert.equal(e.status, 400)
    assert.equal(e.scimType, scimType)
    assert.ok(e.detail.includes(detail), `detail ${JSON.stringify(e.detail)} should contain ${JSON.stringify(detail)}`)
    return true
  })
}

describe('parseFilter: parse.json', () => {
  const { cases } = fixture<{ cases: Array<{ filter: string, tree?: FilterNode, sexpr?: string, canonical?: string }> }>('parse.json')
  for (const c of cases) {
    it(c.filter, () => {
      const tree = parseFilter(c.filter)
      if (c.tree !== undefined) assert.deepEqual(tree, c.tree)
      if (c.sexpr !== undefined) assert.equal(sexpr(tree), c.sexpr)
      assert.ok(c.tree !== undefined || c.sexpr !== undefined, 'case has an expectation')
      if (c.canonical !== undefined) assert.equal(filterToString(tree), c.canonical)
      // and every parsed tree round-trips through filterToString
      assert.deepEqual(parseFilter(filterToString(tree)), tree)
    })
  }
})

describe('parseFilter: invalid.json', () => {
  const { cases } = fixture<{ cases: Array<{ filter?: string, parts?: Array<[string, number]>, detail: string, note?: string }> }>('invalid.json')
  for (const c of cases) {
    const text = c.filter ?? (c.parts ?? []).map(([s, n]) => s.repeat(n)).join('')
    it(c.note ?? JSON.stringify(text), () => {
      expectScimError(() => parseFilter(text), 'invalidFilter', c.detail)
    })
  }
})

describe('compileFilter: evaluate.json over resources.json', () => {
  const resources = fixture<{ users: JsonObject[], groups: JsonObject[] }>('resources.json')
  const { cases } = fixture<{ cases: Array<{ filter: string, set?: 'groups', ids: string[], noSchema?: string[], error?: string }> }>('evaluate.json')
  const ids = (match: (r: JsonObject) => boolean, set: JsonObject[]): string[] => set.filter(match).map(r => String(r.id))
  for (const c of cases) {
    it(`${c.set ?? 'users'}: ${c.filter}`, () => {
      const set = c.set === 'groups' ? resources.groups : resources.users
      const schema = coreResourceSchema(c.set === 'groups' ? 'Group' : 'User')
      const tree = parseFilter(c.filter)
      if (c.error !== undefined) {
        expectScimError(() => compileFilter(tree, schema), c.error, 'cannot be used')
      } else {
        assert.deepEqual(ids(compileFilter(tree, schema), set), c.ids, 'with schema')
      }
      assert.deepEqual(ids(compileFilter(tree), set), c.noSchema ?? c.ids, 'without schema')
      // matchesFilter agrees with the compiled predicate
      const expected = new Set(c.noSchema ?? c.ids)
      for (const r of set) assert.equal(matchesFilter(tree, r), expected.has(String(r.id)))
    })
  }
})

describe('parsePatchPath / parseAttrPath: paths.json', () => {
  const t = fixture<{
    patch: Array<{ path: string, expected: PatchPath, schemaUris?: string[] }>
    patchInvalid: Array<{ path: string, detail: string }>
    attr: Array<{ path: string, expected?: AttrPath, error?: boolean, detail?: string }>
  }>('paths.json')
  for (const c of t.patch) {
    it(`patch ${c.path}`, () => {
      const p = parsePatchPath(c.path, c.schemaUris === undefined ? undefined : { schemaUris: c.schemaUris })
      assert.deepEqual(p, c.expected)
      assert.deepEqual(parsePatchPath(patchPathToString(p), c.schemaUris === undefined ? undefined : { schemaUris: c.schemaUris }), p)
    })
  }
  for (const c of t.patchInvalid) {
    it(`invalid patch ${JSON.stringify(c.path)}`, () => expectScimError(() => parsePatchPath(c.path), 'invalidPath', c.detail))
  }
  for (const c of t.attr) {
    it(`attr ${JSON.stringify(c.path)}`, () => {
      if (c.error === true) expectScimError(() => parseAttrPath(c.path), 'invalidPath', c.detail ?? '')
      else assert.deepEqual(parseAttrPath(c.path), c.expected)
    })
  }
})

describe('toSimpleFilter / planFilter: plan.json', () => {
  const t = fixture<{ simple: Array<{ filter: string, simple: SimpleFilter | null }>, plan: Array<{ filter: string, plan: FilterPlan }> }>('plan.json')
  for (const c of t.simple) {
    it(`simple ${c.filter}`, () => assert.deepEqual(toSimpleFilter(parseFilter(c.filter)) ?? null, c.simple))
  }
  for (const c of t.plan) {
    it(`plan ${c.filter}`, () => assert.deepEqual(planFilter(parseFilter(c.filter)), c.plan))
  }
})

describe('parseInstant / compareInstants: datetime.json', () => {
  const t = fixture<{ cases: Array<{ a: string, b: string, cmp: number }>, invalid: string[], requireTime: string[] }>('datetime.json')
  for (const c of t.cases) {
    it(`${c.a} vs ${c.b}`, () => {
      const a = parseInstant(c.a)
      const b = parseInstant(c.b)
      assert.ok(a !== undefined && b !== undefined, 'both parse')
      assert.equal(Math.sign(compareInstants(a, b)), c.cmp)
      assert.equal(Math.sign(compareInstants(b, a)), -c.cmp || 0)
    })
  }
  for (const s of t.invalid) it(`invalid ${JSON.stringify(s)}`, () => assert.equal(parseInstant(s), undefined))
  for (const s of t.requireTime) {
    it(`date only ${s} with requireTime`, () => {
      assert.equal(parseInstant(s, true), undefined)
      assert.notEqual(parseInstant(s), undefined)
    })
  }
})

describe('access helpers', () => {
  const resources = fixture<{ users: JsonObject[] }>('resources.json')
  const [u1, , , u4, u5] = resources.users as [JsonObject, JsonObject, JsonObject, JsonObject, JsonObject]
  const ENT = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User'

  it('findKey is case-insensitive and prefers the exact spelling', () => {
    assert.equal(findKey(u5, 'userName'), 'UserName')
    assert.equal(findKey({ a: 1, A: 2 }, 'A'), 'A')
    assert.equal(findKey(u1, 'nope'), undefined)
    assert.equal(findKey({}, 'constructor'), undefined)
  })

  it('getAttributeValues flattens multi-valued attributes and reads extensions', () => {
    assert.deepEqual(getAttributeValues(u1, { attr: 'emails', sub: 'value' }), ['bjensen@example.com', 'babs@jensen.org'])
    assert.deepEqual(getAttributeValues(u1, { attr: 'EMAILS', sub: 'TYPE' }), ['work', 'home'])
    assert.equal(getAttributeValues(u1, { attr: 'emails' }).length, 2)
    assert.deepEqual(getAttributeValues(u1, { uri: ENT, attr: 'manager', sub: 'value' }), ['u3'])
    assert.deepEqual(getAttributeValues(u1, { attr: 'department' }), ['Tour Operations'])
    assert.deepEqual(getAttributeValues(u1, { uri: 'urn:ietf:params:scim:schemas:core:2.0:User', attr: 'userName' }), ['bjensen'])
    assert.deepEqual(getAttributeValues(u1, { uri: ENT, attr: '' }), [u1[ENT]])
    assert.deepEqual(getAttributeValues(u5, { attr: 'emails', sub: 'value' }), ['case@example.com'])
    assert.deepEqual(getAttributeValues(u4, { attr: 'nickName' }), [])
    assert.deepEqual(getAttributeValues(u4, { attr: 'missing', sub: 'x' }), [])
    const flat: JsonObject = { [`${ENT}:manager`]: { value: 'm1' }, [`${ENT}:department`]: 'R&D' }
    assert.deepEqual(getAttributeValues(flat, { uri: ENT, attr: 'manager', sub: 'value' }), ['m1'])
    assert.deepEqual(getAttributeValues(flat, { uri: ENT, attr: 'Department' }), ['R&D'])
  })
})

describe('compileValueFilter', () => {
  const schema = coreResourceSchema('User')
  it('tests one element with the sub-attribute types of the schema', () => {
    const work = compileValueFilter(parseFilter('type eq "WORK" and primary eq true'), { attr: 'emails' }, schema)
    assert.equal(work({ value: 'a@x', type: 'work', primary: 'True' }), true)
    assert.equal(work({ value: 'a@x', type: 'home', primary: true }), false)
    assert.equal(work({ value: 'a@x', type: 'work' }), false)
  })
  it('rejects ordering on a boolean sub-attribute when the schema knows it', () => {
    expectScimError(() => compileValueFilter(parseFilter('primary gt false'), { attr: 'emails' }, schema), 'invalidFilter', 'boolean attribute')
    assert.equal(compileValueFilter(parseFilter('primary gt false'), { attr: 'emails' })({ primary: true }), false)
  })
  it('resolves sub-attributes of schema-qualified extension attributes', () => {
    const f = compileValueFilter(parseFilter('value eq "U1"'), { uri: 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User', attr: 'manager' }, schema)
    assert.equal(f({ value: 'u1' }), true)
  })
})
