// Demo users and groups seeded into a new store (per baseEntity) unless `demoData: false`:
// users bjensen (RFC 7643 §8.2-like, with the enterprise extension) and jsmith, groups Admins
// (bjensen) and Employees (bjensen, jsmith).
import type { ScimResource } from '../../scim/types.ts'
import type { EntityStore } from './entity-store.ts'
import type { JournalRecord } from './records.ts'

const USER = 'urn:ietf:params:scim:schemas:core:2.0:User'
const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User'
const GROUP = 'urn:ietf:params:scim:schemas:core:2.0:Group'

/** Creates the demo resources in `store`; returns the journal records of all of them. */
export function seedDemoData (store: EntityStore): JournalRecord[] {
  const records: JournalRecord[] = []
  const add = (w: { result: ScimResource, records: JournalRecord[] }): ScimResource => { records.push(...w.records); return w.result }

  const jsmith = add(store.createUser({
    schemas: [USER],
    userName: 'jsmith',
    externalId: 'jsmith',
    active: true,
    name: { formatted: 'John Smith', familyName: 'Smith', givenName: 'John' },
    displayName: 'John Smith',
    title: 'Manager',
    emails: [{ value: 'jsmith@example.com', type: 'work', primary: true }],
    phoneNumbers: [{ value: '555-555-1111', type: 'work' }]
  }))
  const bjensen = add(store.createUser({
    schemas: [USER, ENTERPRISE],
    userName: 'bjensen',
    externalId: 'bjensen',
    active: true,
    name: { formatted: 'Ms. Barbara J Jensen, III', familyName: 'Jensen', givenName: 'Barbara', middleName: 'Jane', honorificPrefix: 'Ms.', honorificSuffix: 'III' },
    displayName: 'Barbara Jensen',
    nickName: 'Babs',
    title: 'Tour Guide',
    userType: 'Employee',
    preferredLanguage: 'en-US',
    emails: [
      { value: 'bjensen@example.com', type: 'work', primary: true },
      { value: 'babs@jensen.org', type: 'home' }
    ],
    phoneNumbers: [
      { value: '555-555-5555', type: 'work' },
      { value: '555-555-4444', type: 'mobile' }
    ],
    [ENTERPRISE]: {
      employeeNumber: '701984',
      department: 'Tour Operations',
      organization: 'Universal Studios',
      manager: { value: jsmith.id ?? '', displayName: 'John Smith' }
    }
  }))
  const member = (u: ScimResource): ScimResource => ({ value: u.id ?? '', display: String(u.displayName) })
  add(store.createGroup({ schemas: [GROUP], displayName: 'Admins', members: [member(bjensen)] }))
  add(store.createGroup({ schemas: [GROUP], displayName: 'Employees', members: [member(bjensen), member(jsmith)] }))
  return records
}
