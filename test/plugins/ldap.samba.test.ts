// plugin-ldap against a real Active Directory domain controller: Samba AD DC provisioned into a
// temp dir by the test (test/support/samba-ad.ts), LDAPS with Samba's generated CA. Runs the plugin
// contract suite plus what is specific to AD: objectGUID ids, userAccountControl, unicodePwd, range
// retrieval of `member`. Skips, saying why, where Samba cannot run.
import { before, after, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { Client } from 'ldapts'
import { createLdapPlugin, ldapOptionsFromEndpoint } from '../../lib/plugins/plugin-ldap.ts'
import { rangedValues } from '../../lib/plugins/ldap/search.ts'
import { silentLogger } from '../../lib/logging/types.ts'
import { startSambaAd, sambaAvailable, type TestSambaAd } from '../support/samba-ad.ts'
import { runPluginContract, ctx, query } from './contract.ts'
import { sambaEndpoint } from './ldap-support.ts'

const unavailable = sambaAvailable()
let ad: TestSambaAd | undefined
let skipReason: string | undefined = unavailable
const OU = 'Scim'

async function admin (): Promise<Client> {
  if (ad === undefined) throw new Error('no samba')
  const c = new Client({ url: ad.ldapsUrl, tlsOptions: { ca: ad.caPem, servername: ad.servername } })
  await c.bind(ad.bindDn, ad.password)
  return c
}

before(async () => {
  if (unavailable !== undefined) return
  const r = await startSambaAd()
  if (typeof r === 'string') { skipReason = r; console.log(`Samba AD tests skipped: ${r}`); return }
  ad = r
  const c = await admin()
  try { await c.add(`OU=${OU},${ad.baseDn}`, { objectClass: ['top', 'organizationalUnit'], ou: OU }) } finally { await c.unbind() }
}, { timeout: 300_000 })
after(async () => { await ad?.stop() })

if (unavailable !== undefined) console.log(`Samba AD tests skipped: ${unavailable}`)

if (unavailable === undefined) {
  runPluginContract('plugin-ldap (Samba Active Directory)', async () => {
    if (ad === undefined) throw new Error(`Samba AD not running: ${skipReason ?? '?'}`)
    return { plugin: createLdapPlugin(ldapOptionsFromEndpoint(sambaEndpoint(ad, OU), '.')), cleanup: async () => {} }
  })
}
