// The `endpoint` section of config/plugin-mssql.json, declared with the config schema toolkit so
// every problem (bad value, unknown key, with "did you mean") is reported with its path in one
// ConfigError, like the rest of the configuration.
import { ConfigError } from '../../config/errors.ts'
import { boolean, enumOf, integer, jsonObject, object, string, validate, type Infer } from '../../config/schema.ts'
import { endpointSchema, NO_BASE_ENTITY } from '../sdk/config.ts'
import type { JsonObject } from '../../scim/types.ts'
import type { DialectName } from './dialect.ts'
import { COLUMN_IDENT, DEFAULT_TABLES, TABLE_IDENT, type ColumnNames, type TableNames } from './mapping.ts'

const tableName = (): ReturnType<typeof string> => string({ pattern: TABLE_IDENT, patternName: 'table name (letters, digits, _ and $; optionally schema.table)' })
const columnName = (): ReturnType<typeof string> => string({ pattern: COLUMN_IDENT, patternName: 'column name (letters, digits, _ and $)' })

/** An object schema with one optional column-name key per column of a table. */
function columnsOf<K extends keyof typeof DEFAULT_TABLES> (table: K): ReturnType<typeof object<Record<string, ReturnType<ReturnType<typeof columnName>['optional']>>>> {
  const shape: Record<string, ReturnType<ReturnType<typeof columnName>['optional']>> = {}
  for (const k of Object.keys(DEFAULT_TABLES[table].c)) shape[k] = columnName().optional()
  return object(shape)
}

const connectionSchema = object({
  url: string({ minLength: 1 }).optional().describe('postgres://…, mysql://…, or an mssql connection string; the other keys override its parts'),
  host: string({ minLength: 1 }).optional(),
  port: integer({ min: 1, max: 65535 }).optional(),
  user: string().optional(),
  password: string().optional(),
  database: string({ minLength: 1 }).optional(),
  options: jsonObject().optional().describe('driver options passed as they are (ssl, encrypt, …)')
})

const tablesSchema = object({ users: tableName().optional(), emails: tableName().optional(), groups: tableName().optional(), members: tableName().optional() })

const entityShape = {
  connection: connectionSchema.optional(),
  tables: tablesSchema.optional(),
  createSchema: boolean().optional()
}

/**
 * The endpoint section: plugin-wide keys plus `entity.<baseEntity>` (the SDK's shape; the key
 * "undefined" serves requests without a baseEntity). A top-level `connection` is the default every
 * entity extends; with no `entity` at all it serves requests without a baseEntity.
 */
export const sqlEndpointSchema = endpointSchema({
  top: {
    dialect: enumOf(['mssql', 'postgres', 'postgresql', 'mysql', 'mariadb'] as const).default('mssql'),
    connection: connectionSchema.optional(),
    pool: object({
      max: integer({ min: 1, max: 1000 }).default(10),
      idleTimeoutMs: integer({ min: 0 }).default(30_000),
      connectTimeoutMs: integer({ min: 100 }).default(5_000)
    }).default({}),
    createSchema: boolean().default(false).describe('create missing tables and indexes when an entity is first used'),
    uniqueGroupDisplayName: boolean().default(true),
    tables: tablesSchema.optional(),
    columns: object({ users: columnsOf('users').optional(), emails: columnsOf('emails').optional(), groups: columnsOf('groups').optional(), members: columnsOf('members').optional() }).optional()
  },
  entity: entityShape
}).refine((v, report) => {
  if (v.connection === undefined && Object.keys(v.entity).length === 0) report('a connection is required: endpoint.connection or endpoint.entity.<baseEntity>.connection', ['connection'])
  for (const [be, e] of Object.entries(v.entity)) {
    if (e.connection === undefined && v.connection === undefined) report('required when endpoint.connection is not given', ['entity', be, 'connection'])
  }
})

export type SqlEndpoint = Infer<typeof sqlEndpointSchema>
export type ConnectionConfig = NonNullable<SqlEndpoint['connection']>

/** One baseEntity's settings, the plugin-wide defaults applied. */
export interface SqlEntity { connection: ConnectionConfig, tables: TableNames, createSchema: boolean }

/** Options of the SQL plugin. */
export interface SqlOptions {
  dialect: DialectName
  pool: { max: number, idleTimeoutMs: number, connectTimeoutMs: number }
  uniqueGroupDisplayName: boolean
  columns?: ColumnNames
  /** Keyed by baseEntity ("undefined" = requests without one). */
  entities: Record<string, SqlEntity>
}

/** The plugin options from a validated endpoint section (what runGateway hands to the factory). */
export function toSqlOptions (v: SqlEndpoint): SqlOptions {
  const dialect: DialectName = v.dialect === 'postgresql' ? 'postgres' : v.dialect === 'mariadb' ? 'mysql' : v.dialect
  const entity = Object.keys(v.entity).length === 0 ? { [NO_BASE_ENTITY]: {} } : v.entity
  const entities: Record<string, SqlEntity> = {}
  for (const [key, e] of Object.entries(entity)) {
    entities[key] = {
      connection: { ...v.connection, ...e.connection },
      tables: { ...v.tables, ...e.tables },
      createSchema: e.createSchema ?? v.createSchema
    }
  }
  const out: SqlOptions = { dialect, pool: { ...v.pool }, uniqueGroupDisplayName: v.uniqueGroupDisplayName, entities }
  if (v.columns !== undefined) out.columns = v.columns as ColumnNames
  return out
}

/**
 * Validates a config file's `endpoint` section and makes the plugin options (for code that builds
 * the plugin itself; runGateway(mssqlPlugin) validates through the config loader).
 * @throws ConfigError listing every problem with its path (`endpoint.pool.max: …`).
 * @example
 * sqlOptionsFromEndpoint({ dialect: 'postgres', connection: { url: 'postgres://postgres@127.0.0.1/scim' }, createSchema: true })
 */
export function sqlOptionsFromEndpoint (endpoint: JsonObject, file?: string): SqlOptions {
  const r = validate(sqlEndpointSchema, endpoint, { coerce: true }, ['endpoint'])
  if (!r.ok) throw new ConfigError(file, r.errors)
  return toSqlOptions(r.value)
}
