// Endpoint sections (the shape of config/plugin-ldap.json's `endpoint`) pointing plugin-ldap at the
// throwaway slapd of test/support/slapd.ts: the plain OpenLDAP tree and the Active Directory
// look-alike, over LDAPS with the generated CA.
import { Client } from 'ldapts'
import type { JsonObject } from '../../lib/scim/types.ts'
import { AD_SUFFIX, OPENLDAP_SUFFIX, type TestSlapd } from '../support/slapd.ts'

export const PLACEHOLDER = `cn=empty-membership-placeholder,${OPENLDAP_SUFFIX}`

/** A plain OpenLDAP directory: inetOrgPerson users named uid=<userName>, groupOfNames groups. */
export function openLdapEndpoint (s: TestSlapd, opts: { tenants?: string[], url?: string, extra?: JsonObject } = {}): JsonObject {
  const entity = (userBase: string, groupBase: string): JsonObject => ({
    baseUrls: [opts.url ?? s.ldapsUrl],
    username: s.bindDn,
    password: s.password,
    tls: { ca: s.caPem },
    poolSize: 4,
    timeout: 5000,
    connectTimeout: 2000,
    ...opts.extra,
    ldap: {
      isOpenLdap: true,
      userBase,
      groupBase,
      allowModifyDN: true,
      namingAttribute: { user: [{ attribute: 'uid', mapTo: 'userName' }], group: [{ attribute: 'cn', mapTo: 'displayName' }] },
      userObjectClasses: ['inetOrgPerson', 'organizationalPerson', 'person', 'top', 'scimObject'],
      groupObjectClasses: ['groupOfNames', 'top', 'scimObject'],
      emptyGroupMember: PLACEHOLDER,
      userAttributeFallback: { cn: 'userName', sn: 'userName' }
    }
  })
  const entities: JsonObject = { undefined: entity(`ou=people,${OPENLDAP_SUFFIX}`, `ou=groups,${OPENLDAP_SUFFIX}`) }
  for (const t of opts.tenants ?? []) entities[t] = entity(`ou=${t},${OPENLDAP_SUFFIX}`, `ou=${t},${OPENLDAP_SUFFIX}`)
  return {
    entity: entities,
    map: {
      user: {
        entryUUID: { mapTo: 'id', type: 'string' },
        uid: { mapTo: 'userName', type: 'string' },
        scimExternalId: { mapTo: 'externalId', type: 'string' },
        scimActive: { mapTo: 'active', type: 'boolean' },
        givenName: { mapTo: 'name.givenName', type: 'string' },
        sn: { mapTo: 'name.familyName', type: 'string' },
        cn: { mapTo: 'name.formatted', type: 'string' },
        displayName: { mapTo: 'displayName', type: 'string' },
        title: { mapTo: 'title', type: 'string' },
        mail: { mapTo: 'emails.work.value', type: 'array' },
        mobile: { mapTo: 'phoneNumbers.mobile.value', type: 'string' },
        telephoneNumber: { mapTo: 'phoneNumbers.work.value', type: 'string' },
        street: { mapTo: 'addresses.work.streetAddress', type: 'string' },
        l: { mapTo: 'addresses.work.locality', type: 'string' },
        st: { mapTo: 'addresses.work.region', type: 'string' },
        postalCode: { mapTo: 'addresses.work.postalCode', type: 'string' },
        co: { mapTo: 'addresses.work.country', type: 'string' },
        departmentNumber: { mapTo: 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department', type: 'string' },
        employeeNumber: { mapTo: 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber', type: 'string' },
        userPassword: { mapTo: 'password', type: 'string' },
        memberOf: { mapTo: 'groups.value', type: 'array' }
      },
      group: {
        entryUUID: { mapTo: 'id', type: 'string' },
        cn: { mapTo: 'displayName', type: 'string' },
        scimExternalId: { mapTo: 'externalId', type: 'string' },
        member: { mapTo: 'members.value', type: 'array' }
      }
    }
  }
}

/** The AD look-alike: user objects named CN=<userName>, sAMAccountName, userAccountControl, unicodePwd. */
export function adEndpoint (s: TestSlapd, opts: { idAttr?: string, naming?: string, url?: string } = {}): JsonObject {
  return {
    entity: {
      undefined: {
        baseUrls: [opts.url ?? s.ldapsUrl],
        username: s.bindDnAd,
        password: s.password,
        tls: { ca: s.caPem },
        ldap: {
          isOpenLdap: false,
          userBase: `cn=Users,${AD_SUFFIX}`,
          groupBase: `ou=Groups,${AD_SUFFIX}`,
          allowModifyDN: true,
          namingAttribute: { user: [{ attribute: 'CN', mapTo: opts.naming ?? 'userName' }], group: [{ attribute: 'CN', mapTo: 'displayName' }] },
          userObjectClasses: ['user'],
          groupObjectClasses: ['group']
        }
      }
    },
    map: {
      user: {
        [opts.idAttr ?? 'mS-DS-ConsistencyGuid']: { mapTo: 'id', type: 'string' },
        sAMAccountName: { mapTo: 'userName', type: 'string' },
        userPrincipalName: { mapTo: 'externalId', type: 'string' },
        userAccountControl: { mapTo: 'active', type: 'integer' },
        unicodePwd: { mapTo: 'password', type: 'string' },
        givenName: { mapTo: 'name.givenName', type: 'string' },
        sn: { mapTo: 'name.familyName', type: 'string' },
        displayName: { mapTo: 'displayName', type: 'string' },
        mail: { mapTo: 'emails.work.value', type: 'string' },
        memberOf: { mapTo: 'groups.value', type: 'array' }
      },
      group: {
        [opts.idAttr ?? 'mS-DS-ConsistencyGuid']: { mapTo: 'id', type: 'string' },
        cn: { mapTo: 'displayName', type: 'string' },
        description: { mapTo: 'externalId', type: 'string' },
        member: { mapTo: 'members.value', type: 'array' }
      }
    }
  }
}

/** Creates organizational units (ignoring ones that exist). */
export async function ensureOus (s: TestSlapd, names: string[], suffix = OPENLDAP_SUFFIX): Promise<void> {
  const c = new Client({ url: s.url })
  try {
    await c.bind(suffix === OPENLDAP_SUFFIX ? s.bindDn : s.bindDnAd, s.password)
    for (const ou of names) await c.add(`ou=${ou},${suffix}`, { objectClass: 'organizationalUnit', ou }).catch((e: unknown) => { if ((e as { code?: number }).code !== 68) throw e })
  } finally { await c.unbind() }
}

/** An admin connection for checking what the plugin wrote. */
export async function adminClient (s: TestSlapd, suffix = OPENLDAP_SUFFIX): Promise<Client> {
  const c = new Client({ url: s.url })
  await c.bind(suffix === OPENLDAP_SUFFIX ? s.bindDn : s.bindDnAd, s.password)
  return c
}

/** A real Samba AD DC (test/support/samba-ad.ts): objectGUID ids, CN=<userName>, users and groups in one OU. */
export function sambaEndpoint (s: { ldapsUrl: string, caPem: string, servername: string, baseDn: string, bindDn: string, password: string }, ou: string, naming = 'userName'): JsonObject {
  const base = `OU=${ou},${s.baseDn}`
  return {
    entity: {
      undefined: {
        baseUrls: [s.ldapsUrl],
        username: s.bindDn,
        password: s.password,
        tls: { ca: s.caPem, servername: s.servername },
        ldap: {
          isOpenLdap: false,
          userBase: base,
          groupBase: base,
          allowModifyDN: true,
          namingAttribute: { user: [{ attribute: 'CN', mapTo: naming }], group: [{ attribute: 'CN', mapTo: 'displayName' }] },
          userObjectClasses: ['user'],
          groupObjectClasses: ['group']
        }
      }
    },
    map: {
      user: {
        objectGUID: { mapTo: 'id', type: 'string' },
        sAMAccountName: { mapTo: 'userName', type: 'string' },
        userPrincipalName: { mapTo: 'externalId', type: 'string' },
        userAccountControl: { mapTo: 'active', type: 'integer' },
        unicodePwd: { mapTo: 'password', type: 'string' },
        givenName: { mapTo: 'name.givenName', type: 'string' },
        sn: { mapTo: 'name.familyName', type: 'string' },
        displayName: { mapTo: 'displayName', type: 'string' },
        mail: { mapTo: 'emails.work.value', type: 'string' },
        memberOf: { mapTo: 'groups.value', type: 'array' }
      },
      group: {
        objectGUID: { mapTo: 'id', type: 'string' },
        sAMAccountName: { mapTo: 'displayName', type: 'string' },
        info: { mapTo: 'externalId', type: 'string' },
        member: { mapTo: 'members.value', type: 'array' }
      }
    }
  }
}
