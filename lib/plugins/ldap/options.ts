// The `endpoint` section of config/plugin-ldap.json, in scimgateway's documented shape:
// `endpoint.entity.<baseEntity>` (`undefined` = requests without a baseEntity) with the connection
// (`baseUrls`, `username`, `password`, `tls`) and the directory layout (`ldap.userBase`, `groupBase`,
// `namingAttribute`, object classes, filters, `allowModifyDN`, `isOpenLdap`), and `endpoint.map`
// with `map.user`/`map.group` entries `<ldapAttribute>: { mapTo, type }`. Declared with the config
// schema toolkit so every problem (unknown keys included) is reported at once with its path.
import { readFileSync } from 'node:fs'
import { isAbsolute, resolve } from 'node:path'
import { ConfigError, type ConfigProblem } from '../../config/errors.ts'
import { parseLdapFilter } from './filter-parse.ts'
import { entityMap } from '../sdk/config.ts'
import { array, boolean, enumOf, integer, object, record, string, validate, type Infer } from '../../config/schema.ts'

const naming = object({
  attribute: string({ minLength: 1 }).describe('LDAP attribute of the RDN, e.g. "cn", "uid"'),
  mapTo: string({ minLength: 1 }).describe('SCIM attribute whose value names the entry, e.g. "userName"')
})

const ldapSection = object({
  isOpenLdap: boolean().default(false).describe('OpenLDAP (true) or Active Directory (false) semantics'),
  userBase: string({ minLength: 1 }).describe('DN under which users are searched and created'),
  groupBase: string({ minLength: 1 }).describe('DN under which groups are searched and created'),
  userFilter: string().optional().describe('extra LDAP filter ANDed to every user search, e.g. "(!(cn=krbtgt))"'),
  groupFilter: string().optional().describe('extra LDAP filter ANDed to every group search'),
  allowModifyDN: boolean().default(false).describe('rename/move the entry (modifyDN) when its naming attribute changes'),
  namingAttribute: object({
    user: array(naming, { minItems: 1 }),
    group: array(naming, { minItems: 1 })
  }),
  userObjectClasses: array(string({ minLength: 1 }), { minItems: 1 }),
  groupObjectClasses: array(string({ minLength: 1 }), { minItems: 1 }),
  /** Not in scimgateway: groupOfNames MUSTs a member, so an empty group keeps this DN (hidden from SCIM). */
  emptyGroupMember: string({ minLength: 1 }).optional().describe('placeholder member DN for object classes that require a member (groupOfNames)'),
  /** Not in scimgateway: MUST attributes of the object class filled from another SCIM attribute when empty. */
  userAttributeFallback: record(string({ minLength: 1 })).default({}).describe('e.g. { "sn": "userName" }: LDAP attribute → SCIM attribute used when the request has no value')
})

const tlsSection = object({
  ca: string().optional().describe('CA certificate: PEM text or a file name (relative to config/certs or the config dir)'),
  rejectUnauthorized: boolean().default(true),
  servername: string().optional()
})

const entitySection = object({
  baseUrls: array(string({ pattern: /^ldaps?:\/\/[^/\s]+\/?$/i, patternName: 'an ldap:// or ldaps:// URL (scheme, host, port)' }), { minItems: 1 }),
  username: string({ minLength: 1 }).describe('bind DN (AD also accepts user@domain)'),
  password: string().describe('bind password (encrypted at rest like every secret)'),
  ldap: ldapSection,
  tls: tlsSection.default({}),
  poolSize: integer({ min: 1, max: 64 }).default(4).describe('connections per baseEntity'),
  timeout: integer({ min: 100 }).default(15_000).describe('per LDAP operation, milliseconds'),
  connectTimeout: integer({ min: 100 }).default(5_000).describe('TCP/TLS connect, milliseconds'),
  pageSize: integer({ min: 1, max: 5000 }).default(500).describe('paged-results page size (AD MaxPageSize is 1000)')
})

const mapEntry = object({
  mapTo: string({ minLength: 1 }),
  type: enumOf(['string', 'array', 'integer', 'boolean', 'binary'] as const).default('string')
})

export const ldapEndpointSchema = object({
  entity: entityMap(entitySection).refine((v, report) => { if (Object.keys(v).length === 0) report('at least one baseEntity is required (the key "undefined" = requests without one)') }),
  map: object({
    user: record(mapEntry),
    group: record(mapEntry).optional()
  })
})

export type LdapEndpoint = Infer<typeof ldapEndpointSchema>
export type LdapEntityConfig = Infer<typeof entitySection>
export type MapEntry = Infer<typeof mapEntry>

/** One baseEntity's resolved settings (CA file read). */
export interface LdapEntityOptions extends LdapEntityConfig {
  /** The baseEntity key as configured ('undefined' = requests without one). */
  name: string
  caPem?: string
}

export interface LdapOptions {
  entities: Map<string, LdapEntityOptions>
  map: LdapEndpoint['map']
}

/**
 * Validates the `endpoint` section and resolves files. `configDir` anchors relative CA files
 * (`<configDir>/certs/<name>` first, like scimgateway, then `<configDir>/<name>`).
 * @throws ConfigError listing every problem with its path (`endpoint.entity.undefined.ldap.userBase: required`).
 */
export function ldapOptionsFromEndpoint (endpoint: unknown, configDir: string, file?: string): LdapOptions {
  const r = validate(ldapEndpointSchema, endpoint, { coerce: true }, ['endpoint'])
  if (!r.ok) throw new ConfigError(file, r.errors)
  return resolveLdapOptions(r.value, configDir, file)
}

/** A validated endpoint section → options: CA files read, LDAP filters and naming checked. @throws ConfigError */
export function resolveLdapOptions (endpoint: LdapEndpoint, configDir: string, file?: string): LdapOptions {
  const problems: ConfigProblem[] = []
  const entities = new Map<string, LdapEntityOptions>()
  for (const [name, cfg] of Object.entries(endpoint.entity)) {
    const path = `endpoint.entity.${name}`
    const e: LdapEntityOptions = { ...cfg, name }
    const ca = cfg.tls.ca
    if (ca !== undefined && ca !== '') {
      if (ca.includes('-----BEGIN')) e.caPem = ca
      else {
        const candidates = isAbsolute(ca) ? [ca] : [resolve(configDir, 'certs', ca), resolve(configDir, ca)]
        const found = candidates.find(f => { try { e.caPem = readFileSync(f, 'utf8'); return true } catch { return false } })
        if (found === undefined) problems.push({ path: `${path}.tls.ca`, message: `cannot read CA file (tried ${candidates.join(', ')})` })
      }
    }
    for (const k of ['userFilter', 'groupFilter'] as const) {
      const f = cfg.ldap[k]
      if (f !== undefined && f.trim() !== '') {
        // scimgateway allows several clauses: (a)(b)
        try { parseLdapFilter(`(&(objectClass=*)${f.trim().startsWith('(') ? f.trim() : `(${f.trim()})`})`) } catch (err) { problems.push({ path: `${path}.ldap.${k}`, message: err instanceof Error ? err.message : String(err) }) }
      }
    }
    for (const n of [...cfg.ldap.namingAttribute.user, ...cfg.ldap.namingAttribute.group]) {
      if (n.mapTo.includes(',')) problems.push({ path: `${path}.ldap.namingAttribute`, message: `mapTo ${JSON.stringify(n.mapTo)}: one SCIM attribute per naming attribute` })
    }
    entities.set(name, e)
  }
  if (problems.length > 0) throw new ConfigError(file, problems)
  return { entities, map: endpoint.map }
}
