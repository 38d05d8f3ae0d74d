// The dialect adapters by name ("mariadb" is an alias of "mysql").
import type { Dialect, DialectName } from '../dialect.ts'
import { mssqlDialect } from './mssql.ts'
import { mysqlDialect } from './mysql.ts'
import { postgres } from './postgres.ts'

export const DIALECTS: Record<DialectName, Dialect> = { mssql: mssqlDialect, postgres, mysql: mysqlDialect }
