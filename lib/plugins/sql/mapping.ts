// Table and column names of the SQL plugin. Defaults give the schema `npm run db:init` creates; the
// config's `endpoint.tables` / `endpoint.columns` rename any of them (to fit a naming convention or
// an existing database with the same shape). Every name is validated as a plain identifier
// (optionally `schema.table`) so no config value can inject SQL.

/** Column names of the users table. `*Key` columns hold the lower-cased value (indexed, unique for userName). */
export interface UserColumns {
  id: string
  userName: string
  userNameKey: string
  externalId: string
  displayName: string
  displayNameKey: string
  givenName: string
  familyName: string
  active: string
  /** JSON text with every attribute that has no column of its own. */
  data: string
  created: string
  lastModified: string
}

/** One row per element of a user's `emails` (multi-valued, written in the user's transaction). */
/** `data`: JSON of the element's other sub-attributes (display, …), or NULL. */
export interface EmailColumns { userId: string, position: string, value: string, valueKey: string, type: string, primary: string, data: string }

export interface GroupColumns { id: string, displayName: string, displayNameKey: string, externalId: string, data: string, created: string, lastModified: string }

/** One row per group member; `valueKey` is the lower-cased member value (members compare case-insensitively). */
export interface MemberColumns { groupId: string, value: string, valueKey: string, display: string, data: string }

export interface Tables {
  users: { name: string, c: UserColumns }
  emails: { name: string, c: EmailColumns }
  groups: { name: string, c: GroupColumns }
  members: { name: string, c: MemberColumns }
}

export const DEFAULT_TABLES: Tables = {
  users: {
    name: 'scim_users',
    c: { id: 'id', userName: 'user_name', userNameKey: 'user_name_key', externalId: 'external_id', displayName: 'display_name', displayNameKey: 'display_name_key', givenName: 'given_name', familyName: 'family_name', active: 'active', data: 'data', created: 'created', lastModified: 'last_modified' }
  },
  emails: { name: 'scim_user_emails', c: { userId: 'user_id', position: 'position', value: 'value', valueKey: 'value_key', type: 'type', primary: 'is_primary', data: 'data' } },
  groups: { name: 'scim_groups', c: { id: 'id', displayName: 'display_name', displayNameKey: 'display_name_key', externalId: 'external_id', data: 'data', created: 'created', lastModified: 'last_modified' } },
  members: { name: 'scim_group_members', c: { groupId: 'group_id', value: 'value', valueKey: 'value_key', display: 'display', data: 'data' } }
}

export type TableKey = keyof Tables

/** Table names as the config may give them. */
export type TableNames = Partial<Record<TableKey, string>>
/** Column names as the config may give them, per table. */
export type ColumnNames = { [K in TableKey]?: Partial<Record<keyof Tables[K]['c'], string>> }

export const TABLE_IDENT = /^[A-Za-z_][A-Za-z0-9_$]{0,62}(\.[A-Za-z_][A-Za-z0-9_$]{0,62})?$/
export const COLUMN_IDENT = /^[A-Za-z_][A-Za-z0-9_$]{0,62}$/

/** The defaults with the config's renames applied (names are validated by the options schema). */
export function resolveTables (names: TableNames = {}, columns: ColumnNames = {}): Tables {
  return {
    users: { name: names.users ?? DEFAULT_TABLES.users.name, c: { ...DEFAULT_TABLES.users.c, ...columns.users } },
    emails: { name: names.emails ?? DEFAULT_TABLES.emails.name, c: { ...DEFAULT_TABLES.emails.c, ...columns.emails } },
    groups: { name: names.groups ?? DEFAULT_TABLES.groups.name, c: { ...DEFAULT_TABLES.groups.c, ...columns.groups } },
    members: { name: names.members ?? DEFAULT_TABLES.members.name, c: { ...DEFAULT_TABLES.members.c, ...columns.members } }
  }
}

/** A short, identifier-safe suffix for index names derived from a table name (`dbo.scim_users` → `scim_users`). */
export function indexBase (table: string): string {
  return (table.split('.').pop() ?? table).slice(0, 40)
}
