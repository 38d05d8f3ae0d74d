// IGA access packages of plugin-entra-id (on with `endpoint.map.user.entitlements`): besides the
// read-only licences (`type: "license"`), a user's `entitlements` list its access package assignments
// as `{ value: <package displayName>, display, type: "AccessPackage" }` (assignments in state
// delivered / delivering / partiallyDelivered). Writes are entitlement management assignment requests:
// adminAdd (the package's first assignment policy) and adminRemove (the assignment's id), sent 20 per
// $batch. Licence elements cannot change through SCIM (400 mutability). `GET /Entitlements` adds
// the access packages to the licences. Packages are cached 5 minutes (read again before an unknown
// name is refused). Needs EntitlementManagement.ReadWrite.All.
import { ScimError } from '../../scim/errors.ts'
import type { JsonObject, ScimResource } from '../types.ts'
import { Graph, listOf, odataString, type BatchItem, type BatchResult } from './graph.ts'

type Obj = Record<string, unknown>
interface Package { id: string, displayName: string, description: string, policyIds: string[] }
/** A held access package: its id and the assignment's id (for adminRemove). */
export interface HeldPackage { packageId: string, assignmentId: string }

export const PACKAGE_TYPE = 'AccessPackage'
export const LICENSE_TYPE = 'license'
const EM = '/identityGovernance/entitlementManagement'
const HELD_STATES = new Set(['delivered', 'delivering', 'partiallydelivered'])
const CACHE_MS = 5 * 60_000

export class AccessPackages {
  private cache: { at: number, packages: Package[] } | undefined

  constructor (private readonly graph: Graph) {}

  /** `GET /Entitlements` entries of the access packages. */
  async list (signal: AbortSignal): Promise<ScimResource[]> {
    return (await this.packages(signal, true)).map(p => ({ id: p.id, value: p.displayName, displayName: p.displayName, description: p.description, type: PACKAGE_TYPE }))
  }

  /** The $batch read of a user's assignments; see {@link fromBatch}. */
  batchItem (userId: string): BatchItem {
    return { method: 'GET', url: `${EM}/assignments?$filter=${encodeURIComponent(`target/objectId eq ${odataString(userId)}`)}&$expand=accessPackage` }
  }

  /** The held packages of a user from the result of {@link batchItem} (further pages by nextLink). */
  async fromBatch (userId: string, r: BatchResult | undefined, signal: AbortSignal): Promise<Array<HeldPackage & { name: string }>> {
    if (r === undefined) return []
    Graph.check(r, `GET ${EM}/assignments of ${userId}`)
    let list = listOf(r.body)
    const next = (r.body as Obj | undefined)?.['@odata.nextLink']
    if (typeof next === 'string') list = list.concat(await this.graph.list(next, {}, signal))
    const out: Array<HeldPackage & { name: string }> = []
    for (const a of list) {
      if (typeof a.id !== 'string' || !HELD_STATES.has(String(a.state ?? '').toLowerCase())) continue
      const pkg = (typeof a.accessPackage === 'object' && a.accessPackage !== null ? a.accessPackage : {}) as Obj
      const packageId = typeof pkg.id === 'string' ? pkg.id : typeof a.accessPackageId === 'string' ? a.accessPackageId : undefined
      if (packageId === undefined || out.some(o => o.packageId === packageId)) continue
      out.push({ packageId, assignmentId: a.id, name: typeof pkg.displayName === 'string' ? pkg.displayName : packageId })
    }
    return out
  }

  /** SCIM entitlement elements of held packages. */
  static toScim (held: Array<{ name: string }>): JsonObject[] {
    return held.map(h => ({ value: h.name, display: h.name, type: PACKAGE_TYPE }))
  }

  /** The package ids a SCIM entitlements value asks for (elements not typed "license"); unknown names are a 400. */
  async resolve (entitlements: unknown, signal: AbortSignal): Promise<Package[]> {
    const wanted = packageValues(entitlements)
    if (wanted.length === 0) return []
    let pkgs = await this.packages(signal)
    const find = (v: string): Package | undefined => pkgs.find(p => p.displayName.toLowerCase() === v.toLowerCase() || p.id.toLowerCase() === v.toLowerCase())
    if (wanted.some(w => find(w) === undefined)) pkgs = await this.packages(signal, true)
    const unknown = wanted.filter(w => find(w) === undefined)
    if (unknown.length > 0) throw new ScimError(400, 'invalidValue', `entitlements: ${unknown.map(v => JSON.stringify(v)).join(', ')} ${unknown.length === 1 ? 'is not an access package' : 'are not access packages'} of the tenant (GET /Entitlements lists them; licences have type "license")`)
    const out: Package[] = []
    for (const w of wanted) {
      const p = find(w) as Package
      if (p.policyIds.length === 0) throw new ScimError(400, 'invalidValue', `entitlements: access package ${JSON.stringify(p.displayName)} has no assignment policy to assign it with`)
      if (!out.includes(p)) out.push(p)
    }
    return out
  }

  /** Makes the user's access packages `want`: adminAdd what is missing, adminRemove what is not wanted. */
  async apply (userId: string, want: Package[], have: HeldPackage[], signal: AbortSignal): Promise<void> {
    const wantIds = new Set(want.map(p => p.id.toLowerCase()))
    const haveIds = new Set(have.map(h => h.packageId.toLowerCase()))
    const items: BatchItem[] = []
    for (const h of have.filter(x => !wantIds.has(x.packageId.toLowerCase()))) {
      items.push({ method: 'POST', url: `${EM}/assignmentRequests`, body: { requestType: 'adminRemove', assignment: { id: h.assignmentId } } })
    }
    for (const p of want.filter(x => !haveIds.has(x.id.toLowerCase()))) {
      items.push({ method: 'POST', url: `${EM}/assignmentRequests`, body: { requestType: 'adminAdd', justification: 'Provisioned by SCIM Gateway', assignment: { targetId: userId, assignmentPolicyId: p.policyIds[0], accessPackageId: p.id } } })
    }
    if (items.length === 0) return
    const res = await this.graph.batch(items, signal)
    res.forEach((r, i) => {
      const item = items[i]
      if (item === undefined || r.status < 300) return
      const type = (item.body as Obj).requestType
      // an assignment removed meanwhile by someone else: the outcome is the one asked for
      if (type === 'adminRemove' && r.status === 404) return
      Graph.check(r, `POST ${item.url} (${String(type)})`)
    })
  }

  private async packages (signal: AbortSignal, fresh = false): Promise<Package[]> {
    if (!fresh && this.cache !== undefined && Date.now() - this.cache.at < CACHE_MS) return this.cache.packages
    const first = await this.graph.call<Obj>('GET', `${EM}/accessPackages`, { query: { $expand: 'assignmentPolicies' }, signal })
    let list = listOf(first)
    const next = first['@odata.nextLink']
    if (typeof next === 'string') list = list.concat(await this.graph.list(next, {}, signal))
    const packages = list.filter(p => typeof p.id === 'string').map((p): Package => ({
      id: String(p.id),
      displayName: String(p.displayName ?? p.id),
      description: typeof p.description === 'string' ? p.description : '',
      policyIds: (Array.isArray(p.assignmentPolicies) ? p.assignmentPolicies as Obj[] : []).map(x => x.id).filter((x): x is string => typeof x === 'string')
    }))
    this.cache = { at: Date.now(), packages }
    return packages
  }
}

/** Licence elements (type "license") of a SCIM entitlements value, as lower-case values. */
export function licenceValues (entitlements: unknown): string[] {
  return elements(entitlements).filter(e => isLicence(e)).map(e => String(e.value ?? '').toLowerCase()).sort()
}

/** Access package names of a SCIM entitlements value (every element not typed "license"). */
function packageValues (entitlements: unknown): string[] {
  return elements(entitlements).filter(e => !isLicence(e)).map((e) => {
    const v = typeof e.value === 'string' ? e.value.trim() : ''
    if (v === '') throw new ScimError(400, 'invalidValue', `entitlements: every access package needs a "value" (a name from GET /Entitlements); got ${JSON.stringify(e)}`)
    return v
  })
}

function isLicence (e: Obj): boolean {
  return typeof e.type === 'string' && e.type.toLowerCase() === LICENSE_TYPE
}

function elements (v: unknown): Obj[] {
  if (v === undefined || v === null) return []
  return (Array.isArray(v) ? v : [v]).map(e => typeof e === 'object' && e !== null ? e as Obj : { value: e })
}
