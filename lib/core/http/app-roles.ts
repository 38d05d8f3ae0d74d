// GET /AppRoles (and /<baseEntity>/AppRoles): the endpoint's groups as the `appRoles` array of an
// Entra ID application manifest, to paste into the manifest so Entra can assign the endpoint's
// existing groups/accesses as application roles (which SCIM Stream then publishes as `roles` and the
// subscriber turns back into group memberships).
// Each role's `id` is a UUIDv5 of the group's name, so a later export gives the same ids for the same
// groups and only adds new ones — re-pasting never orphans assignments. `value` and `displayName` are
// the group's displayName: the stream subscriber finds endpoint groups by displayName. A group whose
// name Entra would reject as a role value
// (spaces, characters outside Entra's set, over 250 characters) is listed under `notExported` with
// the reason instead of producing a manifest Entra refuses.
import { createHash } from 'node:crypto'
import { ScimError } from '../../scim/errors.ts'
import type { ScimService } from '../service.ts'
import type { RequestContext } from '../context.ts'
import { jsonResponse } from './respond.ts'

/** Namespace of the role ids (a fixed random UUID of this project). */
export const APP_ROLE_NAMESPACE = '3f1c2b7e-8d4a-4e55-9a61-2f0b7c9d1e42'
const PAGE = 500
const VALUE_CHARS = /^[A-Za-z0-9!#$%&'()*+,\-./:;<=>?@[\]^_`{|}~]+$/

export interface AppRole {
  allowedMemberTypes: ['User']
  description: string
  displayName: string
  id: string
  isEnabled: true
  origin: 'Application'
  value: string
}

/** RFC 4122 version 5 (SHA-1, name-based) UUID. */
export function uuidV5 (name: string, namespace: string = APP_ROLE_NAMESPACE): string {
  const ns = Buffer.from(namespace.replace(/-/g, ''), 'hex')
  if (ns.length !== 16) throw new Error(`namespace ${namespace} is not a UUID`)
  const h = createHash('sha1').update(ns).update(name, 'utf8').digest()
  h[6] = ((h[6] ?? 0) & 0x0f) | 0x50
  h[8] = ((h[8] ?? 0) & 0x3f) | 0x80
  const x = h.subarray(0, 16).toString('hex')
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20, 32)}`
}

/** Why Entra would refuse `value` as an app role value, or undefined when it is fine. */
export function appRoleValueProblem (value: string): string | undefined {
  if (value.length > 250) return 'longer than 250 characters'
  if (value.startsWith('.')) return 'starts with a dot'
  if (!VALUE_CHARS.test(value)) return /\s/.test(value) ? 'contains white space' : 'contains characters Entra does not allow in a role value'
  return undefined
}

export async function handleAppRoles (service: ScimService, method: string, rc: RequestContext): Promise<Response> {
  if (method !== 'GET') throw new ScimError(405, undefined, `${method} is not allowed on /AppRoles`)
  const appRoles: AppRole[] = []
  const notExported: Array<{ value: string, displayName: string, reason: string }> = []
  const seen = new Set<string>()
  for (let start = 1; ; start += PAGE) {
    const page = await service.list('Groups', { startIndex: start, count: PAGE, attributes: ['id', 'displayName'], excludedAttributes: ['members'], sortBy: 'displayName' }, rc)
    for (const g of page.Resources) {
      const displayName = typeof g.displayName === 'string' && g.displayName !== '' ? g.displayName : typeof g.id === 'string' ? g.id : ''
      const value = displayName
      if (value === '' || seen.has(value)) continue
      seen.add(value)
      const problem = appRoleValueProblem(value)
      if (problem !== undefined) { notExported.push({ value, displayName, reason: problem }); continue }
      appRoles.push({ allowedMemberTypes: ['User'], description: displayName, displayName, id: uuidV5(value), isEnabled: true, origin: 'Application', value })
    }
    if (page.Resources.length === 0 || start + page.Resources.length > page.totalResults) break
  }
  return jsonResponse(200, notExported.length > 0 ? { appRoles, notExported } : { appRoles })
}
