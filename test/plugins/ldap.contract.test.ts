// plugin-ldap against a real slapd (test/support/slapd.ts), over LDAPS: the plugin contract suite
// for the plain OpenLDAP tree (with baseEntity isolation: one OU per baseEntity) and for the Active
// Directory look-alike tree (mS-DS-ConsistencyGuid ids, userAccountControl, sAMAccountName).
import { before, after } from 'node:test'
import { createLdapPlugin, ldapOptionsFromEndpoint } from '../../lib/plugins/plugin-ldap.ts'
import { startSlapd, type TestSlapd } from '../support/slapd.ts'
import { registerPluginContract } from './contract.ts'
import { adEndpoint, ensureOus, openLdapEndpoint } from './ldap-support.ts'

let slapd: TestSlapd
before(async () => {
  slapd = await startSlapd()
  await ensureOus(slapd, ['tenantA', 'tenantB'])
})
after(async () => { await slapd.stop() })

registerPluginContract({
  name: 'plugin-ldap (OpenLDAP)',
  factory: async () => ({ plugin: createLdapPlugin(ldapOptionsFromEndpoint(openLdapEndpoint(slapd, { tenants: ['tenantA', 'tenantB'] }), '.')), cleanup: async () => {} }),
  capabilities: { baseEntityIsolation: true, unknownBaseEntity404: true, health: true }
})

registerPluginContract({
  name: 'plugin-ldap (Active Directory look-alike)',
  factory: async () => ({ plugin: createLdapPlugin(ldapOptionsFromEndpoint(adEndpoint(slapd), '.')), cleanup: async () => {} }),
  capabilities: { unknownBaseEntity404: true, health: true }
})
