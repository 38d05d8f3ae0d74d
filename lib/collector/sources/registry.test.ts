// The source registry: one definition per config section of the schema, subject prefixes that are
// the ones the stream contract captures and the messages use, lookup by type, and the default
// collector factory dispatching to the definition (an HR section is created, an entra section
// without auth is valid but not collected).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { validate } from '../../config/index.ts'
import { silentLogger } from '../../logging/types.ts'
import { TENANT_STREAM_SUBJECTS } from '../../stream/contract/index.ts'
import { streamConfigSchema } from '../config.ts'
import { subjectOf } from '../message.ts'
import { COLLECTOR_TYPES, SOURCES, defaultSources, sourceDefinition } from './registry.ts'

test('every config section has one source and every source has a section', () => {
  const empty = validate(streamConfigSchema, {}, { coerce: true })
  assert.ok(empty.ok)
  const sections = Object.keys(empty.value).filter(k => (COLLECTOR_TYPES as readonly string[]).includes(k))
  assert.deepEqual([...COLLECTOR_TYPES].sort(), ['entra', 'hr'])
  assert.deepEqual(sections.sort(), [...COLLECTOR_TYPES].sort())
  assert.equal(new Set(SOURCES.map(s => s.type)).size, SOURCES.length)
})

test('subject prefixes: what the messages use and what the tenant stream captures', () => {
  for (const s of SOURCES) {
    assert.equal(subjectOf(s.type, 'AD'), `${s.subjectPrefix}.AD`)
    assert.ok(TENANT_STREAM_SUBJECTS.includes(`${s.subjectPrefix}.>`), s.subjectPrefix)
  }
})

test('lookup by type; an unregistered type is an error naming it', () => {
  assert.equal(sourceDefinition('hr').type, 'hr')
  assert.equal(sourceDefinition('entra').subjectPrefix, 'ENTRA')
  assert.throws(() => sourceDefinition('ldap' as never), /no source registered for collector type "ldap"/)
})

test('config problems come from the section\'s source, with full paths', () => {
  const hr = sourceDefinition('hr').configProblems('hr.acme', { auth: {}, general: {} })
  assert.ok(hr.length > 0)
  assert.ok(hr.every(p => p.path.startsWith('hr.acme')), JSON.stringify(hr))
  assert.deepEqual(sourceDefinition('entra').configProblems('entra.acme', { auth: {} }), [])
})

test('the default factory creates each tenant\'s collector from its definition', () => {
  const hr = defaultSources('acme', 'hr', { auth: { base_urls: ['http://127.0.0.1:9'], basic: { username: 'u', password: 'p' } }, general: { collect_query_string: '/people' } }, silentLogger)
  assert.equal(hr.unavailable, undefined)
  assert.equal(typeof hr.lifecycle, 'function')
  const entra = defaultSources('acme', 'entra', { auth: {}, general: {} }, silentLogger)
  assert.match(entra.unavailable ?? '', /^entra\.acme: no auth configured/)
  assert.equal(entra.lifecycle, undefined)
})
