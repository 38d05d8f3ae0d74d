// The entry a user edits: import the plugins to run and start them. Importing a plugin has no side
// effect; each runGateway() call loads config/plugin-<name>.json and serves that plugin on its port.
import { runGateway } from './lib/launcher/index.ts'
import { lokiPlugin } from './lib/plugins/plugin-loki.ts'

// Several plugins side by side, each on the port of its own config/plugin-<name>.json (opt-in):
//   SCIM_PLUGINS=loki,generic,ldap,mssql,api npm start
// generic forwards to the SCIM server of config/plugin-generic.json (default: the loki gateway on
// 8880) on 8881; ldap (OpenLDAP / Active Directory: edit baseUrls, bind DN, bases, map first) on 8883.
// One supervisor (lib/launcher/supervisor.ts) stops them all, in start order, on SIGTERM/SIGINT.
const plugins: Record<string, () => Promise<unknown>> = {
  loki: async () => await runGateway(lokiPlugin),
  generic: async () => await runGateway((await import('./lib/plugins/plugin-generic.ts')).genericPlugin),
  ldap: async () => await runGateway((await import('./lib/plugins/plugin-ldap.ts')).ldapPlugin),
  mssql: async () => await runGateway((await import('./lib/plugins/plugin-mssql.ts')).mssqlPlugin),
  api: async () => await runGateway((await import('./lib/plugins/plugin-api.ts')).apiPlugin),
  soap: async () => await runGateway((await import('./lib/plugins/plugin-soap.ts')).soapPlugin),
  'entra-id': async () => await runGateway((await import('./lib/plugins/plugin-entra-id.ts')).entraIdPlugin),
  mongodb: async () => await runGateway((await import('./lib/plugins/plugin-mongodb.ts')).mongodbPlugin)
}
const list = process.env.SCIM_PLUGINS?.trim()
const wanted = (list === undefined || list === '' ? 'loki' : list).split(',').map(n => n.trim()).filter(n => n !== '')
for (const name of wanted) {
  const start = plugins[name]
  if (start === undefined) {
    process.stderr.write(`SCIM_PLUGINS: unknown plugin "${name}" (known: ${Object.keys(plugins).join(', ')})\n`)
    process.exit(1)
  }
  await start()
}
