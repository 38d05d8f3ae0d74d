// The entry a user edits: import the plugins to run and start them. Importing a plugin has no side
// effect; each runGateway() call loads config/plugin-<name>.json and serves that plugin on its port.
import { runGateway } from './lib/core/run.ts'
import { lokiPlugin } from './lib/plugins/plugin-loki.ts'

await runGateway(lokiPlugin)

// plugin-generic (opt-in): forwards to the SCIM server in config/plugin-generic.json (default: the
// loki gateway above, on 8880) and serves it on 8881. Uncomment both lines to run it too.
// import { genericPlugin } from './lib/plugins/plugin-generic.ts'
// await runGateway(genericPlugin)

// Opt-in: plugin-ldap (OpenLDAP / Active Directory) on the port of config/plugin-ldap.json (8883);
// edit that file (baseUrls, bind DN, bases, map), then uncomment:
// import { ldapPlugin } from './lib/plugins/plugin-ldap.ts'
// await runGateway(ldapPlugin)
