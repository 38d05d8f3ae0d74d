// plugin-ldap's pure parts, table-driven: SCIM → LDAP filter translation and escaping
// (fixtures/ldap-filters.json), RFC 4514 DN escaping/parsing, AD GUID byte order, unicodePwd,
// userAccountControl, the filter-string parser's byte handling, and range-retrieval parsing.
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { EqualityFilter, SubstringFilter, type Entry } from 'ldapts'
import { parseFilter } from '../../lib/scim/filter/index.ts'
import { toLdapFilter } from '../../lib/plugins/ldap/filter.ts'
import { parseLdapFilter } from '../../lib/plugins/ldap/filter-parse.ts'
import { compileMapping } from '../../lib/plugins/ldap/mapping.ts'
import { childDn, escapeDnValue, normalizeDn, parseDn } from '../../lib/plugins/ldap/dn.ts'
import { bytesToGuid, encodeUnicodePwd, guidToBytes, uacWithActive } from '../../lib/plugins/ldap/values.ts'
import { rangeOf } from '../../lib/plugins/ldap/search.ts'
import { NOTHING } from '../../lib/plugins/ldap/filter.ts'
import { escapeFilterValue, isGuidString } from '../../lib/plugins/ldap/values.ts'

const fixture = JSON.parse(readFileSync(new URL('./fixtures/ldap-filters.json', import.meta.url), 'utf8')) as { cases: Array<{ scim: string, ldap: string | null }> }
const { mapping } = compileMapping({
  entryUUID: { mapTo: 'id', type: 'string' },
  uid: { mapTo: 'userName', type: 'string' },
  sn: { mapTo: 'name.familyName', type: 'string' },
  mail: { mapTo: 'emails.work.value', type: 'array' },
  scimActive: { mapTo: 'active', type: 'boolean' }
}, 'user', true)

describe('SCIM filter → LDAP filter', () => {
  for (const c of fixture.cases) {
    it(c.scim, async () => {
      const got = await toLdapFilter(parseFilter(c.scim), {
        mapping,
        idClause: v => isGuidString(v) ? `(entryUUID=${escapeFilterValue(v)})` : NOTHING,
        membershipDn: async () => undefined
      })
      assert.equal(got ?? null, c.ldap)
      if (got !== undefined) parseLdapFilter(got) // always well-formed
    })
  }
})

describe('DNs (RFC 4514)', () => {
  const cases: Array<[string, string]> = [
    ['Smith, John', 'Smith\\2c John'],
    ['a+b="c"', 'a\\2bb\\3d\\22c\\22'],
    ['<x>;y\\z', '\\3cx\\3e\\3by\\5cz'],
    ['#lead', '\\23lead'],
    [' both ', '\\20both\\20'],
    ['ünïcødé', 'ünïcødé']
  ]
  for (const [value, escaped] of cases) {
    it(`${JSON.stringify(value)} escapes to ${escaped} and parses back`, () => {
      assert.equal(escapeDnValue(value), escaped)
      const dn = childDn('cn', value, 'ou=people,dc=example,dc=org')
      const rdns = parseDn(dn)
      assert.equal(rdns.length, 4)
      assert.deepEqual(rdns[0], [{ type: 'cn', value }])
    })
  }
  it('parses the forms servers send (backslash escapes, hex UTF-8, quoted, multi-valued RDN)', () => {
    assert.deepEqual(parseDn('CN=Smith\\, John,OU=x'), [[{ type: 'CN', value: 'Smith, John' }], [{ type: 'OU', value: 'x' }]])
    assert.deepEqual(parseDn('cn=J\\C3\\BCrgen'), [[{ type: 'cn', value: 'Jürgen' }]])
    assert.deepEqual(parseDn('cn="a,b"'), [[{ type: 'cn', value: 'a,b' }]])
    assert.deepEqual(parseDn('cn=a+uid=b,dc=x'), [[{ type: 'cn', value: 'a' }, { type: 'uid', value: 'b' }], [{ type: 'dc', value: 'x' }]])
    assert.equal(normalizeDn('CN=Smith\\, John , OU=People'), normalizeDn('cn=smith\\2c john,ou=people'))
    assert.throws(() => parseDn('nonsense'))
  })
})

describe('Active Directory values', () => {
  it('GUID byte order (MS-DTYP: first three fields little-endian) round-trips', () => {
    const guid = 'b3975b67-3a5d-4921-8b4e-511e1a8ccb9e'
    const bytes = guidToBytes(guid)
    assert.equal(bytes?.toString('hex'), '675b97b35d3a21498b4e511e1a8ccb9e')
    assert.equal(bytesToGuid(bytes ?? Buffer.alloc(0)), guid)
    assert.equal(guidToBytes('not-a-guid'), undefined)
    assert.equal(bytesToGuid(Buffer.alloc(3)), undefined)
  })
  it('unicodePwd is the quoted password in UTF-16LE', () => {
    assert.equal(encodeUnicodePwd('Pä55').toString('hex'), Buffer.from('"Pä55"', 'utf16le').toString('hex'))
    assert.equal(encodeUnicodePwd('x').length, 6)
  })
  it('active changes ACCOUNTDISABLE only', () => {
    assert.equal(uacWithActive(0x10200, false), 0x10202)
    assert.equal(uacWithActive(0x10202, true), 0x10200)
    assert.equal(uacWithActive(0x202, false), 0x202)
  })
})

describe('filter strings → ldapts filters', () => {
  it('escaped bytes stay bytes (binary GUID assertions are not re-encoded)', () => {
    const f = parseLdapFilter('(objectGUID=\\67\\5b\\97\\b3\\5d\\3a\\21\\49\\8b\\4e\\51\\1e\\1a\\8c\\cb\\9e)')
    assert.ok(f instanceof EqualityFilter)
    assert.ok(Buffer.isBuffer(f.value))
    assert.equal((f.value as Buffer).toString('hex'), '675b97b35d3a21498b4e511e1a8ccb9e')
  })
  it('text values (escaped UTF-8 too) are strings; substrings split on unescaped *', () => {
    const e = parseLdapFilter('(cn=J\\c3\\bcrgen)')
    assert.ok(e instanceof EqualityFilter && e.value === 'Jürgen')
    const s = parseLdapFilter('(cn=a\\2a*b*c)')
    assert.ok(s instanceof SubstringFilter)
    assert.deepEqual([s.initial, s.any, s.final], ['a*', ['b'], 'c'])
    assert.throws(() => parseLdapFilter('(cn=a'))
    assert.throws(() => parseLdapFilter('(cn=a\\zz)'))
  })
})

describe('range retrieval', () => {
  it('finds member;range=lo-hi in any case and reads its bounds', () => {
    const e = { dn: 'cn=g', 'member;range=0-1499': ['a', 'b'] } as unknown as Entry
    assert.deepEqual(rangeOf(e, 'member'), { low: 0, high: '1499', values: ['a', 'b'] })
    const last = { dn: 'cn=g', 'Member;Range=1500-*': 'c' } as unknown as Entry
    assert.deepEqual(rangeOf(last, 'member'), { low: 1500, high: '*', values: ['c'] })
    assert.equal(rangeOf({ dn: 'cn=g', member: ['a'] } as unknown as Entry, 'member'), undefined)
  })
})
