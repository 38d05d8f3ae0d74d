// GET /AppRoles: the endpoint's groups as an Entra appRoles manifest; ids are UUIDv5 of the group
// name, so a second export after adding groups keeps the earlier ids; values Entra would refuse are
// listed, not exported; per baseEntity; read-only credentials may export; writes are 405.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { harness, READER } from './support.ts'
import { appRoleValueProblem, uuidV5 } from '../../lib/core/http/app-roles.ts'

interface Manifest { appRoles: Array<{ id: string, value: string, displayName: string, description: string, allowedMemberTypes: string[], isEnabled: boolean, origin: string }>, notExported?: Array<{ value: string, reason: string }> }

test('uuidV5 follows RFC 4122 (known vector)', () => {
  assert.equal(uuidV5('www.example.com', '6ba7b810-9dad-11d1-80b4-00c04fd430c8'), '2ed6657d-e927-568b-95e1-2665a8aea6a2')
})

test('appRoleValueProblem: Entra role value rules', () => {
  assert.equal(appRoleValueProblem('Admins'), undefined)
  assert.equal(appRoleValueProblem('App.Read-Write_1'), undefined)
  assert.equal(appRoleValueProblem('Sales Team'), 'contains white space')
  assert.equal(appRoleValueProblem('.hidden'), 'starts with a dot')
  assert.match(appRoleValueProblem('Grüße') ?? '', /characters/)
  assert.equal(appRoleValueProblem('x'.repeat(251)), 'longer than 250 characters')
})

test('GET /AppRoles exports the groups with stable ids', async () => {
  const h = await harness()
  const first = await h.json<Manifest>('GET', '/AppRoles', undefined, { authorization: READER })
  assert.equal(first.status, 200)
  const names = first.body.appRoles.map(r => r.value).sort()
  assert.deepEqual(names, ['Admins', 'Employees'])
  for (const r of first.body.appRoles) {
    assert.match(r.id, /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
    assert.deepEqual(r.allowedMemberTypes, ['User'])
    assert.equal(r.isEnabled, true)
    assert.equal(r.origin, 'Application')
    assert.equal(r.displayName, r.value)
    assert.equal(r.description, r.displayName)
  }
  assert.equal(first.body.notExported, undefined)

  assert.equal((await h.json('POST', '/Groups', { displayName: 'Sales' })).status, 201)
  assert.equal((await h.json('POST', '/Groups', { displayName: 'Sales Team' })).status, 201)
  const second = await h.json<Manifest>('GET', '/AppRoles')
  const byValue = new Map(second.body.appRoles.map(r => [r.value, r.id]))
  for (const r of first.body.appRoles) assert.equal(byValue.get(r.value), r.id, `id of ${r.value} changed`)
  assert.ok(byValue.has('Sales'))
  assert.equal(byValue.get('Sales'), uuidV5('Sales'))
  assert.deepEqual(second.body.notExported, [{ value: 'Sales Team', displayName: 'Sales Team', reason: 'contains white space' }])
  assert.equal(new Set(second.body.appRoles.map(r => r.id)).size, second.body.appRoles.length)
})

test('/<baseEntity>/AppRoles exports that baseEntity\'s groups; writes are 405', async () => {
  const h = await harness()
  assert.equal((await h.json('POST', '/clientA/Groups', { displayName: 'TenantOnly' })).status, 201)
  const a = await h.json<Manifest>('GET', '/clientA/AppRoles')
  assert.ok(a.body.appRoles.some(r => r.value === 'TenantOnly'))
  const root = await h.json<Manifest>('GET', '/AppRoles')
  assert.ok(!root.body.appRoles.some(r => r.value === 'TenantOnly'))
  assert.equal((await h.req('POST', '/AppRoles', {})).status, 405)
})
