// The `endpoint` section of config/plugin-mssql.json, declared with the config schema toolkit so
// every problem (bad value, unknown key, with "did you mean") is reported with its path in one
// ConfigError, like the rest of the configuration.
import { ConfigError } from '../../config/errors.ts'
import { boolean, enumOf, integer, jsonObject, object, record, string, validate, type Infer } from '../../config/schema.ts'
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

const entitySchema = object({
  connection: connectionSchema.optional(),
  tables: tablesSchema.optional(),
  createSchema: boolean().optional()
})

export const sqlEndpointSchema = object({
  dialect: enumOf(['mssql', 'postgres', 'postgresql', 'mysql', 'mariadb'] as const).default('mssql'),
  connection: connectionSchema.optional(),
  pool: object({
    max: integer({ min: 1, max: 1000 }).default(10),
    idleTimeoutMs: integer({ min: 0 }).default(30_000),
    connectTimeoutMs: integer({ min: 100 }).default(5_000)
  }).default({}),
  createSchema: boolean().default(false).describe('create missing tables and indexes at first use'),
  uniqueGroupDisplayName: boolean().default(true),
  tables: tablesSchema.optional(),
  columns: object({ users: columnsOf('users').optional(), emails: columnsOf('emails').optional(), groups: columnsOf('groups').optional(), members: columnsOf('members').optional() }).optional(),
  entity: record(entitySchema).optional().describe('per-baseEntity connection/tables; the key "undefined" is requests without a baseEntity')
})

type Endpoint = Infer<typeof sqlEndpointSchema>
export type ConnectionConfig = NonNullable<Endpoint['connection']>

/** Options of the SQL plugin (the validated endpoint section). */
export interface SqlOptions {
  dialect: DialectName
  connection?: ConnectionConfig
  pool: { max: number, idleTimeoutMs: number, connectTimeoutMs: number }
  createSchema: boolean
  uniqueGroupDisplayName: boolean
  tables?: TableNames
  columns?: ColumnNames
  entity?: Record<string, { connection?: ConnectionConfig, tables?: TableNames, createSchema?: boolean }>
}

/**
 * Validates a config file's `endpoint` section.
 * @throws ConfigError listing every problem with its path (`endpoint.pool.max: …`).
 * @example
 * sqlOptionsFromEndpoint({ dialect: 'postgres', connection: { url: 'postgres://postgres@127.0.0.1/scim' }, createSchema: true })
 */
export function sqlOptionsFromEndpoint (endpoint: JsonObject, file?: string): SqlOptions {
  const r = validate(sqlEndpointSchema, endpoint, { coerce: true }, ['endpoint'])
  if (!r.ok) throw new ConfigError(file, r.errors)
  const v = r.value
  const problems: Array<{ path: string, message: string }> = []
  const entities = v.entity ?? {}
  if (v.connection === undefined && Object.keys(entities).length === 0) problems.push({ path: 'endpoint.connection', message: 'required (or endpoint.entity.<baseEntity>.connection)' })
  for (const [be, e] of Object.entries(entities)) {
    if (e.connection === undefined && v.connection === undefined) problems.push({ path: `endpoint.entity.${be}.connection`, message: 'required when endpoint.connection is not given' })
  }
  if (problems.length > 0) throw new ConfigError(file, problems)
  const dialect: DialectName = v.dialect === 'postgresql' ? 'postgres' : v.dialect === 'mariadb' ? 'mysql' : v.dialect
  const out: SqlOptions = { dialect, pool: v.pool, createSchema: v.createSchema, uniqueGroupDisplayName: v.uniqueGroupDisplayName }
  if (v.connection !== undefined) out.connection = v.connection
  if (v.tables !== undefined) out.tables = v.tables
  if (v.columns !== undefined) out.columns = v.columns as ColumnNames
  if (v.entity !== undefined) out.entity = v.entity
  return out
}
