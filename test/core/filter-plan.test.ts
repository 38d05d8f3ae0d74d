// A plugin that understands only single comparisons: the core resolves `or` by one call per branch
// (union by id), `and` by pushing down one comparison and filtering the rest itself, and anything
// else by one unfiltered fetch. The results are what the full filter says.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { GetQuery, ScimPlugin, ScimResource, SimpleFilter } from '../../lib/plugins/types.ts'
import { harness } from './support.ts'

const USERS: ScimResource[] = ['ann', 'ben', 'cid', 'dan'].map((n, i) => ({ id: `id-${n}`, userName: n, title: i % 2 === 0 ? 'even' : 'odd', active: i < 3 }))

function simplePlugin (): ScimPlugin & { asked: Array<SimpleFilter | undefined> } {
  const asked: Array<SimpleFilter | undefined> = []
  return {
    name: 'simple-only',
    asked,
    async getUsers (q: GetQuery) {
      asked.push(q.simple)
      const s = q.simple
      if (s === undefined) return { Resources: USERS }
      if (s.operator !== 'eq') return { Resources: USERS }
      return { Resources: USERS.filter(u => String(u[s.attribute] ?? '').toLowerCase() === s.value.toLowerCase()) }
    }
  }
}

const cases: Array<{ filter: string, ids: string[], asked: Array<string | undefined> }> = [
  { filter: 'userName eq "ann"', ids: ['id-ann'], asked: ['userName eq ann'] },
  { filter: 'userName eq "ann" or userName eq "dan"', ids: ['id-ann', 'id-dan'], asked: ['userName eq ann', 'userName eq dan'] },
  { filter: 'title eq "even" and active eq true', ids: ['id-ann', 'id-cid'], asked: ['title eq even'] },
  { filter: '(userName eq "ann" or userName eq "ben") and title eq "odd"', ids: ['id-ben'], asked: ['title eq odd'] },
  { filter: 'not (title eq "even")', ids: ['id-ben', 'id-dan'], asked: [undefined] },
  { filter: 'userName sw "c" or userName ew "n"', ids: ['id-ann', 'id-ben', 'id-cid', 'id-dan'], asked: ['userName sw c', 'userName ew n'] }
]

for (const c of cases) {
  test(`simple-only plugin: ${c.filter}`, async () => {
    const plugin = simplePlugin()
    const h = await harness({ plugin })
    const r = await h.json<{ totalResults: number, Resources: Array<{ id: string }> }>('GET', `/Users?filter=${encodeURIComponent(c.filter)}&sortBy=userName`)
    assert.equal(r.status, 200)
    assert.deepEqual(r.body.Resources.map(x => x.id), c.ids)
    assert.equal(r.body.totalResults, c.ids.length)
    assert.deepEqual(plugin.asked.map(s => s === undefined ? undefined : `${s.attribute} ${s.operator} ${s.value}`).sort(), [...c.asked].sort())
  })
}
