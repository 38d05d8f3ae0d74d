// endpointMapper properties (fast-check): without a valueMap, endpoint → SCIM → endpoint gives the
// row back; with a valueMap, a group is visible exactly when its name is listed (any case), and a
// write succeeds exactly when the SCIM name is one of the listed values.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { isScimError } from '../../scim/errors.ts'
import { EndpointMapper } from './index.ts'

const ldapLike = new EndpointMapper({
  user: {
    uid: { mapTo: 'userName', type: 'string' },
    givenName: { mapTo: 'name.givenName', type: 'string' },
    mail: { mapTo: 'emails.work', type: 'string' },
    mobile: { mapTo: 'phoneNumbers.mobile', type: 'string' },
    enabled: { mapTo: 'active', type: 'boolean' },
    memberOf: { mapTo: 'groups.value', type: 'array' },
    empNo: { mapTo: 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User.employeeNumber', type: 'string' }
  }
})

const text = fc.string({ minLength: 1, maxLength: 20 })
const row = fc.record({
  uid: text,
  givenName: text,
  mail: text,
  mobile: text,
  enabled: fc.boolean(),
  memberOf: fc.array(text, { maxLength: 5 }),
  empNo: text
}, { requiredKeys: ['uid'], noNullPrototype: true })

test('endpointMapper: endpoint → SCIM → endpoint is the identity without valueMaps', () => {
  fc.assert(fc.property(row, (r) => {
    const scim = ldapLike.toScim('user', r)
    assert.ok(scim !== undefined)
    assert.deepEqual(ldapLike.toEndpoint('user', scim), r)
  }), { numRuns: 500 })
})

const listed: Record<string, string> = { 'grp-sales': 'Sales', 'grp-it': 'IT', Employees: 'Admins' }
const allow = new EndpointMapper({ group: { name: { mapTo: 'displayName', type: 'string', valueMap: listed } } })
const caseOf = (s: string, flips: boolean[]): string => [...s].map((c, i) => flips[i % Math.max(1, flips.length)] === true ? c.toUpperCase() : c.toLowerCase()).join('')
const name = fc.oneof(fc.constantFrom(...Object.keys(listed)), text)

test('endpointMapper: a group is visible exactly when its endpoint name is in the valueMap, in any case', () => {
  fc.assert(fc.property(name, fc.array(fc.boolean(), { minLength: 1, maxLength: 8 }), (n, flips) => {
    const spelled = caseOf(n, flips)
    const known = Object.keys(listed).find(k => k.toLowerCase() === spelled.toLowerCase())
    const seen = allow.toScim('group', { name: spelled })
    if (known === undefined) assert.equal(seen, undefined)
    else assert.deepEqual(seen, { displayName: listed[known] })
  }), { numRuns: 500 })
})

test('endpointMapper: a write succeeds exactly when the SCIM name is a listed value (else 400), and round-trips', () => {
  const scimNames = Object.values(listed)
  fc.assert(fc.property(fc.oneof(fc.constantFrom(...scimNames), text), (displayName) => {
    const allowed = scimNames.some(v => v.toLowerCase() === displayName.toLowerCase())
    try {
      const out = allow.toEndpoint('group', { displayName })
      assert.ok(allowed, `${displayName} was written although not listed`)
      assert.equal(allow.toScim('group', out)?.displayName?.toString().toLowerCase(), displayName.toLowerCase())
    } catch (e) {
      assert.ok(!allowed, `${displayName} was refused although listed`)
      assert.ok(isScimError(e) && e.status === 400 && e.scimType === 'invalidValue')
    }
  }), { numRuns: 500 })
})
