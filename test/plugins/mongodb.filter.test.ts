// plugin-mongodb's filter → MongoDB query translation, tested without a server (none can run here):
// every filter of test/plugins/fixtures/sql-filters.json is translated, and the query is evaluated
// by a small reference matcher of the MongoDB operators it uses ($and/$or/$nor, equality with array
// semantics, $regex, $exists/$nin, $gt…, $elemMatch) over the fixture users as plugin-mongodb stores
// them; the selection must equal the gateway's own filter evaluator (a superset where not `exact`).
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { parseFilter, compileFilter } from '../../lib/scim/filter/index.ts'
import { coreResourceSchema } from '../../lib/scim/schema/resolve.ts'
import { toMongoQuery, escapeRegex, sortField } from '../../lib/plugins/mongodb/filter.ts'
import { userDoc } from '../../lib/plugins/mongodb/store.ts'
import type { ScimResource } from '../../lib/plugins/types.ts'

const fixture = JSON.parse(readFileSync(new URL('./fixtures/sql-filters.json', import.meta.url), 'utf8')) as { users: ScimResource[], filters: string[] }
const docs = fixture.users.map((u, i) => userDoc({ schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], ...u }, `id-${i}`, '2026-01-01T00:00:00.000Z'))

type Doc = Record<string, unknown>
/** Values at a dotted path, flattening arrays as MongoDB does. */
function at (doc: unknown, path: string): unknown[] {
  let cur: unknown[] = [doc]
  for (const key of path.split('.')) {
    const next: unknown[] = []
    for (const c of cur) {
      if (Array.isArray(c)) { for (const el of c) if (typeof el === 'object' && el !== null && key in el) next.push((el as Doc)[key]) } else if (typeof c === 'object' && c !== null && key in c) next.push((c as Doc)[key])
    }
    cur = next
  }
  return cur.flatMap(v => Array.isArray(v) ? [...v, v] : [v])
}

function matchValue (vals: unknown[], cond: unknown): boolean {
  if (typeof cond === 'object' && cond !== null && !Array.isArray(cond) && Object.keys(cond).some(k => k.startsWith('$'))) {
    const c = cond as Doc
    return Object.entries(c).every(([op, arg]) => {
      switch (op) {
        case '$regex': return vals.some(v => typeof v === 'string' && new RegExp(String(arg), String(c.$options ?? '')).test(v))
        case '$options': return true
        case '$exists': return (vals.length > 0) === arg
        case '$nin': return !vals.some(v => (arg as unknown[]).some(a => Array.isArray(a) ? Array.isArray(v) && v.length === 0 : a === v)) && (vals.length > 0 || !(arg as unknown[]).includes(null))
        case '$gt': return vals.some(v => typeof v === 'string' && v > String(arg))
        case '$gte': return vals.some(v => typeof v === 'string' && v >= String(arg))
        case '$lt': return vals.some(v => typeof v === 'string' && v < String(arg))
        case '$lte': return vals.some(v => typeof v === 'string' && v <= String(arg))
        case '$elemMatch': return vals.some(v => !Array.isArray(v) && typeof v === 'object' && v !== null && matches(v as Doc, arg as Doc))
        default: throw new Error(`operator ${op} not modelled`)
      }
    })
  }
  return vals.some(v => v === cond)
}

function matches (doc: Doc, q: Doc): boolean {
  return Object.entries(q).every(([k, v]) => {
    if (k === '$and') return (v as Doc[]).every(x => matches(doc, x))
    if (k === '$or') return (v as Doc[]).some(x => matches(doc, x))
    if (k === '$nor') return !(v as Doc[]).some(x => matches(doc, x))
    if (k === '_id') return matchValue([doc._id ?? doc.id], v)
    const vals = at(doc, k)
    if (typeof v === 'object' && v !== null && '$elemMatch' in v) return matchValue(at(doc, k).filter(x => !Array.isArray(x)), v)
    return matchValue(vals, v)
  })
}

describe('plugin-mongodb filter translation (no server needed)', () => {
  const schema = coreResourceSchema('User')
  for (const text of fixture.filters) {
    it(text, () => {
      const node = parseFilter(text)
      let translated
      try { translated = toMongoQuery('Users', node) } catch (e) {
        assert.throws(() => compileFilter(node, schema), 'the gateway refuses it too')
        return
      }
      const expected = fixture.users.filter((u, i) => compileFilter(node, schema)({ ...u, id: `id-${i}`, meta: { created: '2026-01-01T00:00:00.000Z', lastModified: docs[i]?.meta?.lastModified } })).map(u => u.userName)
      const got = docs.filter(d => matches(d as Doc, translated.query)).map(d => d.userName)
      if (translated.exact) assert.deepEqual(got, expected, JSON.stringify(translated.query))
      else for (const e of expected) assert.ok(got.includes(e), `superset: ${String(e)} missing from ${JSON.stringify(translated.query)}`)
    })
  }

  it('values never become operators or field names; regex metacharacters are escaped', () => {
    const { query } = toMongoQuery('Users', parseFilter('userName eq "$where" and title co ".*(a+)+$" and displayName sw "{$gt: \\"\\"}"'))
    const json = JSON.stringify(query)
    assert.ok(!json.includes('"$where":'), json)
    assert.equal(escapeRegex('.*(a+)+$'), '\\.\\*\\(a\\+\\)\\+\\$')
    assert.deepEqual(toMongoQuery('Users', parseFilter('userName eq "$where"')).query, { '_k.userName': '$where' })
  })

  it('extension attributes and derived groups are not pushed down (superset, not exact)', () => {
    assert.equal(toMongoQuery('Users', parseFilter('urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department eq "x"')).exact, false)
    assert.equal(toMongoQuery('Users', parseFilter('groups.value eq "g1"')).exact, false)
    assert.equal(toMongoQuery('Groups', parseFilter('members.value eq "ABC"')).exact, true)
    assert.deepEqual(toMongoQuery('Groups', parseFilter('members.value eq "ABC"')).query, { '_k.members': 'abc' })
    assert.equal(sortField('Users', 'userName'), '_k.userName')
    assert.equal(sortField('Users', 'title'), undefined)
  })
})
