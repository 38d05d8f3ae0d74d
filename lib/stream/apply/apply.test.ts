// applyStreamMessage against a real ScimService + plugin-loki, driven by fixtures/cases.yaml: every
// message is applied twice and the second application must change nothing.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { parse } from 'yaml'
import { applyStreamMessage, type SubscriberEntityOptions } from './apply.ts'
import { parseStreamMessage } from '../message.ts'
import { endpointState, newContext, newRecordingService, type EndpointState } from './test-support.ts'
import type { JsonObject } from '../../scim/types.ts'
import type { ScimService } from '../../core/service.ts'
import type { RequestContext } from '../../core/context.ts'

interface Case {
  name: string
  options?: SubscriberEntityOptions
  subject?: string
  given?: { users?: JsonObject[], groups?: Array<{ displayName: string, externalId?: string, members?: string[] }> }
  messages: JsonObject[]
  actions: string[]
  expect: EndpointState
  passwords?: Record<string, string | null>
}

const cases = parse(readFileSync(new URL('./fixtures/cases.yaml', import.meta.url), 'utf8')) as Case[]

async function seed (service: ScimService, rc: RequestContext, given: Case['given']): Promise<void> {
  const ids = new Map<string, string>()
  for (const u of given?.users ?? []) {
    const created = await service.create('Users', u, rc)
    ids.set(String(u.userName), String(created.id))
  }
  for (const g of given?.groups ?? []) {
    const members = (g.members ?? []).map(n => ({ value: ids.get(n) ?? assert.fail(`unknown member ${n}`) }))
    await service.create('Groups', { displayName: g.displayName, ...(g.externalId !== undefined ? { externalId: g.externalId } : {}), members }, rc)
  }
}

test('fixture table has at least 25 cases', () => {
  assert.ok(cases.length >= 25, `only ${cases.length} cases`)
})

for (const c of cases) {
  test(`apply: ${c.name}`, async () => {
    const { service, passwords } = await newRecordingService()
    const rc = newContext()
    await seed(service, rc, c.given)
    const subject = c.subject ?? 'ENTRA.ALL'
    const deps = { service, rc, options: c.options ?? {}, subject }
    for (const [i, body] of c.messages.entries()) {
      const msg = parseStreamMessage(JSON.stringify(body), { msgId: `${c.name}#${i}`, subject })
      const first = await applyStreamMessage(msg, deps)
      assert.equal(first.action, c.actions[i], `message ${i}: ${JSON.stringify(first)}`)
      const once = await endpointState(service, rc)
      const again = await applyStreamMessage(msg, deps)
      assert.ok(again.action === 'unchanged' || again.action === 'skipped', `message ${i} applied twice: ${JSON.stringify(again)}`)
      assert.deepEqual(await endpointState(service, rc), once, `message ${i}: second application changed the endpoint`)
    }
    assert.deepEqual(await endpointState(service, rc), c.expect)
    for (const [userName, expected] of Object.entries(c.passwords ?? {})) {
      const got = passwords.get(userName)
      if (expected === '<generated>') {
        assert.ok(typeof got === 'string' && got.length >= 12, `generated password for ${userName}: ${String(got)}`)
        assert.match(got, /[A-Z]/); assert.match(got, /[a-z]/); assert.match(got, /[0-9]/); assert.match(got, /[^A-Za-z0-9]/)
      } else assert.equal(got, expected ?? undefined)
    }
  })
}
