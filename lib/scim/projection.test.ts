// Table-driven tests of projection (fixtures/projection.json) and parseAttributeList, plus the
// returned:request / returned:always rules on a custom schema.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import fc from 'fast-check'
import { compileProjection, parseAttributeList, projectResource, stripNeverReturned } from './projection.ts'
import { coreResourceSchema, createResourceSchema } from './schema/resolve.ts'
import { attr, complex, str } from './schema/define.ts'
import type { ScimResource } from './types.ts'

interface Case { name: string, type: 'User' | 'Group', attributes?: string, excludedAttributes?: string, expect: unknown }
interface Fixture { user: ScimResource, group: ScimResource, cases: Case[], attributeLists: Array<{ text: string | null, expect: string[] }> }
const fx = JSON.parse(readFileSync(new URL('./fixtures/projection.json', import.meta.url), 'utf8')) as Fixture

test('fixture has at least 25 projection cases', () => assert.ok(fx.cases.length >= 25))

for (const c of fx.cases) {
  test(`project: ${c.name}`, () => {
    const res = c.type === 'User' ? fx.user : fx.group
    const before = JSON.stringify(res)
    const out = projectResource(res, {
      attributes: parseAttributeList(c.attributes),
      excludedAttributes: parseAttributeList(c.excludedAttributes)
    }, coreResourceSchema(c.type))
    assert.deepEqual(out, c.expect)
    assert.equal(JSON.stringify(res), before, 'resource must not be mutated')
  })
}

for (const l of fx.attributeLists) {
  test(`parseAttributeList(${JSON.stringify(l.text)})`, () => {
    assert.deepEqual(parseAttributeList(l.text ?? undefined), l.expect)
  })
}

test('a compiled projection is reusable across resources', () => {
  const p = compileProjection({ attributes: ['userName'] }, coreResourceSchema('User'))
  assert.deepEqual(p({ id: '1', userName: 'a', title: 't' }), { id: '1', userName: 'a' })
  assert.deepEqual(p({ id: '2', UserName: 'b' }), { id: '2', UserName: 'b' })
})

test('stripNeverReturned removes password only', () => {
  const out = stripNeverReturned({ id: '1', userName: 'a', Password: 'x', emails: [{ value: 'e' }] }, coreResourceSchema('User'))
  assert.deepEqual(out, { id: '1', userName: 'a', emails: [{ value: 'e' }] })
})

test('returned:request only when asked; returned:always always; never sub-attributes stripped', () => {
  const schema = createResourceSchema(
    { id: 'Thing', name: 'Thing', endpoint: '/Things', description: '', schema: 'urn:t:Thing', schemaExtensions: [] },
    [{
      id: 'urn:t:Thing', name: 'Thing', description: '', attributes: [
        str('label'), str('secretHint', { returned: 'request' }), str('kind', { returned: 'always' }),
        complex('creds', [str('user'), attr('pin', 'string', { returned: 'never' })])
      ]
    }])
  const res: ScimResource = { id: 't1', label: 'L', secretHint: 'H', kind: 'K', creds: { user: 'u', pin: '1234' } }
  assert.deepEqual(projectResource(res, {}, schema), { id: 't1', label: 'L', kind: 'K', creds: { user: 'u' } })
  assert.deepEqual(projectResource(res, { attributes: ['label'] }, schema), { id: 't1', label: 'L', kind: 'K' })
  assert.deepEqual(projectResource(res, { attributes: ['secretHint'] }, schema), { id: 't1', secretHint: 'H', kind: 'K' })
  assert.deepEqual(projectResource(res, { excludedAttributes: ['kind', 'label'] }, schema), { id: 't1', kind: 'K', creds: { user: 'u' } })
  assert.deepEqual(projectResource(res, { attributes: ['creds.pin'] }, schema), { id: 't1', kind: 'K' })
})

test('property: id/schemas/meta always kept, password never, nothing invented', () => {
  const pool = ['userName', 'USERNAME', 'password', 'id', 'name.givenName', 'emails', 'emails.value', 'emails[type eq "work"]', 'emails[value co "x"].type',
    'groups', 'customAttr', 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User', 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value',
    'meta', 'schemas', 'displayName', 'nope', 'phoneNumbers[type eq "work"].value']
  const names = fc.array(fc.constantFrom(...pool), { maxLength: 5 })
  const schema = coreResourceSchema('User')
  fc.assert(fc.property(names, names, (attributes, excludedAttributes) => {
    const out = projectResource(fx.user, { attributes, excludedAttributes }, schema)
    assert.deepEqual([out.id, out.schemas, out.meta], [fx.user.id, fx.user.schemas, fx.user.meta])
    assert.equal(out.password, undefined)
    for (const k of Object.keys(out)) assert.ok(k in fx.user, `invented ${k}`)
  }), { numRuns: 300 })
})
