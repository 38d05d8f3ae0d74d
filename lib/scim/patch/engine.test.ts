// Unit tests of engine properties the fixture tables cannot show: exact normalised operations,
// copy-on-write sharing, independence of the result from the request, the bounded path cache.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { applyPatch, parsePatchRequest } from './index.ts'
import type { PatchOperation } from './index.ts'
import { pathCache, resolvePath } from './path.ts'
import { coreResourceSchema } from '../schema/resolve.ts'
import { InvalidSyntaxError, ScimError } from '../errors.ts'
import type { JsonObject, ScimResource } from '../types.ts'

const USER = coreResourceSchema('User')

test('parsePatchRequest normalises op case, drops empty paths and keeps values as sent', () => {
  const ops = parsePatchRequest({
    schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
    Operations: [
      { op: 'Replace', path: 'active', value: 'False' },
      { op: 'ADD', path: '  ', value: { title: 'x' } },
      { op: 'remove', path: 'members[value eq "a"]' }
    ]
  })
  assert.deepEqual(ops, [
    { op: 'replace', path: 'active', value: 'False' },
    { op: 'add', value: { title: 'x' } },
    { op: 'remove', path: 'members[value eq "a"]' }
  ])
})

test('parsePatchRequest errors are InvalidSyntaxError with a detail naming the operation', () => {
  assert.throws(() => parsePatchRequest({ Operations: [{ op: 'add', path: 'a', value: 1 }, { op: 'copy' }] }), (e: unknown) => {
    assert.ok(e instanceof InvalidSyntaxError)
    assert.match(e.detail, /Operations\[1\]/)
    return true
  })
})

test('copy-on-write: untouched attributes are shared, touched ones are new objects', () => {
  const user: ScimResource = {
    userName: 'a',
    name: { givenName: 'B' },
    emails: [{ value: 'a@x.org', type: 'work' }],
    addresses: [{ type: 'home', locality: 'Oslo' }]
  }
  const out = applyPatch(user, [{ op: 'add', path: 'emails[type eq "work"].display', value: 'A' }], USER)
  assert.equal(out.name, user.name)
  assert.equal(out.addresses, user.addresses)
  assert.notEqual(out.emails, user.emails)
  assert.deepEqual(user.emails, [{ value: 'a@x.org', type: 'work' }])
  assert.deepEqual(out.emails, [{ value: 'a@x.org', type: 'work', display: 'A' }])
})

test('the result never shares objects with the operations', () => {
  const value = [{ value: 'a@x.org', type: 'work' }]
  const ops: PatchOperation[] = [{ op: 'add', path: 'emails', value }, { op: 'add', value: { name: { givenName: 'G' } } }]
  const out = applyPatch({ userName: 'u' }, ops, USER)
  ;((out.emails as JsonObject[])[0] as JsonObject).value = 'changed'
  ;(out.name as JsonObject).givenName = 'changed'
  assert.deepEqual(value, [{ value: 'a@x.org', type: 'work' }])
  assert.deepEqual(ops[1], { op: 'add', value: { name: { givenName: 'G' } } })
})

test('two operations on the same attribute copy it once and both apply', () => {
  const user: ScimResource = { userName: 'a', emails: [{ value: 'a@x.org', type: 'work' }] }
  const out = applyPatch(user, [
    { op: 'add', path: 'emails', value: [{ value: 'b@x.org', type: 'home' }] },
    { op: 'replace', path: 'emails[type eq "home"].primary', value: true }
  ], USER)
  assert.deepEqual(out.emails, [{ value: 'a@x.org', type: 'work' }, { value: 'b@x.org', type: 'home', primary: true }])
  assert.deepEqual(user.emails, [{ value: 'a@x.org', type: 'work' }])
})

test('the resolved-path cache is bounded', () => {
  const opts = { allowUnknownAttributes: true }
  const cache = pathCache(USER, opts)
  for (let i = 0; i < 2000; i++) resolvePath(`custom${i}`, USER, opts, cache)
  assert.ok(cache.size <= 512, `cache holds ${cache.size} entries`)
  assert.equal(resolvePath('custom1999', USER, opts, cache).attr, 'custom1999')
})

test('a path error names the path and is not cached as a result', () => {
  const opts = { allowUnknownAttributes: false }
  for (let i = 0; i < 2; i++) {
    assert.throws(() => resolvePath('nosuchattr', USER, opts), (e: unknown) => e instanceof ScimError && e.scimType === 'invalidPath' && e.detail.includes('nosuchattr'))
  }
})

test('operations that were not normalised by parsePatchRequest are normalised by applyPatch', () => {
  const raw = [{ op: 'Replace', path: 'title', value: 'T' }] as unknown as PatchOperation[]
  assert.deepEqual(applyPatch({ userName: 'a' }, raw, USER), { userName: 'a', title: 'T' })
})
