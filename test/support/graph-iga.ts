// Entitlement management (IGA access packages) in the Graph emulator (test/support/graph-emulator.ts),
// shaped as Microsoft documents Graph v1.0's identityGovernance/entitlementManagement:
//
//   GET  /v1.0/identityGovernance/entitlementManagement/accessPackages[?$expand=assignmentPolicies]
//   GET  /v1.0/identityGovernance/entitlementManagement/assignments?$filter=target/objectId eq '…'[&$expand=accessPackage]
//   POST /v1.0/identityGovernance/entitlementManagement/assignmentRequests
//        { requestType: adminAdd, assignment: { targetId, assignmentPolicyId, accessPackageId } }
//        { requestType: adminRemove, assignment: { id } }
//
// Requests are validated (requestType, an existing user as target, a policy of that access package, an
// existing assignment to remove) and answered 201 with the request (state submitted, status Accepted).
// Unlike Graph, delivery is immediate (state delivered), so tests read the outcome at once. The error
// of a second adminAdd for an access package the user already has is the emulator's own choice
// (400 BadRequest "… already has an active assignment …"): Microsoft does not document that body.
import { randomUUID } from 'node:crypto'
import type { Context, Hono } from 'hono'
import { graphError } from './graph-write.ts'

type Obj = Record<string, unknown>
/** An access package with its assignment policies. */
export interface AccessPackage { id: string, displayName: string, description?: string, policies: Array<{ id: string, displayName: string }> }
/** An assignment of an access package to a user. */
export interface PackageAssignment { id: string, targetId: string, accessPackageId: string, assignmentPolicyId: string, state: string }

/** Test handle of the IGA routes. */
export interface GraphIga {
  /** Adds (or replaces) an access package. */
  setPackage: (p: AccessPackage) => void
  /** The assignments (copies), optionally of one user. */
  assignments: (targetId?: string) => PackageAssignment[]
  /** Adds an assignment directly (e.g. one still `delivering` or `expired`). */
  seed: (a: Omit<PackageAssignment, 'id'>) => void
  /** Assignment requests received (accepted or not). */
  readonly requests: number
}

const BASE = '/v1.0/identityGovernance/entitlementManagement'

/** Registers the IGA routes on `app` (after the emulator's /v1.0 middleware). */
export function graphIga (app: Hono, users: ReadonlyMap<string, Obj>): GraphIga {
  const packages = new Map<string, AccessPackage>()
  let store: PackageAssignment[] = []
  let requests = 0
  const bad = (c: Context, message: string, code = 'BadRequest'): Response => c.json(graphError(code, message), 400)
  const packageView = (p: AccessPackage, policies: boolean): Obj => ({
    id: p.id, displayName: p.displayName, description: p.description ?? '', isHidden: false, createdDateTime: '2024-01-01T00:00:00Z',
    ...(policies ? { assignmentPolicies: p.policies.map(x => ({ id: x.id, displayName: x.displayName, allowedTargetScope: 'notSpecified' })) } : {})
  })
  const expands = (c: Context, what: string): boolean => (c.req.query('$expand') ?? '').split(',').map(x => x.trim()).includes(what)

  app.get(`${BASE}/accessPackages`, (c) => c.json({ '@odata.context': 'https://graph.microsoft.com/v1.0/$metadata#identityGovernance/entitlementManagement/accessPackages', value: [...packages.values()].map(p => packageView(p, expands(c, 'assignmentPolicies'))) }))

  app.get(`${BASE}/assignments`, (c) => {
    const f = c.req.query('$filter')
    let target: string | undefined
    if (f !== undefined) {
      const m = /^\s*target\/objectId\s+eq\s+'((?:[^']|'')*)'\s*$/i.exec(f)
      if (m === null) return bad(c, `Invalid filter clause: ${f}`)
      target = (m[1] ?? '').replace(/''/g, "'")
    }
    const value = store.filter(a => target === undefined || a.targetId.toLowerCase() === target.toLowerCase()).map((a) => {
      const p = packages.get(a.accessPackageId)
      const status = a.state.charAt(0).toUpperCase() + a.state.slice(1)
      return { id: a.id, state: a.state, status, assignmentPolicyId: a.assignmentPolicyId, accessPackageId: a.accessPackageId, target: { objectId: a.targetId }, schedule: { expiration: { type: 'noExpiration' } }, ...(expands(c, 'accessPackage') && p !== undefined ? { accessPackage: packageView(p, false) } : {}) }
    })
    return c.json({ '@odata.context': 'https://graph.microsoft.com/v1.0/$metadata#identityGovernance/entitlementManagement/assignments', value })
  })

  app.post(`${BASE}/assignmentRequests`, async (c) => {
    requests++
    let b: Obj
    try {
      const raw: unknown = await c.req.json()
      if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new Error('not an object')
      b = raw as Obj
    } catch {
      return bad(c, 'Unable to read JSON request payload.')
    }
    const type = typeof b.requestType === 'string' ? b.requestType : ''
    const a = typeof b.assignment === 'object' && b.assignment !== null ? b.assignment as Obj : undefined
    if (a === undefined) return bad(c, "The request is missing the required property 'assignment'.")
    const now = new Date().toISOString()
    if (type.toLowerCase() === 'adminadd') {
      const targetId = typeof a.targetId === 'string' ? a.targetId : ''
      const p = typeof a.accessPackageId === 'string' ? packages.get(a.accessPackageId) : undefined
      if (!users.has(targetId)) return bad(c, `The target '${targetId}' was not found in the directory.`)
      if (p === undefined) return c.json(graphError('ResourceNotFound', `Access package '${String(a.accessPackageId)}' was not found.`), 404)
      if (!p.policies.some(x => x.id === a.assignmentPolicyId)) return bad(c, `Assignment policy '${String(a.assignmentPolicyId)}' does not belong to access package '${p.id}'.`)
      if (store.some(x => x.targetId === targetId && x.accessPackageId === p.id && ['delivered', 'delivering'].includes(x.state))) return bad(c, 'The target already has an active assignment for this access package.')
      store.push({ id: randomUUID(), targetId, accessPackageId: p.id, assignmentPolicyId: String(a.assignmentPolicyId), state: 'delivered' })
    } else if (type.toLowerCase() === 'adminremove') {
      const id = typeof a.id === 'string' ? a.id : ''
      if (!store.some(x => x.id === id)) return c.json(graphError('ResourceNotFound', `Assignment '${id}' was not found.`), 404)
      store = store.filter(x => x.id !== id)
    } else {
      return bad(c, `The emulator only implements requestType adminAdd and adminRemove, not '${type}'.`)
    }
    return c.json({ '@odata.context': 'https://graph.microsoft.com/v1.0/$metadata#identityGovernance/entitlementManagement/assignmentRequests/$entity', id: randomUUID(), requestType: type, state: 'submitted', status: 'Accepted', createdDateTime: now, completedDateTime: null, justification: typeof b.justification === 'string' ? b.justification : null, schedule: null }, 201)
  })

  return {
    setPackage (p) { packages.set(p.id, { ...p, policies: [...p.policies] }) },
    assignments: t => store.filter(a => t === undefined || a.targetId === t).map(a => ({ ...a })),
    seed (a) { store.push({ ...a, id: randomUUID() }) },
    get requests () { return requests }
  }
}
