// The SCIM 2.0 core schemas (RFC 7643 §4, §8.7.1): User, EnterpriseUser, Group, and their resource types.
// One definition; discovery documents for 2.0 and 1.1 are generated from it.
import type { AttributeDef, ResourceTypeDef, SchemaDef } from '../types.ts'
import { attr, bool, complex, multi, str } from './define.ts'

export const SCHEMA_USER = 'urn:ietf:params:scim:schemas:core:2.0:User'
export const SCHEMA_GROUP = 'urn:ietf:params:scim:schemas:core:2.0:Group'
export const SCHEMA_ENTERPRISE_USER = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User'
export const SCHEMA_LIST_RESPONSE = 'urn:ietf:params:scim:api:messages:2.0:ListResponse'
export const SCHEMA_PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp'
export const SCHEMA_BULK_REQUEST = 'urn:ietf:params:scim:api:messages:2.0:BulkRequest'
export const SCHEMA_BULK_RESPONSE = 'urn:ietf:params:scim:api:messages:2.0:BulkResponse'
export const SCHEMA_SEARCH_REQUEST = 'urn:ietf:params:scim:api:messages:2.0:SearchRequest'
export const SCHEMA_SERVICE_PROVIDER_CONFIG = 'urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig'
export const SCHEMA_RESOURCE_TYPE = 'urn:ietf:params:scim:schemas:core:2.0:ResourceType'
export const SCHEMA_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:Schema'
/** SCIM 1.1 core schema URN (used for both User and Group in 1.1). */
export const SCHEMA_CORE_V1 = 'urn:scim:schemas:core:1.0'
export const SCHEMA_ENTERPRISE_V1 = 'urn:scim:schemas:extension:enterprise:1.0'

/** Attributes every resource has (RFC 7643 §3.1): id, externalId, meta. Not part of any schema's attribute list. */
export const COMMON_ATTRIBUTES: AttributeDef[] = [
  str('id', { caseExact: true, mutability: 'readOnly', returned: 'always', uniqueness: 'server' }),
  str('externalId', { caseExact: true }),
  complex('meta', [
    str('resourceType', { caseExact: true, mutability: 'readOnly' }),
    attr('created', 'dateTime', { mutability: 'readOnly' }),
    attr('lastModified', 'dateTime', { mutability: 'readOnly' }),
    attr('location', 'reference', { mutability: 'readOnly', caseExact: true, referenceTypes: ['uri'] }),
    str('version', { caseExact: true, mutability: 'readOnly' })
  ], { mutability: 'readOnly' })
]

const ro = { mutability: 'readOnly' as const }

export const USER_SCHEMA: SchemaDef = {
  id: SCHEMA_USER,
  name: 'User',
  description: 'User Account',
  attributes: [
    str('userName', { required: true, uniqueness: 'server', description: 'Unique identifier for the User, typically used by the user to directly authenticate to the service provider.' }),
    complex('name', [
      str('formatted'), str('familyName'), str('givenName'), str('middleName'), str('honorificPrefix'), str('honorificSuffix')
    ]),
    str('displayName'),
    str('nickName'),
    attr('profileUrl', 'reference', { referenceTypes: ['external'] }),
    str('title'),
    str('userType'),
    str('preferredLanguage'),
    str('locale'),
    str('timezone'),
    bool('active'),
    str('password', { mutability: 'writeOnly', returned: 'never', caseExact: true }),
    multi('emails', 'string', ['work', 'home', 'other']),
    multi('phoneNumbers', 'string', ['work', 'home', 'mobile', 'fax', 'pager', 'other']),
    multi('ims', 'string', ['aim', 'gtalk', 'icq', 'xmpp', 'msn', 'skype', 'qq', 'yahoo']),
    multi('photos', 'reference', ['photo', 'thumbnail']),
    complex('addresses', [
      str('formatted'), str('streetAddress'), str('locality'), str('region'), str('postalCode'), str('country'),
      str('type', { canonicalValues: ['work', 'home', 'other'] }), bool('primary')
    ], { multiValued: true }),
    complex('groups', [
      str('value', ro), attr('$ref', 'reference', { ...ro, referenceTypes: ['User', 'Group'] }), str('display', ro),
      str('type', { ...ro, canonicalValues: ['direct', 'indirect'] })
    ], { multiValued: true, mutability: 'readOnly' }),
    multi('entitlements'),
    multi('roles'),
    complex('x509Certificates', [attr('value', 'binary'), str('display'), str('type'), bool('primary')], { multiValued: true })
  ]
}

export const ENTERPRISE_USER_SCHEMA: SchemaDef = {
  id: SCHEMA_ENTERPRISE_USER,
  name: 'EnterpriseUser',
  description: 'Enterprise User',
  attributes: [
    str('employeeNumber'),
    str('costCenter'),
    str('organization'),
    str('division'),
    str('department'),
    complex('manager', [
      str('value'), attr('$ref', 'reference', { referenceTypes: ['User'] }), str('displayName', ro)
    ])
  ]
}

export const GROUP_SCHEMA: SchemaDef = {
  id: SCHEMA_GROUP,
  name: 'Group',
  description: 'Group',
  attributes: [
    str('displayName', { required: true }),
    complex('members', [
      str('value', { mutability: 'immutable' }),
      attr('$ref', 'reference', { mutability: 'immutable', referenceTypes: ['User', 'Group'] }),
      str('display', { mutability: 'immutable' }),
      str('type', { mutability: 'immutable', canonicalValues: ['User', 'Group'] })
    ], { multiValued: true })
  ]
}

export const USER_RESOURCE_TYPE: ResourceTypeDef = {
  id: 'User', name: 'User', endpoint: '/Users', description: 'User Account', schema: SCHEMA_USER,
  schemaExtensions: [{ schema: SCHEMA_ENTERPRISE_USER, required: false }]
}
export const GROUP_RESOURCE_TYPE: ResourceTypeDef = {
  id: 'Group', name: 'Group', endpoint: '/Groups', description: 'Group', schema: SCHEMA_GROUP, schemaExtensions: []
}

export const CORE_SCHEMAS: SchemaDef[] = [USER_SCHEMA, ENTERPRISE_USER_SCHEMA, GROUP_SCHEMA]
export const CORE_RESOURCE_TYPES: ResourceTypeDef[] = [USER_RESOURCE_TYPE, GROUP_RESOURCE_TYPE]
