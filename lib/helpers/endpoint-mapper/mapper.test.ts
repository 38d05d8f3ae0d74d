// endpointMapper, table-driven from fixtures/mapper.yaml: inbound/outbound mapping, multi-targets,
// valueMap renaming and allowlisting (invisible on read, 400 on write), filters, changes; plus the
// map's config validation and the /Schemas it generates.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { parse } from 'yaml'
import { validate } from '../../config/schema.ts'
import { isScimError } from '../../scim/errors.ts'
import type { JsonObject, JsonValue } from '../../scim/types.ts'
import type { SimpleFilter } from '../../scim/filter/ast.ts'
import { EndpointMapper, mapSchema, mapperSchemas, type MapConfig } from './index.ts'

interface Case {
  name: string
  map: string
  op: 'toScim' | 'toEndpoint' | 'endpointFilter' | 'endpointChanges'
  kind: 'user' | 'group'
  input?: JsonObject
  filter?: SimpleFilter
  operations?: Array<{ op: string, path?: string, value?: JsonValue }>
  expect?: JsonValue
  error?: { status: number, scimType?: string, match: string }
}
const fx = parse(readFileSync(new URL('./fixtures/mapper.yaml', import.meta.url), 'utf8')) as { maps: Record<string, unknown>, cases: Case[] }

const mappers = new Map<string, EndpointMapper>()
for (const [name, raw] of Object.entries(fx.maps)) {
  const r = validate(mapSchema, raw)
  assert.ok(r.ok, `fixture map ${name} is valid: ${JSON.stringify(r.errors)}`)
  mappers.set(name, new EndpointMapper(r.value))
}

for (const c of fx.cases) {
  test(`endpointMapper: ${c.name}`, () => {
    const m = mappers.get(c.map)
    assert.ok(m, `map ${c.map}`)
    const run = (): unknown => {
      switch (c.op) {
        case 'toScim': return m.toScim(c.kind, c.input ?? {}) ?? null
        case 'toEndpoint': return m.toEndpoint(c.kind, c.input ?? {})
        case 'endpointFilter': return m.endpointFilter(c.kind, c.filter ?? { attribute: '', operator: 'eq', value: '' })
        case 'endpointChanges': return m.endpointChanges(c.kind, c.operations ?? [], c.input ?? {})
      }
    }
    if (c.error !== undefined) {
      assert.throws(run, (e: unknown) => {
        assert.ok(isScimError(e))
        assert.equal(e.status, c.error?.status)
        if (c.error?.scimType !== undefined) assert.equal(e.scimType, c.error.scimType)
        assert.match(e.detail, new RegExp(c.error?.match ?? ''))
        return true
      })
      return
    }
    assert.deepEqual(run(), c.expect)
  })
}

const problems = (raw: unknown): string[] => validate(mapSchema, raw).errors.map(e => `${e.path}: ${e.message}`)

test('endpointMapper config: bad entries are reported with their paths', () => {
  const p = problems({
    user: { mail: { mapTo: 'emails.work', typ: 'string' }, x: { type: 'string' }, y: { mapTo: 'a,,b' }, z: { mapTo: 'title', type: 'text' } },
    group: { cn: { mapTo: 'displayName', valueMap: { a: 'Same', b: 'same' } } },
    users: {}
  })
  assert.ok(p.some(l => l.startsWith('user.mail.typ: unknown key (did you mean "type"?)')), p.join('\n'))
  assert.ok(p.some(l => l.startsWith('user.x.mapTo: required')), p.join('\n'))
  assert.ok(p.some(l => l.startsWith('user.y.mapTo: target 2 is empty')), p.join('\n'))
  assert.ok(p.some(l => l.startsWith('user.z.type: expected one of')), p.join('\n'))
  assert.ok(p.some(l => l.startsWith('group.cn.valueMap.b:') && l.includes('ambiguous')), p.join('\n'))
  assert.ok(p.some(l => l.startsWith('users: unknown key (did you mean "user"?)')), p.join('\n'))
})

test('endpointMapper config: x-agent-schema is refused with a clear message, not silently kept', () => {
  const msg = 'not supported by this gateway (MCP agent schemas); remove it'
  assert.deepEqual(problems({ user: { 'x-agent-schema': { description: 'x' }, uid: { mapTo: 'userName' } } }), [`user.x-agent-schema: ${msg}`])
  assert.deepEqual(problems({ user: { uid: { mapTo: 'userName', 'x-agent-schema': { hint: 'x' } } } }), [`user.uid.x-agent-schema: ${msg}`])
  assert.deepEqual(problems({ 'x-agent-schema': {}, group: {} }), [`x-agent-schema: ${msg}`])
})

test('endpointMapper /Schemas: only mapped attributes, custom ones added, valueMap values as canonicalValues', () => {
  const ldap = mapperSchemas(mappers.get('ldapLike') ?? new EndpointMapper({}))
  const user = ldap.find(s => s.id === 'urn:ietf:params:scim:schemas:core:2.0:User')
  assert.ok(user)
  const names = user.attributes.map(a => a.name).sort()
  assert.deepEqual(names, ['active', 'addresses', 'costCenter', 'emails', 'groups', 'name', 'phoneNumbers', 'userName'])
  assert.deepEqual(user.attributes.find(a => a.name === 'name')?.subAttributes?.map(s => s.name), ['familyName', 'givenName'])
  assert.deepEqual(user.attributes.find(a => a.name === 'emails')?.subAttributes?.find(s => s.name === 'type')?.canonicalValues, ['work'])
  assert.equal(user.attributes.find(a => a.name === 'costCenter')?.type, 'string')
  const ent = ldap.find(s => s.id === 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User')
  assert.deepEqual(ent?.attributes.map(a => a.name), ['employeeNumber'])
  const group = ldap.find(s => s.id === 'urn:ietf:params:scim:schemas:core:2.0:Group')
  assert.deepEqual(group?.attributes.map(a => a.name).sort(), ['displayName', 'members'])

  const allow = mapperSchemas(mappers.get('allowlist') ?? new EndpointMapper({}))
  const g = allow.find(s => s.id === 'urn:ietf:params:scim:schemas:core:2.0:Group')
  assert.deepEqual(g?.attributes.find(a => a.name === 'displayName')?.canonicalValues, ['inboundScimGrp1', 'Admins'])
  const u = allow.find(s => s.id === 'urn:ietf:params:scim:schemas:core:2.0:User')
  assert.deepEqual(u?.attributes.find(a => a.name === 'roles')?.subAttributes?.find(s => s.name === 'value')?.canonicalValues, ['Administrator', 'Reader'])
})

test('endpointMapper without a map for a kind: resources pass through, core schemas published', () => {
  const m = new EndpointMapper({ user: { uid: { mapTo: 'userName', type: 'string' } } } satisfies MapConfig)
  assert.deepEqual(m.toScim('group', { displayName: 'G', members: [] }), { displayName: 'G', members: [] })
  const schemas = mapperSchemas(m)
  assert.ok(schemas.some(s => s.id === 'urn:ietf:params:scim:schemas:core:2.0:Group' && s.attributes.some(a => a.name === 'members') && s.attributes.some(a => a.name === 'displayName')))
})
