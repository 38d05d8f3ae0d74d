// plugin-mssql filter translation without a database: for every fixture filter and every dialect,
// no filter value ever appears in the SQL text (values are bind parameters only), the placeholders
// match the parameters, and filters on attributes that have columns are pushed down exactly.
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { parseFilter } from '../../lib/scim/filter/index.ts'
import type { FilterNode } from '../../lib/scim/filter/ast.ts'
import { Params, Scope, escapeLike, toWhere } from '../../lib/plugins/sql/filter.ts'
import { DIALECTS } from '../../lib/plugins/sql/dialects/index.ts'
import { resolveTables } from '../../lib/plugins/sql/mapping.ts'

const fixture = JSON.parse(readFileSync(new URL('./fixtures/sql-filters.json', import.meta.url), 'utf8')) as { filters: string[] }
/** Filters naming attributes without a column: the SQL is a superset and the gateway re-filters. */
const LOSSY = /title|enterprise/

function values (n: FilterNode): string[] {
  switch (n.type) {
    case 'compare': return typeof n.value === 'string' ? [n.value] : []
    case 'present': return []
    case 'and': case 'or': return [...values(n.left), ...values(n.right)]
    case 'not': return values(n.expr)
    case 'valuePath': return values(n.filter)
  }
}

for (const d of Object.values(DIALECTS)) {
  describe(`SQL filter translation (${d.name})`, () => {
    const scope = new Scope('Users', resolveTables(), d)
    for (const text of fixture.filters) {
      it(text, () => {
        const node = parseFilter(text)
        const params = new Params(d)
        const where = toWhere(node, scope, params)
        for (const v of values(node)) {
          if (v.length >= 2) assert.ok(!where.sql.includes(v) && !where.sql.toLowerCase().includes(v.toLowerCase()), `value ${JSON.stringify(v)} spliced into ${where.sql}`)
        }
        assert.ok(!/'[^']*'/.test(where.sql.replace(/ESCAPE '!'/g, '').replace(/<> ''/g, '')), `no string literal except ESCAPE/'' in ${where.sql}`)
        if (d.name === 'postgres') assert.equal((where.sql.match(/\$\d+/g) ?? []).length, params.values.length)
        if (d.name === 'mysql') assert.equal((where.sql.match(/\?/g) ?? []).length, params.values.length)
        if (d.name === 'mssql') assert.equal((where.sql.match(/@p\d+/g) ?? []).length, params.values.length)
        assert.equal(where.exact, !LOSSY.test(text), `exact push-down of ${text}: ${where.sql}`)
      })
    }
    it('table and column names from the config are quoted identifiers', () => {
      const t = resolveTables({ users: 'hr.people' }, { users: { userNameKey: 'login_key' } })
      const s = new Scope('Users', t, d)
      const where = toWhere(parseFilter('userName eq "x"'), s, new Params(d))
      assert.match(where.sql, d.name === 'postgres' ? /t\."login_key"/ : d.name === 'mysql' ? /t\.`login_key`/ : /t\.\[login_key\]/)
    })
  })
}

describe('LIKE escaping', () => {
  it('escapes the wildcards, SQL Server brackets and the escape character itself', () => {
    assert.equal(escapeLike('100%_[x]!'), '100!%!_![x]!!')
  })
})
