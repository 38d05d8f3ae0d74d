// Privileged Identity Management (PIM) for directory roles in the Graph emulator
// (test/support/graph-emulator.ts), shaped as Microsoft documents Graph v1.0's role management:
//
//   GET  /v1.0/roleManagement/directory/roleDefinitions                        (unifiedRoleDefinition list)
//   POST /v1.0/roleManagement/directory/roleAssignmentScheduleRequests         (active assignments)
//   POST /v1.0/roleManagement/directory/roleEligibilityScheduleRequests        (eligible assignments)
//   GET  /v1.0/roleManagement/directory/roleAssignmentScheduleInstances?$filter=principalId eq '…'
//   GET  /v1.0/roleManagement/directory/roleEligibilityScheduleInstances?$filter=principalId eq '…'
//
// A request is validated as Graph does (action adminAssign / adminRemove, principalId of an existing
// user, roleDefinitionId of an existing definition, directoryScopeId, scheduleInfo with an expiration of
// noExpiration / afterDateTime / afterDuration for adminAssign) and answered 201 with the request
// object (status Provisioned / Revoked). Errors use PIM's documented codes: a second adminAssign of
// the same role, principal and scope → 400 RoleAssignmentExists ("The Role assignment already
// exists."), adminRemove of an assignment that is not there → 400 RoleAssignmentDoesNotExist.
// Instances list only direct assignments (memberType Direct); active ones have assignmentType Assigned
// (Activated = an eligible role the user activated, seeded through the handle).
import { randomUUID } from 'node:crypto'
import type { Context, Hono } from 'hono'
import { graphError, parseFilter } from './graph-write.ts'

type Obj = Record<string, unknown>
/** A directory role definition (built-in roles keep their template id as id, as in Graph). */
export interface RoleDefinition { id: string, displayName: string, description?: string, isBuiltIn?: boolean, isEnabled?: boolean }
/** One PIM assignment: active (`assignment`) or eligible (`eligibility`). */
export interface PimAssignment {
  kind: 'assignment' | 'eligibility'
  principalId: string
  roleDefinitionId: string
  directoryScopeId: string
  /** Active assignments only: Assigned (admin-assigned) or Activated (an eligible role in use). */
  assignmentType?: 'Assigned' | 'Activated'
  /** Direct, or Group (through a role-assignable group; not listed as the user's). */
  memberType?: 'Direct' | 'Group'
  startDateTime?: string
  endDateTime?: string | null
}

/** Test handle of the PIM routes. */
export interface GraphPim {
  /** The current assignments (copies), optionally of one principal. */
  assignments: (principalId?: string) => PimAssignment[]
  /** Adds an assignment directly (an activation, a group-based or a scoped one, …). */
  seed: (a: PimAssignment) => void
  /** Schedule requests received (both kinds, accepted or not). */
  readonly requests: number
}

/** Well-known built-in roles (template ids as Microsoft publishes them). */
export const BUILT_IN_ROLES: RoleDefinition[] = [
  { id: '62e90394-69f5-4237-9190-012177145e10', displayName: 'Global Administrator', description: 'Can manage all aspects of Microsoft Entra ID and Microsoft services that use Microsoft Entra identities.' },
  { id: 'fe930be7-5e62-47db-91af-98c3a49a38b1', displayName: 'User Administrator', description: 'Can manage all aspects of users and groups, including resetting passwords for limited admins.' },
  { id: '729827e3-9c14-49f7-bb1b-9608f156bbb8', displayName: 'Helpdesk Administrator', description: 'Can reset passwords for non-administrators and Helpdesk Administrators.' },
  { id: 'f2ef992c-3afb-46b9-b7cf-a126ee74c451', displayName: 'Global Reader', description: 'Can read everything that a Global Administrator can, but not update anything.' },
  { id: '5d6b6bb7-de71-4623-b4af-96380a352509', displayName: 'Security Reader', description: 'Can read security information and reports in Microsoft Entra ID and Office 365.' }
]

const BASE = '/v1.0/roleManagement/directory'

/** Registers the PIM routes on `app` (after the emulator's /v1.0 middleware). */
export function graphPim (app: Hono, users: ReadonlyMap<string, Obj>, definitions: RoleDefinition[] = BUILT_IN_ROLES, pageSize = 100): GraphPim {
  const defs = definitions.map(d => ({ isBuiltIn: true, isEnabled: true, description: '', ...d }))
  let store: Array<PimAssignment & { id: string }> = []
  let requests = 0
  const bad = (c: Context, code: string, message: string): Response => c.json(graphError(code, message), 400)

  app.get(`${BASE}/roleDefinitions`, (c) => {
    const match = parseFilter(c.req.query('$filter'))
    if (match === 'bad') return bad(c, 'BadRequest', `Invalid filter clause: ${c.req.query('$filter') ?? ''}`)
    const value = defs.map(d => ({ '@odata.type': '#microsoft.graph.unifiedRoleDefinition', id: d.id, templateId: d.id, displayName: d.displayName, description: d.description, isBuiltIn: d.isBuiltIn, isEnabled: d.isEnabled, resourceScopes: ['/'], rolePermissions: [], version: '1' })).filter(match)
    return c.json({ '@odata.context': 'https://graph.microsoft.com/v1.0/$metadata#roleManagement/directory/roleDefinitions', value })
  })
  app.get(`${BASE}/roleDefinitions/:id`, (c) => {
    const d = defs.find(x => x.id === c.req.param('id'))
    if (d === undefined) return c.json(graphError('Request_ResourceNotFound', `Resource '${c.req.param('id')}' does not exist or one of its queried reference-property objects are not present.`), 404)
    return c.json({ id: d.id, templateId: d.id, displayName: d.displayName, description: d.description, isBuiltIn: d.isBuiltIn, isEnabled: d.isEnabled })
  })

  const instances = (kind: PimAssignment['kind']) => (c: Context): Response => {
    const match = parseFilter(c.req.query('$filter'))
    if (match === 'bad') return bad(c, 'BadRequest', `Invalid filter clause: ${c.req.query('$filter') ?? ''}`)
    const all = store.filter(a => a.kind === kind && (a.memberType ?? 'Direct') === 'Direct').map(a => instanceView(a)).filter(match)
    const offset = Number(c.req.query('$skiptoken') ?? 0) || 0
    const body: Obj = { '@odata.context': `https://graph.microsoft.com/v1.0/$metadata#roleManagement/directory/${kind === 'assignment' ? 'roleAssignmentScheduleInstances' : 'roleEligibilityScheduleInstances'}`, value: all.slice(offset, offset + pageSize) }
    if (offset + pageSize < all.length) {
      const u = new URL(c.req.url)
      u.searchParams.set('$skiptoken', String(offset + pageSize))
      body['@odata.nextLink'] = u.toString()
    }
    return c.json(body)
  }
  app.get(`${BASE}/roleAssignmentScheduleInstances`, instances('assignment'))
  app.get(`${BASE}/roleEligibilityScheduleInstances`, instances('eligibility'))

  const scheduleRequest = (kind: PimAssignment['kind']) => async (c: Context): Promise<Response> => {
    requests++
    let b: Obj
    try {
      const raw: unknown = await c.req.json()
      if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new Error('not an object')
      b = raw as Obj
    } catch {
      return bad(c, 'BadRequest', 'Unable to read JSON request payload.')
    }
    const action = typeof b.action === 'string' ? b.action : ''
    if (!['adminAssign', 'adminRemove', 'adminUpdate', 'adminExtend', 'adminRenew', 'selfActivate', 'selfDeactivate', 'selfExtend', 'selfRenew'].includes(action)) return bad(c, 'BadRequest', `Invalid value for property 'action': '${action}'.`)
    if (action !== 'adminAssign' && action !== 'adminRemove') return bad(c, 'BadRequest', `The emulator only implements adminAssign and adminRemove, not '${action}'.`)
    for (const p of ['principalId', 'roleDefinitionId', 'directoryScopeId']) {
      if (typeof b[p] !== 'string' || b[p] === '') return bad(c, 'BadRequest', `The request is missing the required property '${p}'.`)
    }
    const principalId = String(b.principalId)
    const roleDefinitionId = String(b.roleDefinitionId)
    const directoryScopeId = String(b.directoryScopeId)
    if (!users.has(principalId)) return c.json(graphError('Request_ResourceNotFound', `Resource '${principalId}' does not exist or one of its queried reference-property objects are not present.`), 404)
    if (!defs.some(d => d.id === roleDefinitionId)) return bad(c, 'RoleDefinitionDoesNotExist', `The role definition '${roleDefinitionId}' does not exist.`)
    const same = (a: PimAssignment): boolean => a.kind === kind && a.principalId === principalId && a.roleDefinitionId === roleDefinitionId && a.directoryScopeId === directoryScopeId && (a.memberType ?? 'Direct') === 'Direct' && (kind === 'eligibility' || (a.assignmentType ?? 'Assigned') === 'Assigned')
    const now = new Date().toISOString()
    let scheduleInfo: Obj | undefined
    if (action === 'adminAssign') {
      const si = b.scheduleInfo
      const exp = typeof si === 'object' && si !== null ? (si as Obj).expiration : undefined
      const type = typeof exp === 'object' && exp !== null ? (exp as Obj).type : undefined
      if (typeof type !== 'string' || !['noExpiration', 'afterDateTime', 'afterDuration'].includes(type)) return bad(c, 'BadRequest', "scheduleInfo.expiration.type must be one of 'noExpiration', 'afterDateTime', 'afterDuration'.")
      if (store.some(same)) return bad(c, 'RoleAssignmentExists', 'The Role assignment already exists.')
      scheduleInfo = si as Obj
      const start = typeof (si as Obj).startDateTime === 'string' ? String((si as Obj).startDateTime) : now
      const end = type === 'afterDateTime' ? String((exp as Obj).endDateTime ?? '') : null
      store.push({ id: randomUUID(), kind, principalId, roleDefinitionId, directoryScopeId, memberType: 'Direct', startDateTime: start, endDateTime: end, ...(kind === 'assignment' ? { assignmentType: 'Assigned' as const } : {}) })
    } else {
      if (!store.some(same)) return bad(c, 'RoleAssignmentDoesNotExist', 'The Role assignment does not exist.')
      store = store.filter(a => !same(a))
    }
    return c.json({
      '@odata.context': `https://graph.microsoft.com/v1.0/$metadata#roleManagement/directory/${kind === 'assignment' ? 'roleAssignmentScheduleRequests' : 'roleEligibilityScheduleRequests'}/$entity`,
      id: randomUUID(),
      status: action === 'adminAssign' ? 'Provisioned' : 'Revoked',
      createdDateTime: now,
      completedDateTime: now,
      action,
      principalId,
      roleDefinitionId,
      directoryScopeId,
      appScopeId: null,
      isValidationOnly: false,
      justification: typeof b.justification === 'string' ? b.justification : null,
      scheduleInfo: scheduleInfo ?? null
    }, 201)
  }
  app.post(`${BASE}/roleAssignmentScheduleRequests`, scheduleRequest('assignment'))
  app.post(`${BASE}/roleEligibilityScheduleRequests`, scheduleRequest('eligibility'))

  return {
    assignments: principalId => store.filter(a => principalId === undefined || a.principalId === principalId).map(({ id: _id, ...a }) => ({ ...a })),
    seed (a) { store.push({ memberType: 'Direct', ...(a.kind === 'assignment' ? { assignmentType: 'Assigned' as const } : {}), ...a, id: randomUUID() }) },
    get requests () { return requests }
  }
}

/** An instance as Graph lists it (unifiedRoleAssignmentScheduleInstance / unifiedRoleEligibilityScheduleInstance). */
function instanceView (a: PimAssignment & { id: string }): Obj {
  const common: Obj = { id: a.id, principalId: a.principalId, roleDefinitionId: a.roleDefinitionId, directoryScopeId: a.directoryScopeId, appScopeId: null, startDateTime: a.startDateTime ?? null, endDateTime: a.endDateTime ?? null, memberType: a.memberType ?? 'Direct' }
  return a.kind === 'assignment'
    ? { ...common, assignmentType: a.assignmentType ?? 'Assigned', roleAssignmentOriginId: a.id, roleAssignmentScheduleId: a.id }
    : { ...common, roleEligibilityScheduleId: a.id }
}
