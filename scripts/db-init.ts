// `npm run db:init -- <dialect> [--url <connection>] [--print]`: creates plugin-mssql's tables and
// indexes (if missing) in SQL Server, PostgreSQL or MariaDB/MySQL. Without --url the connection(s)
// come from config/plugin-mssql.json (every baseEntity), which must use the same dialect.
// --print only prints the statements.
import { loadPluginConfig } from '../lib/config/index.ts'
import { isConfigError } from '../lib/config/errors.ts'
import { sqlEndpointSchema, sqlOptionsFromEndpoint, toSqlOptions, type SqlOptions } from '../lib/plugins/plugin-mssql.ts'
import { initSchema, schemaStatements } from '../lib/plugins/sql/schema-init.ts'
import type { SqlEndpoint } from '../lib/plugins/sql/options.ts'

const USAGE = 'usage: npm run db:init -- <mssql|postgres|mysql|mariadb> [--url <connection url>] [--print]'

async function main (argv: string[]): Promise<number> {
  const dialect = argv[0]
  const url = argv.includes('--url') ? argv[argv.indexOf('--url') + 1] : process.env.DB_URL
  const print = argv.includes('--print')
  if (dialect === undefined || !['mssql', 'postgres', 'postgresql', 'mysql', 'mariadb'].includes(dialect)) {
    process.stderr.write(`${USAGE}\n`)
    return 2
  }
  let opts: SqlOptions
  if (url !== undefined && url !== '') {
    opts = sqlOptionsFromEndpoint({ dialect, connection: { url } })
  } else if (print) {
    opts = sqlOptionsFromEndpoint({ dialect, connection: { host: 'unused' } })
  } else {
    const loaded = await loadPluginConfig('mssql', { endpointSchema: sqlEndpointSchema })
    opts = toSqlOptions(loaded.endpoint as SqlEndpoint)
    const wanted = sqlOptionsFromEndpoint({ dialect, connection: { host: 'x' } }).dialect
    if (opts.dialect !== wanted) {
      process.stderr.write(`config/plugin-mssql.json uses dialect "${opts.dialect}", not "${dialect}": give --url for a ${dialect} database\n`)
      return 2
    }
  }
  if (print) {
    for (const key of Object.keys(opts.entities)) for (const s of schemaStatements(opts, key)) process.stdout.write(`${s};\n`)
    return 0
  }
  await initSchema(opts, line => { process.stdout.write(`${line}\n`) })
  return 0
}

main(process.argv.slice(2)).then(code => { process.exitCode = code }, (err: unknown) => {
  process.stderr.write(`${isConfigError(err) ? err.message : err instanceof Error ? `db:init failed: ${err.message}` : String(err)}\n`)
  process.exitCode = 1
})
