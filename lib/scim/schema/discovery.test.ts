// Shape checks of the discovery documents for SCIM 2.0 and 1.1: every attribute definition carries all
// RFC 7643 §7 characteristics, meta/location are set, lookups work, 1.1 uses the 1.0 URNs.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import {
  attributeDocument, resourceTypeDocument, resourceTypeDocuments, resourceTypeListResponse, schemaDocument, schemaDocuments,
  schemaListResponse, serviceProviderConfig, type ServiceProviderConfigOptions
} from './discovery.ts'
import {
  CORE_SCHEMAS, SCHEMA_CORE_V1, SCHEMA_ENTERPRISE_USER, SCHEMA_ENTERPRISE_V1, SCHEMA_GROUP, SCHEMA_LIST_RESPONSE,
  SCHEMA_RESOURCE_TYPE, SCHEMA_SCHEMA, SCHEMA_SERVICE_PROVIDER_CONFIG, SCHEMA_USER
} from './definitions.ts'
import { isJsonObject, type JsonObject, type JsonValue } from '../types.ts'

const BASE = 'https://gw.example.com/scim/v2/'
const CHARACTERISTICS = ['name', 'type', 'multiValued', 'description', 'required', 'caseExact', 'mutability', 'returned', 'uniqueness']
const TYPES = ['string', 'boolean', 'decimal', 'integer', 'dateTime', 'reference', 'complex', 'binary']

function objects (v: JsonValue | undefined): JsonObject[] {
  assert.ok(Array.isArray(v), 'expected an array')
  return v.map(x => { assert.ok(isJsonObject(x)); return x })
}

function checkAttrV2 (a: JsonObject, path: string): number {
  for (const c of CHARACTERISTICS) assert.ok(a[c] !== undefined, `${path}: missing ${c}`)
  assert.ok(TYPES.includes(String(a.type)), `${path}: bad type ${String(a.type)}`)
  assert.ok(['readOnly', 'readWrite', 'immutable', 'writeOnly'].includes(String(a.mutability)), `${path}: mutability`)
  assert.ok(['always', 'never', 'default', 'request'].includes(String(a.returned)), `${path}: returned`)
  assert.ok(['none', 'server', 'global'].includes(String(a.uniqueness)), `${path}: uniqueness`)
  if (a.type === 'reference') assert.ok(Array.isArray(a.referenceTypes) && a.referenceTypes.length > 0, `${path}: referenceTypes`)
  let n = 1
  if (a.type === 'complex') {
    const subs = objects(a.subAttributes)
    assert.ok(subs.length > 0, `${path}: complex without subAttributes`)
    for (const s of subs) n += checkAttrV2(s, `${path}.${String(s.name)}`)
  } else assert.equal(a.subAttributes, undefined, `${path}: subAttributes on a simple attribute`)
  return n
}

test('2.0 schema documents: RFC 7643 §7 shape, every attribute fully characterised', () => {
  const docs = schemaDocuments('2.0', { baseUrl: BASE })
  assert.deepEqual(docs.map(d => d.id), [SCHEMA_USER, SCHEMA_ENTERPRISE_USER, SCHEMA_GROUP])
  let count = 0
  for (const d of docs) {
    assert.deepEqual(d.schemas, [SCHEMA_SCHEMA])
    assert.equal(typeof d.name, 'string')
    assert.equal(typeof d.description, 'string')
    assert.deepEqual(d.meta, { resourceType: 'Schema', location: `https://gw.example.com/scim/v2/Schemas/${String(d.id)}` })
    for (const a of objects(d.attributes)) count += checkAttrV2(a, `${String(d.id)}:${String(a.name)}`)
  }
  assert.ok(count > 60, `only ${count} attribute definitions`)
})

test('2.0 User schema reflects the definitions (userName required+server-unique, password never returned, groups readOnly)', () => {
  const user = schemaDocument('2.0', 'URN:IETF:PARAMS:SCIM:SCHEMAS:CORE:2.0:USER')
  assert.ok(user !== undefined)
  const attrs = objects(user.attributes)
  const by = (n: string): JsonObject | undefined => attrs.find(a => a.name === n)
  assert.deepEqual([by('userName')?.required, by('userName')?.uniqueness], [true, 'server'])
  assert.deepEqual([by('password')?.returned, by('password')?.mutability], ['never', 'writeOnly'])
  assert.equal(by('groups')?.mutability, 'readOnly')
  assert.deepEqual(by('emails')?.multiValued, true)
  assert.equal(by('id'), undefined, 'common attributes are not part of the 2.0 schema')
  assert.equal(user.meta !== undefined && isJsonObject(user.meta) ? user.meta.location : 'x', undefined, 'no baseUrl → no location')
})

test('schema lookup by id, unknown id → undefined', () => {
  assert.equal(schemaDocument('2.0', SCHEMA_GROUP)?.name, 'Group')
  assert.equal(schemaDocument('2.0', 'urn:nope'), undefined)
})

test('schema list response', () => {
  const l = schemaListResponse('2.0')
  assert.deepEqual(l.schemas, [SCHEMA_LIST_RESPONSE])
  assert.equal(l.totalResults, 3)
  assert.equal(l.itemsPerPage, 3)
  assert.equal(l.startIndex, 1)
  assert.equal(schemaListResponse('1.1').schemas[0], SCHEMA_CORE_V1)
})

test('1.1 schema documents: 1.0 URNs, readOnly flag, common attributes, child names', () => {
  const docs = schemaDocuments('1.1')
  assert.deepEqual(docs.map(d => d.id), [`${SCHEMA_CORE_V1}:User`, SCHEMA_ENTERPRISE_V1, `${SCHEMA_CORE_V1}:Group`])
  const user = schemaDocument('1.1', 'Users')
  assert.ok(user !== undefined)
  assert.equal(user.schema, SCHEMA_CORE_V1)
  assert.equal(user.endpoint, '/Users')
  assert.equal(user.schemas, undefined)
  const attrs = objects(user.attributes)
  const id = attrs.find(a => a.name === 'id')
  assert.equal(id?.readOnly, true)
  const emails = attrs.find(a => a.name === 'emails')
  assert.equal(emails?.multiValuedAttributeChildName, 'email')
  assert.equal(attrs.find(a => a.name === 'addresses')?.multiValuedAttributeChildName, 'address')
  const type = objects(emails?.subAttributes).find(s => s.name === 'type')
  assert.deepEqual(type?.canonicalValues, [{ value: 'work' }, { value: 'home' }, { value: 'other' }])
  for (const a of attrs) {
    for (const c of ['name', 'type', 'multiValued', 'description', 'schema', 'readOnly', 'required', 'caseExact']) assert.ok(a[c] !== undefined, `${String(a.name)}: ${c}`)
    assert.notEqual(a.type, 'reference', '1.1 has no reference type')
    assert.equal(a.mutability, undefined)
  }
  assert.equal(schemaDocument('1.1', 'groups')?.endpoint, '/Groups')
})

test('2.0 resource types', () => {
  const rts = resourceTypeDocuments('2.0', { baseUrl: 'https://h/scim' })
  assert.deepEqual(rts.map(r => r.id), ['User', 'Group'])
  const user = rts[0]
  assert.ok(user !== undefined)
  assert.deepEqual(user.schemas, [SCHEMA_RESOURCE_TYPE])
  assert.equal(user.endpoint, '/Users')
  assert.equal(user.schema, SCHEMA_USER)
  assert.deepEqual(user.schemaExtensions, [{ schema: SCHEMA_ENTERPRISE_USER, required: false }])
  assert.deepEqual(user.meta, { resourceType: 'ResourceType', location: 'https://h/scim/ResourceTypes/User' })
  assert.equal(resourceTypeDocument('2.0', 'group')?.endpoint, '/Groups')
  assert.equal(resourceTypeListResponse('2.0').totalResults, 2)
})

test('1.1 resource types use 1.0 URNs', () => {
  const user = resourceTypeDocument('1.1', 'User')
  assert.equal(user?.schema, SCHEMA_CORE_V1)
  assert.deepEqual(user?.schemaExtensions, [{ schema: SCHEMA_ENTERPRISE_V1, required: false }])
  assert.equal(user?.schemas, undefined)
})

const SPC: ServiceProviderConfigOptions = {
  version: '2.0',
  baseUrl: 'https://h/scim',
  patch: true,
  bulk: { supported: true, maxOperations: 1000, maxPayloadSize: 1048576 },
  filter: { supported: true, maxResults: 200 },
  changePassword: false,
  sort: true,
  etag: true,
  authenticationSchemes: [
    { type: 'oauthbearertoken', name: 'OAuth Bearer Token', description: 'Bearer', specUri: 'https://www.rfc-editor.org/info/rfc6750', primary: true },
    { type: 'httpbasic', name: 'HTTP Basic', description: 'Basic' }
  ],
  documentationUri: 'https://docs.example.com'
}

test('2.0 ServiceProviderConfig: RFC 7643 §5 shape', () => {
  const d = serviceProviderConfig(SPC)
  assert.deepEqual(d.schemas, [SCHEMA_SERVICE_PROVIDER_CONFIG])
  assert.equal(d.documentationUri, 'https://docs.example.com')
  assert.deepEqual(d.patch, { supported: true })
  assert.deepEqual(d.bulk, { supported: true, maxOperations: 1000, maxPayloadSize: 1048576 })
  assert.deepEqual(d.filter, { supported: true, maxResults: 200 })
  assert.deepEqual(d.changePassword, { supported: false })
  assert.deepEqual(d.sort, { supported: true })
  assert.deepEqual(d.etag, { supported: true })
  assert.deepEqual(d.authenticationSchemes, [
    { type: 'oauthbearertoken', name: 'OAuth Bearer Token', description: 'Bearer', specUri: 'https://www.rfc-editor.org/info/rfc6750', primary: true },
    { type: 'httpbasic', name: 'HTTP Basic', description: 'Basic' }
  ])
  assert.deepEqual(d.meta, { resourceType: 'ServiceProviderConfig', location: 'https://h/scim/ServiceProviderConfig' })
  assert.equal(d.id, undefined)
})

test('1.1 ServiceProviderConfig: 1.0 URN, id, specUrl/documentationUrl, xmlDataFormat', () => {
  const d = serviceProviderConfig({ ...SPC, version: '1.1' })
  assert.deepEqual(d.schemas, [SCHEMA_CORE_V1])
  assert.equal(d.id, SCHEMA_CORE_V1)
  assert.equal(d.documentationUrl, 'https://docs.example.com')
  assert.deepEqual(d.xmlDataFormat, { supported: false })
  assert.deepEqual(d.bulk, { supported: true, maxOperations: 1000, maxPayloadSize: 1048576 })
  const schemes = objects(d.authenticationSchemes)
  assert.equal(schemes[0]?.specUrl, 'https://www.rfc-editor.org/info/rfc6750')
  assert.equal(schemes[0]?.specUri, undefined)
  assert.equal(d.meta, undefined)
})

test('documents are generated from the definitions passed in', () => {
  const [user] = CORE_SCHEMAS
  assert.ok(user !== undefined)
  const docs = schemaDocuments('2.0', { schemas: [user] })
  assert.equal(docs.length, 1)
  assert.equal(objects(docs[0]?.attributes).length, user.attributes.length)
  const ref = attributeDocument({ name: 'r', type: 'reference', multiValued: false, description: '', required: false, caseExact: true, mutability: 'readWrite', returned: 'default', uniqueness: 'none' })
  assert.deepEqual(ref.referenceTypes, ['external'])
})
