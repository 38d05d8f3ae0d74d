// Parses a request path into the SCIM route it addresses:
// `[/scim][/<baseEntity>][/v1|/v2]/<Resource>[/<id>|/.search]`, case-insensitive, tolerant of a
// trailing slash. The router is hand-written (not pattern-based) because segments are optional and
// case-insensitive, and because it is on the hot path.

export type RouteResource =
  | 'Users' | 'Groups' | 'Bulk' | 'Schemas' | 'ResourceTypes' | 'ServiceProviderConfig'
  | 'Roles' | 'Entitlements' | 'Ping' | 'Api' | 'PubApi' | 'Auth' | 'Me' | 'Logger' | 'AppRoles'

export interface RoutePath {
  baseEntity: string | undefined
  /** '1.1' for /v1, '2.0' for /v2, undefined = the configured default. */
  version: '1.1' | '2.0' | undefined
  resource: RouteResource
  /** The segment after the resource (id, `.search`, schema URN), URI-decoded. */
  id: string | undefined
  /** Remaining segments (for /api/<path>). */
  rest: string[]
  /** The path before the resource segment as sent (`/scim/tenant/v2`), for building `meta.location`. */
  prefix: string
}

const RESOURCES: Record<string, RouteResource> = {
  users: 'Users',
  groups: 'Groups',
  bulk: 'Bulk',
  schemas: 'Schemas',
  resourcetypes: 'ResourceTypes',
  serviceproviderconfig: 'ServiceProviderConfig',
  serviceproviderconfigs: 'ServiceProviderConfig',
  serviceconfiguration: 'ServiceProviderConfig',
  roles: 'Roles',
  entitlements: 'Entitlements',
  ping: 'Ping',
  api: 'Api',
  auth: 'Auth',
  me: 'Me',
  logger: 'Logger',
  approles: 'AppRoles'
}

export type RouteParseResult =
  | { ok: true, route: RoutePath }
  | { ok: false, reason: 'unknownEntity' | 'unknownRoute', segment: string }

function decode (s: string): string {
  try { return decodeURIComponent(s) } catch { return s }
}

/**
 * @param entities configured baseEntities, lower-cased → canonical spelling.
 */
export function parseRoutePath (pathname: string, entities: ReadonlyMap<string, string>): RouteParseResult {
  const segs = pathname.split('/').filter(s => s !== '')
  let i = 0
  let baseEntity: string | undefined
  let version: RoutePath['version']

  // optional /scim prefix (Microsoft's validation collection and many IdP configs use it)
  if (lowerAt(segs, i) === 'scim' && !entities.has('scim')) i++
  // /pub/api is the unauthenticated API route
  if (lowerAt(segs, i) === 'pub' && lowerAt(segs, i + 1) === 'api') {
    return { ok: true, route: { baseEntity: undefined, version: undefined, resource: 'PubApi', id: segs[i + 2] !== undefined ? decode(segs[i + 2] ?? '') : undefined, rest: segs.slice(i + 2).map(decode), prefix: prefixOf(segs, i) } }
  }
  const first = lowerAt(segs, i)
  if (first !== '' && RESOURCES[first] === undefined && first !== 'v1' && first !== 'v2') {
    const canonical = entities.get(first)
    if (canonical === undefined) return { ok: false, reason: 'unknownEntity', segment: decode(segs[i] ?? '') }
    baseEntity = canonical
    i++
    if (lowerAt(segs, i) === 'pub' && lowerAt(segs, i + 1) === 'api') {
      return { ok: true, route: { baseEntity, version: undefined, resource: 'PubApi', id: segs[i + 2] !== undefined ? decode(segs[i + 2] ?? '') : undefined, rest: segs.slice(i + 2).map(decode), prefix: prefixOf(segs, i) } }
    }
  }
  if (lowerAt(segs, i) === 'v1') { version = '1.1'; i++ } else if (lowerAt(segs, i) === 'v2') { version = '2.0'; i++ }
  const prefix = prefixOf(segs, i)
  const res = RESOURCES[lowerAt(segs, i)]
  if (res === undefined) return { ok: false, reason: 'unknownRoute', segment: decode(segs[i] ?? '') }
  i++
  const id = segs[i] !== undefined ? decode(segs[i] ?? '') : undefined
  const rest = segs.slice(i).map(decode)
  if (res !== 'Api' && segs.length > i + 1) return { ok: false, reason: 'unknownRoute', segment: decode(segs[i + 1] ?? '') }
  return { ok: true, route: { baseEntity, version, resource: res, id, rest, prefix } }
}

/** The k-th segment, lower-case ('' past the end). Module-level: a per-request closure costs (tsx keep-names). */
function lowerAt (segs: string[], k: number): string {
  return (segs[k] ?? '').toLowerCase()
}

function prefixOf (segs: string[], i: number): string {
  return i === 0 ? '' : '/' + segs.slice(0, i).join('/')
}
