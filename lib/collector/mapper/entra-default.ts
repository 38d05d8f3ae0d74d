// The built-in Entra ID → SCIM mapper as SCIM Stream documents it, and its merge with a tenant's
// `mapper.user`: a tenant entry replaces the default entry writing the same map_to, other tenant
// entries are added after the defaults. displayName, groups and roles are fixed: a tenant entry
// writing one of them is ignored with a warning (at start and on reload).
import type { NormalizedEntry } from './entries.ts'

const ENT = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User'

/** [Graph attribute or expression, map_to], in the documented order (its repeated displayName once). */
export const ENTRA_DEFAULT_MAPPER: ReadonlyArray<readonly [string, string]> = Object.freeze([
  ['displayName', 'displayName'],
  ['userPrincipalName', 'userName'],
  ['accountEnabled', 'active'],
  ['givenName', 'name.givenName'],
  ['surname', 'name.familyName'],
  ['Join([name.givenName], " ", [name.familyName])', 'name.formatted'],
  ['mail', 'emails[type eq "work"].value'],
  ['otherMails', 'emails[type eq "other"].value'],
  ['businessPhones', 'phoneNumbers[type eq "work"].value'],
  ['jobTitle', 'title'],
  ['preferredLanguage', 'preferredLanguage'],
  ['physicalDeliveryOfficeName', 'addresses[type eq "work"].formatted'],
  ['streetAddress', 'addresses[type eq "work"].streetAddress'],
  ['state', 'addresses[type eq "work"].region'],
  ['city', 'addresses[type eq "work"].city'],
  ['postalCode', 'addresses[type eq "work"].postalCode'],
  ['country', 'addresses[type eq "work"].country'],
  ['mobilePhone', 'phoneNumbers[type eq "mobile"].value'],
  ['faxNumber', 'phoneNumbers[type eq "fax"].value'],
  ['mailNickname', 'externalId'],
  ['employeeHireDate', 'startDate'],
  ['companyName', `${ENT}:organization`],
  ['employeeId', `${ENT}:employeeNumber`],
  ['employeeType', `${ENT}:employeeType`],
  ['department', `${ENT}:department`],
  ['employeeOrgData.costCenter', `${ENT}:costCenter`],
  ['employeeOrgData.division', `${ENT}:division`],
  ['manager.userPrincipalName', `${ENT}:manager.value`],
  ['manager.displayName', `${ENT}:manager.displayName`],
  ['groups', 'groups'],
  ['appRoles', 'roles']
] as const)

/** map_to values a tenant cannot override. */
export const FIXED_MAP_TO: readonly string[] = ['displayName', 'groups', 'roles']

/**
 * What some default entries read. The collector names a user's groups `memberOf` (Graph's
 * relationship); the documented `groups` is read when a source provides it under that name.
 */
const INTERNAL_SOURCE: Readonly<Record<string, string>> = {
  groups: 'Coalesce([groups], [memberOf])',
  // physicalDeliveryOfficeName is the directory's name; Microsoft Graph calls it officeLocation
  'addresses[type eq "work"].formatted': 'Coalesce([physicalDeliveryOfficeName], [officeLocation])'
}

/** Tenant sources that mean the same as a fixed entry (no warning when a tenant repeats it). */
const SAME_AS_FIXED: Readonly<Record<string, readonly string[]>> = {
  displayname: ['displayname'],
  groups: ['groups', 'memberof'],
  roles: ['approles']
}

/** The default entries, normalized (`at` names the built-in mapper). */
export function entraDefaultEntries (): NormalizedEntry[] {
  return ENTRA_DEFAULT_MAPPER.map(([source, mapTo], i) => {
    const scimRefs = source.includes('[')
    return {
      source: scimRefs ? `Join("", ${source.slice('Join('.length)}` : INTERNAL_SOURCE[mapTo] ?? source,
      map_to: mapTo,
      ...(scimRefs ? { scim_refs: true } : {}),
      at: `(built-in Entra mapper)[${i}] ${source}`,
      original: source
    }
  })
}

/** Canonical form of a map_to for comparisons (case, spacing, `User.` vs `User:`). */
export function mapToKey (mapTo: string): string {
  return mapTo.trim().replace(/^(urn:ietf:params:scim:schemas:extension:enterprise:2\.0:User)\./i, '$1:').replace(/\s+/g, ' ').toLowerCase()
}

/**
 * Merges a tenant's entries into the defaults.
 * @returns the merged list, warnings (tenant entries ignored because they write a fixed attribute)
 * and how many defaults the tenant replaced.
 */
export function mergeEntraDefaults (tenant: readonly NormalizedEntry[]): { user: NormalizedEntry[], warnings: string[], replaced: number } {
  const user = entraDefaultEntries()
  const warnings: string[] = []
  let replaced = 0
  const index = new Map(user.map((e, i) => [mapToKey(e.map_to), i]))
  for (const e of tenant) {
    const key = mapToKey(e.map_to)
    const fixed = FIXED_MAP_TO.find(f => f.toLowerCase() === key)
    if (fixed !== undefined) {
      const same = SAME_AS_FIXED[key]?.includes(e.original.trim().toLowerCase()) === true
      if (!same) warnings.push(`${e.at}: "${e.original}" → ${e.map_to} ignored: the built-in Entra mapper's ${DEFAULT_SOURCE_OF[key] ?? key} → ${fixed} cannot be overridden`)
      continue
    }
    const i = index.get(key)
    if (i !== undefined) {
      user[i] = e
      replaced++
    } else {
      index.set(key, user.length)
      user.push(e)
    }
  }
  return { user, warnings, replaced }
}

const DEFAULT_SOURCE_OF: Readonly<Record<string, string>> = { displayname: 'displayName', groups: 'groups', roles: 'appRoles' }
