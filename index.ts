// The entry a user edits: import the plugins to run and start them. Importing a plugin has no side
// effect; each runGateway() call loads config/plugin-<name>.json and serves that plugin on its port.
import { runGateway } from './lib/core/run.ts'
import { lokiPlugin } from './lib/plugins/plugin-loki.ts'

await runGateway(lokiPlugin)
// Opt-in: plugin-ldap (OpenLDAP / Active Directory) on the port of config/plugin-ldap.json (8883);
// edit that file (baseUrls, bind DN, bases, map), then uncomment:
// import { ldapPlugin } from './lib/plugins/plugin-ldap.ts'
// await runGateway(ldapPlugin)
