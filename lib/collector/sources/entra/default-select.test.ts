// The default users/delta $select against the built-in Entra mapper: every Graph property a default
// entry reads is selected, except mailNickname (→ externalId, the identity key: selecting it by
// default would re-key the users of tenants that already published) and what the collector provides
// otherwise (manager by $expand, groups, app roles; physicalDeliveryOfficeName is Graph's officeLocation).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { DEFAULT_SELECT } from './config.ts'
import { ENTRA_DEFAULT_MAPPER } from '../../mapper/entra-default.ts'
import { keyOf } from '../../pipeline.ts'
import { compileTenantMapper } from '../../tenant-mapper.ts'

const NOT_SELECTED: Readonly<Record<string, string>> = {
  mailNickname: 'identity key (externalId)',
  manager: '$expand=manager',
  groups: 'memberships',
  appRoles: 'app role assignments',
  physicalDeliveryOfficeName: 'officeLocation',
  name: 'the SCIM user (Join of name.*)'
}

test('the default $select covers the default mapper, except the identity-changing mailNickname', () => {
  for (const [source] of ENTRA_DEFAULT_MAPPER) {
    const prop = /^Join\(/.test(source) ? 'name' : source.split('.')[0] as string
    if (NOT_SELECTED[prop] !== undefined) {
      assert.ok(!DEFAULT_SELECT.includes(prop), `${prop} is not selected by default (${NOT_SELECTED[prop]})`)
      continue
    }
    assert.ok(DEFAULT_SELECT.includes(prop), `${prop} (read by the default mapper) is selected`)
  }
  assert.ok(DEFAULT_SELECT.includes('officeLocation'))
})

test('a user read with the default $select keeps the userName identity key', () => {
  const m = compileTenantMapper('entra', undefined, 'entra.t.mapper')
  const person = Object.fromEntries(DEFAULT_SELECT.map(p => [p, p === 'accountEnabled' ? true : p === 'businessPhones' || p === 'otherMails' ? [] : p === 'employeeOrgData' ? {} : `${p}-value`]))
  person.userPrincipalName = 'ann@contoso.test'
  const { user } = m.map(person)
  assert.equal(user.externalId, undefined)
  assert.equal(keyOf(user), 'ann@contoso.test')
})
