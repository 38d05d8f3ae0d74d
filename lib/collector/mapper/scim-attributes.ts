// The SCIM User attribute names a map_to may write, for "did you mean" on typos (`externalIdd`).
// Core attributes (RFC 7643 §4.1) plus what SCIM Stream's documentation maps to (startDate, endDate,
// addresses city/state). Other names are allowed (targets have attributes of their own: `department`,
// `onCreate.sAMAccountName`), but a near miss of a known name is reported as the likely typo it is.
import { didYouMean } from '../../config/path.ts'
import { parsePatchPath } from '../../scim/filter/index.ts'

const CORE: readonly string[] = [
  'id', 'externalId', 'userName', 'name', 'displayName', 'nickName', 'profileUrl', 'title', 'userType', 'preferredLanguage',
  'locale', 'timezone', 'active', 'password', 'emails', 'phoneNumbers', 'ims', 'photos', 'addresses', 'groups',
  'entitlements', 'roles', 'x509Certificates', 'meta', 'schemas',
  // SCIM Stream: the HR lifecycle dates the mapper must provide
  'startDate', 'endDate'
]

const SUBS: Readonly<Record<string, readonly string[]>> = {
  name: ['formatted', 'familyName', 'givenName', 'middleName', 'honorificPrefix', 'honorificSuffix'],
  emails: ['value', 'display', 'type', 'primary'],
  phonenumbers: ['value', 'display', 'type', 'primary'],
  ims: ['value', 'display', 'type', 'primary'],
  photos: ['value', 'display', 'type', 'primary'],
  addresses: ['formatted', 'streetAddress', 'locality', 'region', 'postalCode', 'country', 'type', 'primary', 'city', 'state'],
  groups: ['value', 'display', 'type', '$ref'],
  roles: ['value', 'display', 'type', 'primary'],
  entitlements: ['value', 'display', 'type', 'primary'],
  manager: ['value', 'displayName', '$ref']
}

const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:user'
const ENTERPRISE_ATTRS: readonly string[] = ['employeeNumber', 'costCenter', 'organization', 'division', 'department', 'manager', 'employeeType']

/**
 * The likely typo in a map_to, as a message (`unknown SCIM attribute "externalIdd" (did you mean
 * "externalId"?)`), or undefined when the names are known or free. Syntax errors are left to the
 * compiler, which reports them with their position.
 */
export function mapToTypo (text: string): string | undefined {
  let t = text.trim()
  if (/^onCreate\./i.test(t)) t = t.slice('onCreate.'.length)
  let p
  try {
    p = parsePatchPath(t, { schemaUris: ['urn:ietf:params:scim:schemas:core:2.0:User', 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User'] })
  } catch {
    return undefined
  }
  const uri = p.path.uri?.toLowerCase()
  const attr = p.path.attr
  const sub = p.path.sub ?? p.subAttr
  if (uri === ENTERPRISE) {
    if (!ENTERPRISE_ATTRS.some(a => a.toLowerCase() === attr.toLowerCase())) {
      const hint = didYouMean(attr, ENTERPRISE_ATTRS)
      if (hint !== undefined) return `unknown enterprise attribute "${attr}" (did you mean "${hint}"?)`
    }
    return sub === undefined || attr.toLowerCase() !== 'manager' ? undefined : subTypo('manager', sub)
  }
  if (uri !== undefined && uri !== 'urn:ietf:params:scim:schemas:core:2.0:user') return undefined // a custom schema: its own names
  if (!CORE.some(a => a.toLowerCase() === attr.toLowerCase())) {
    const hint = didYouMean(attr, CORE)
    // a name far from every core one is an attribute of the target's own (`department`, `sAMAccountName`)
    return hint !== undefined ? `unknown SCIM attribute "${attr}" (did you mean "${hint}"?)` : undefined
  }
  return sub === undefined ? undefined : subTypo(attr, sub)
}

function subTypo (attr: string, sub: string): string | undefined {
  const known = SUBS[attr.toLowerCase()]
  if (known === undefined || known.some(k => k.toLowerCase() === sub.toLowerCase())) return undefined
  const hint = didYouMean(sub, known)
  return `unknown sub-attribute "${attr}.${sub}"${hint !== undefined ? ` (did you mean "${hint}"?)` : ` (known: ${known.join(', ')})`}`
}
