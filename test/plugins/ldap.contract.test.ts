// plugin-ldap against a real slapd (test/support/slapd.ts), over LDAPS: the plugin contract suite
// for the plain OpenLDAP tree (with baseEntity isolation: one OU per baseEntity) and for the Active
// Directory look-alike tree (mS-DS-ConsistencyGuid ids, userAccountControl, sAMAccountName).
import { before, after } from 'node:test'
import { createLdapPlugin, ldapOptionsFromEndpoint } from '../../lib/plugins/plugin-ldap.ts'
import { startSlapd, type TestSlapd } from '../support/slapd.ts'
import { runPluginContract } from './contract.ts'
import { adEndpoint, ensureOus, openLdapEndpoint } from './ldap-support.ts'

let slapd: TestSlapd
before(async () => {
  slapd = await startSlapd()
  await ensureOus(slapd, ['tenantA', 'tenantB'])
})
after(async () => { await slapd.stop() })

runPluginContract('plugin-ldap (OpenLDAP)', async () => ({
  plugin: createLdapPlugin(ldapOptionsFromEndpoint(openLdapEndpoint(slapd, { tenants: ['tenantA', 'tenantB'] }), '.')),
  cleanup: async () => {}
}), { baseEntityIsolation: true })

runPluginContract('plugin-ldap (Active Directory look-alike)', async () => ({
  plugin: createLdapPlugin(ldapOptionsFromEndpoint(adEndpoint(slapd), '.')),
  cleanup: async () => {}
}))
