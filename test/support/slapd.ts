// Test harness: a throwaway OpenLDAP slapd per suite, on free loopback ports (ldap:// and ldaps://
// with a generated CA), in its own temp dir, from a generated slapd.conf. Two databases:
//  - dc=example,dc=org — plain OpenLDAP (inetOrgPerson / groupOfNames + the auxiliary class
//    `scimObject`), memberof + refint overlays;
//  - dc=ad,dc=test     — an Active Directory look-alike: a test schema defining AD's attribute
//    names (sAMAccountName, userPrincipalName, userAccountControl, unicodePwd, objectGUID,
//    mS-DS-ConsistencyGuid) and classes `user`/`group`, with memberof (group oc `group`) + refint.
// restart() stops and starts slapd on the same ports and data; stop() kills it and removes the dir.
//
// @example
//   let ldap: TestSlapd
//   before(async () => { ldap = await startSlapd() })
//   after(async () => { await ldap.stop() })
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises'
import { createServer, connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Client } from 'ldapts'
import { makeSlapdPki } from './slapd-pki.ts'

export const SLAPD_BIN = '/usr/sbin/slapd'
export const OPENLDAP_SUFFIX = 'dc=example,dc=org'
export const AD_SUFFIX = 'dc=ad,dc=test'

export interface TestSlapd {
  /** ldap://127.0.0.1:<port> */
  readonly url: string
  /** ldaps://127.0.0.1:<port> (certificate for 127.0.0.1 signed by `caPem`) */
  readonly ldapsUrl: string
  readonly caPem: string
  readonly caFile: string
  /** The root DN and password of both databases. */
  readonly bindDn: string
  readonly bindDnAd: string
  readonly password: string
  readonly dir: string
  /** Kills slapd (SIGKILL, like a crash) without removing data; start() brings it back. */
  kill (): Promise<void>
  /** Starts slapd again after kill(), same ports and data. */
  start (): Promise<void>
  restart (): Promise<void>
  stop (): Promise<void>
}

const PASSWORD = 'secret-' + Math.random().toString(36).slice(2, 10)

// Test-only OIDs (a private arc nobody uses); AD's real attribute names and syntaxes. `scimObject` is
// an auxiliary class giving plain OpenLDAP entries a place for SCIM's externalId and active (the
// standard inetOrgPerson/groupOfNames schema has neither) — the kind of schema extension sites add.
const AD_SCHEMA = `
attributetype ( 1.3.6.1.4.1.55555.99.1.1 NAME 'sAMAccountName' EQUALITY caseIgnoreMatch SUBSTR caseIgnoreSubstringsMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.15 SINGLE-VALUE )
attributetype ( 1.3.6.1.4.1.55555.99.1.2 NAME 'userPrincipalName' EQUALITY caseIgnoreMatch SUBSTR caseIgnoreSubstringsMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.15 SINGLE-VALUE )
attributetype ( 1.3.6.1.4.1.55555.99.1.3 NAME 'userAccountControl' EQUALITY integerMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.27 SINGLE-VALUE )
attributetype ( 1.3.6.1.4.1.55555.99.1.4 NAME 'unicodePwd' EQUALITY octetStringMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.40 SINGLE-VALUE )
attributetype ( 1.3.6.1.4.1.55555.99.1.5 NAME 'objectGUID' EQUALITY octetStringMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.40 SINGLE-VALUE )
attributetype ( 1.3.6.1.4.1.55555.99.1.6 NAME 'mS-DS-ConsistencyGuid' EQUALITY octetStringMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.40 SINGLE-VALUE )
attributetype ( 1.3.6.1.4.1.55555.99.1.7 NAME 'scimExternalId' EQUALITY caseExactMatch SUBSTR caseExactSubstringsMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.15 SINGLE-VALUE )
attributetype ( 1.3.6.1.4.1.55555.99.1.8 NAME 'scimActive' EQUALITY booleanMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.7 SINGLE-VALUE )
objectclass ( 1.3.6.1.4.1.55555.99.2.3 NAME 'scimObject' SUP top AUXILIARY MAY ( scimExternalId $ scimActive $ co ) )
objectclass ( 1.3.6.1.4.1.55555.99.2.1 NAME 'user' SUP top STRUCTURAL MUST cn
  MAY ( sn $ givenName $ displayName $ mail $ title $ mobile $ telephoneNumber $ description $ sAMAccountName $ userPrincipalName $ userAccountControl $ unicodePwd $ objectGUID $ mS-DS-ConsistencyGuid $ employeeNumber ) )
objectclass ( 1.3.6.1.4.1.55555.99.2.2 NAME 'group' SUP top STRUCTURAL MUST cn
  MAY ( member $ sAMAccountName $ description $ displayName $ objectGUID $ mS-DS-ConsistencyGuid ) )
`

function slapdConf (dir: string): string {
  const db = (suffix: string, root: string, data: string, groupOc: string): string => `
database mdb
suffix "${suffix}"
rootdn "${root}"
rootpw ${PASSWORD}
directory ${data}
maxsize 1073741824
dbnosync
index objectClass eq
index cn,uid,mail,sn,givenName,displayName eq,sub
index entryUUID eq
index member eq
${suffix === AD_SUFFIX ? 'index sAMAccountName,userPrincipalName eq,sub\nindex objectGUID,mS-DS-ConsistencyGuid eq' : ''}
limits dn.exact="${root}" size=unlimited time=unlimited
overlay memberof
memberof-group-oc ${groupOc}
memberof-member-ad member
memberof-memberof-ad memberOf
memberof-refint TRUE
overlay refint
refint_attributes member
`
  return `include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/inetorgperson.schema
include ${join(dir, 'ad.schema')}
modulepath /usr/lib/ldap
moduleload back_mdb
moduleload memberof
moduleload refint
pidfile ${join(dir, 'slapd.pid')}
TLSCACertificateFile ${join(dir, 'ca.pem')}
TLSCertificateFile ${join(dir, 'server.pem')}
TLSCertificateKeyFile ${join(dir, 'server.key')}
sizelimit 500
${db(OPENLDAP_SUFFIX, `cn=admin,${OPENLDAP_SUFFIX}`, join(dir, 'data-openldap'), 'groupOfNames')}
${db(AD_SUFFIX, `cn=Administrator,${AD_SUFFIX}`, join(dir, 'data-ad'), 'group')}
`
}

/** A loopback port nobody listens on right now. */
export async function freePort (): Promise<number> {
  return await new Promise((resolve, reject) => {
    const s = createServer()
    s.once('error', reject)
    s.listen(0, '127.0.0.1', () => {
      const a = s.address()
      const port = typeof a === 'object' && a !== null ? a.port : 0
      s.close(() => { resolve(port) })
    })
  })
}

async function portOpen (port: number): Promise<boolean> {
  return await new Promise(resolve => {
    const sock = connect({ port, host: '127.0.0.1' })
    sock.once('connect', () => { sock.destroy(); resolve(true) })
    sock.once('error', () => { resolve(false) })
  })
}

/** Starts slapd with both databases seeded with their base entries. */
export async function startSlapd (): Promise<TestSlapd> {
  const dir = await mkdtemp(join(tmpdir(), 'slapd-test-'))
  const pki = makeSlapdPki()
  await Promise.all([
    writeFile(join(dir, 'ca.pem'), pki.caPem),
    writeFile(join(dir, 'server.pem'), pki.certPem),
    writeFile(join(dir, 'server.key'), pki.keyPem, { mode: 0o600 }),
    writeFile(join(dir, 'ad.schema'), AD_SCHEMA),
    mkdir(join(dir, 'data-openldap')),
    mkdir(join(dir, 'data-ad'))
  ])
  await writeFile(join(dir, 'slapd.conf'), slapdConf(dir))
  const port = await freePort()
  const tlsPort = await freePort()
  let proc: ChildProcess | undefined
  let stderr = ''

  const launch = async (): Promise<void> => {
    stderr = ''
    const p = spawn(SLAPD_BIN, ['-d', '0', '-h', `ldap://127.0.0.1:${port}/ ldaps://127.0.0.1:${tlsPort}/`, '-f', join(dir, 'slapd.conf')], { stdio: ['ignore', 'ignore', 'pipe'] })
    proc = p
    p.stderr?.on('data', (d: Buffer) => { stderr = (stderr + d.toString()).slice(-4000) })
    let exited: number | null | undefined
    p.once('exit', code => { exited = code })
    const deadline = Date.now() + 15_000
    while (Date.now() < deadline) {
      if (exited !== undefined) throw new Error(`slapd exited with ${String(exited)} during start:\n${stderr}`)
      if (await portOpen(port) && await portOpen(tlsPort)) return
      await new Promise(resolve => setTimeout(resolve, 50))
    }
    p.kill('SIGKILL')
    throw new Error(`slapd did not listen on ${port}/${tlsPort} within 15 s:\n${stderr}`)
  }

  const kill = async (): Promise<void> => {
    const p = proc
    proc = undefined
    if (p === undefined || p.exitCode !== null || p.signalCode !== null) return
    await new Promise<void>(resolve => { p.once('exit', () => { resolve() }); p.kill('SIGKILL') })
    // mdb needs no recovery after a kill; wait until the ports are really free
    const deadline = Date.now() + 5000
    while (Date.now() < deadline && (await portOpen(port) || await portOpen(tlsPort))) await new Promise(resolve => setTimeout(resolve, 25))
  }

  await launch()
  const url = `ldap://127.0.0.1:${port}`
  const bindDn = `cn=admin,${OPENLDAP_SUFFIX}`
  const bindDnAd = `cn=Administrator,${AD_SUFFIX}`
  try {
    await seed(url, bindDn, [
      [OPENLDAP_SUFFIX, { objectClass: ['dcObject', 'organization'], dc: 'example', o: 'Example' }],
      [`ou=people,${OPENLDAP_SUFFIX}`, { objectClass: 'organizationalUnit', ou: 'people' }],
      [`ou=groups,${OPENLDAP_SUFFIX}`, { objectClass: 'organizationalUnit', ou: 'groups' }]
    ])
    await seed(url, bindDnAd, [
      [AD_SUFFIX, { objectClass: ['dcObject', 'organization'], dc: 'ad', o: 'AD look-alike' }],
      [`cn=Users,${AD_SUFFIX}`, { objectClass: 'organizationalRole', cn: 'Users' }],
      [`ou=Groups,${AD_SUFFIX}`, { objectClass: 'organizationalUnit', ou: 'Groups' }],
      [`ou=Moved,${AD_SUFFIX}`, { objectClass: 'organizationalUnit', ou: 'Moved' }]
    ])
  } catch (err) {
    await kill()
    await rm(dir, { recursive: true, force: true })
    throw err
  }
  return {
    url,
    ldapsUrl: `ldaps://127.0.0.1:${tlsPort}`,
    caPem: pki.caPem,
    caFile: join(dir, 'ca.pem'),
    bindDn,
    bindDnAd,
    password: PASSWORD,
    dir,
    kill,
    start: launch,
    restart: async () => { await kill(); await launch() },
    stop: async () => { await kill(); await rm(dir, { recursive: true, force: true }) }
  }
}

async function seed (url: string, bindDn: string, entries: Array<[string, Record<string, string | string[]>]>): Promise<void> {
  const c = new Client({ url, timeout: 10_000 })
  try {
    await c.bind(bindDn, PASSWORD)
    for (const [dn, attrs] of entries) await c.add(dn, attrs)
  } finally { await c.unbind().catch(() => {}) }
}
