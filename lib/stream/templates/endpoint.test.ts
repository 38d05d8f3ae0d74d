// GetUniqueValue and Increment against a real ScimService + plugin-loki holding existing users, and
// resolveTemplates over a whole message user.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { evaluateTemplate, parseTemplate, resolveTemplates, serviceTemplateEndpoint, targetPath, type TemplateEndpoint } from './index.ts'
import { newContext, newService } from '../apply/test-support.ts'
import type { JsonObject } from '../../scim/types.ts'

const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User'
const JDOE = 'GetUniqueValue(Join("", LowerCase(FirstN([name.givenName],1)), LowerCase([name.familyName])), "@example.com")'
const john: JsonObject = { name: { givenName: 'John', familyName: 'Doe' } }

async function evalAt (text: string, target: string, user: JsonObject, endpoint: TemplateEndpoint | undefined): Promise<unknown> {
  return await evaluateTemplate(parseTemplate(text), { user, target, ...(endpoint !== undefined ? { endpoint } : {}) }, text)
}

test('GetUniqueValue: free value, taken values (case-insensitive for emails), numbering from 2', async () => {
  const service = await newService()
  const rc = newContext()
  const ep = serviceTemplateEndpoint(service, rc)
  assert.equal(await evalAt(JDOE, 'emails.value', john, ep), 'jdoe@example.com')
  await service.create('Users', { userName: 'u1', emails: [{ type: 'work', value: 'JDoe@Example.com' }] }, rc)
  assert.equal(await evalAt(JDOE, 'emails.value', john, ep), 'jdoe2@example.com')
  await service.create('Users', { userName: 'u2', emails: [{ type: 'work', value: 'jdoe2@example.com' }] }, rc)
  assert.equal(await evalAt(JDOE, 'emails.value', john, ep), 'jdoe3@example.com')
  // userName is another attribute: its values do not block mail addresses, and vice versa
  assert.equal(await evalAt('GetUniqueValue("u1")', 'userName', {}, ep), 'u12')
  assert.equal(await evalAt('GetUniqueValue("u3")', 'userName', {}, ep), 'u3')
})

test('GetUniqueValue: the user being applied does not block its own value', async () => {
  const service = await newService()
  const rc = newContext()
  const u1 = await service.create('Users', { userName: 'u1', emails: [{ type: 'work', value: 'jdoe@example.com' }] }, rc)
  assert.equal(await evalAt(JDOE, 'emails.value', john, serviceTemplateEndpoint(service, rc, u1.id)), 'jdoe@example.com')
  assert.equal(await evalAt(JDOE, 'emails.value', john, serviceTemplateEndpoint(service, rc, 'someone-else')), 'jdoe2@example.com')
})

test('Increment: next free number over more users than one page, extension attribute, padding', async () => {
  const service = await newService()
  const rc = newContext()
  for (let i = 1; i <= 1200; i++) {
    await service.create('Users', { userName: `u${i}`, [ENTERPRISE]: { employeeNumber: String(i * 2).padStart(5, '0') } }, rc)
  }
  await service.create('Users', { userName: 'x', [ENTERPRISE]: { employeeNumber: 'not-a-number' } }, rc)
  const ep = serviceTemplateEndpoint(service, rc)
  assert.equal(await evalAt('Increment()', `${ENTERPRISE}:employeeNumber`, {}, ep), '02401')
  assert.equal(await evalAt('Increment(90000)', `${ENTERPRISE}:employeeNumber`, {}, ep), '90000')
  assert.equal(await evalAt(`Increment([${ENTERPRISE}:employeeNumber])`, 'nickName', {}, ep), '02401')
  assert.equal(await evalAt('Increment()', 'nickName', {}, ep), '1')
})

test('resolveTemplates: targets inside arrays, onCreate and extensions; pure before endpoint templates', async () => {
  const service = await newService()
  const rc = newContext()
  await service.create('Users', { userName: 'old', emails: [{ type: 'work', value: 'ann.lee@example.com' }], nickName: 'annlee' }, rc)
  const user: JsonObject = {
    userName: 'ann',
    name: { givenName: 'Ann', familyName: 'Lee' },
    displayName: 'Join(" ", [name.givenName], [name.familyName])',
    emails: [{ type: 'work', value: 'GetUniqueValue(LowerCase(Replace([displayName], " ", ".")), "@example.com")' }],
    onCreate: { nickName: 'GetUniqueValue(LowerCase(Join("", [name.givenName], [name.familyName])))' },
    [ENTERPRISE]: { employeeNumber: 'Increment(100)' },
    title: 'Engineer'
  }
  const out = await resolveTemplates(user, { endpoint: serviceTemplateEndpoint(service, rc) })
  assert.deepEqual(out, {
    userName: 'ann',
    name: { givenName: 'Ann', familyName: 'Lee' },
    displayName: 'Ann Lee',
    emails: [{ type: 'work', value: 'ann.lee2@example.com' }],
    onCreate: { nickName: 'annlee2' },
    [ENTERPRISE]: { employeeNumber: '100' },
    title: 'Engineer'
  })
  // on update the values the endpoint user already holds are kept, per element type
  const current: JsonObject = { emails: [{ type: 'home', value: 'x@home.org' }, { type: 'work', value: 'kept@example.com' }], [ENTERPRISE]: { employeeNumber: '7' } }
  const again = await resolveTemplates(user, { endpoint: serviceTemplateEndpoint(service, rc), current })
  assert.deepEqual(again.emails, [{ type: 'work', value: 'kept@example.com' }])
  assert.deepEqual(again[ENTERPRISE], { employeeNumber: '7' })
})

test('targetPath', () => {
  assert.equal(targetPath(['emails', 0, 'value']), 'emails.value')
  assert.equal(targetPath(['userName']), 'userName')
  assert.equal(targetPath([ENTERPRISE, 'manager', 'value']), `${ENTERPRISE}:manager.value`)
})
